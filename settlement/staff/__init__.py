"""Staff pages for reviewing settlements (Django admin stays for raw data editing)."""
