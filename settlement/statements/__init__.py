"""Statements: pricing a channel's readings with a program's tariff (previews, later runs)."""
