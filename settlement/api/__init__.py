"""The versioned REST API (/api/v1/): translates HTTP to one domain call and back."""
