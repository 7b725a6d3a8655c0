"""PPR schemes: blocks, categories and SLA targets (admin writes, everyone reads)."""
