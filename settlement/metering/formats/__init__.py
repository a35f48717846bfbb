"""Pure streaming parsers that turn meter data files into readings; no Django here."""
