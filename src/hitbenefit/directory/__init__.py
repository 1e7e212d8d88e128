"""The supplier directory: CMS's "Home Infusion Therapy Providers" dataset (FAQ 5), read as pure
values (``read_csv``), the accrediting organisations (FAQ 3; RULES SUP-10) and a synthetic file
generator for tests and benchmarks. The store keeps its import history (store/directory.py)."""
