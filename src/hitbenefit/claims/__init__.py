"""Claims and decisions: the contract's data (CONTRACT §1-2), and reading them from JSON."""
