"""Rate tables: the per-year HIT payment amounts with their provenance (CONTRACT §4, §6)."""
