"""Meter data ingestion: uploads, validation (VEE), readings and their revisions."""
