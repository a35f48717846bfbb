"""Lines: one participant's statement lines computed from its inputs (readings, rules, events).

Pure of run bookkeeping: it reads the chunk's inputs, prices channels and rules, and returns
computed lines with their lineage; the run lifecycle stores them.
"""
