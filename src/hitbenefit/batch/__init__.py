"""Batch adjudication of many claims at once (issue 7): on one machine (``local``) or on Spark.

Claims are read as a stream, spilled into per-partition files by a stable hash of the beneficiary's
MBI, and each partition is adjudicated by the same core engine (``adjudicate_batch``), so every
beneficiary's history is processed in contract order (CONTRACT §5). See ``docs/batch.md``.
"""

from hitbenefit.batch.run import BatchError, BatchResult, run_batch

__all__ = ["BatchError", "BatchResult", "run_batch"]
