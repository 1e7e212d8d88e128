"""X12 EDI: 837P claims in and out, 835 remittances out and in, structural validation."""
