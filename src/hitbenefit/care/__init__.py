"""The supplier's day, as pure data and rules (no I/O): plans of care (FAQ 10-11), visits
(FAQ 7, 12-13, 24) and remote monitoring (FAQ 14). The store, API and CLI sit around it."""
