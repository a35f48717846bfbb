"""Review: maker-checker decisions on statements, who may take them, reads, exports, drill-down."""
