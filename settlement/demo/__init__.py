"""Demo data for a fresh machine: one utility, its programs, owners, a bus fleet and staff."""
