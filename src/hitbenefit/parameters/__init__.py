"""Dated parameters of the benefit, kept as data files with a reference on every value."""
