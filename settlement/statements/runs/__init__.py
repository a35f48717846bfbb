"""Runs: the settlement run lifecycle (start, chunks, complete, fail, reproduce) and its tasks."""
