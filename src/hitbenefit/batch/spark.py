"""The Spark engine: the same partitions and the same core (``batch.core``), scheduled by PySpark.

The driver spills the inputs exactly as the local engine does. Spark then runs one task per
partition (an RDD of partition numbers, ``mapPartitions``): the task reads that partition's spill
file (the claims' raw JSON lines, grouped by beneficiary), adjudicates them with
``run.process_partition`` and writes the partition's files next to it, exactly as a local worker
does; the driver then assembles the outputs as the local engine does. No claim is turned into a
Spark row: Spark ships partition numbers and error messages, the data stays in Arrow and JSON text,
and every output byte is shared with the local engine. PySpark is optional: without it,
``--engine spark`` stops with a clear message. The work folder must be on a filesystem every
executor can read and write (always true for ``local[N]``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_SESSION = None


def spark_session(master: str = "local[2]"):
    """One SparkSession per process (started once: 5-10 s), in UTC, bound to 127.0.0.1 in local mode."""
    global _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ImportError("--engine spark needs PySpark: pip install pyspark==4.0.1 pandas pyarrow "
                          "(and Java 17)") from None
    if _SESSION is None:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        _SESSION = (SparkSession.builder.master(master).appName("hitbenefit-batch")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "16")
                    .config("spark.sql.adaptive.coalescePartitions.enabled", "false")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.python.worker.reuse", "true")
                    .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
                    .config("spark.driver.memory", "2g")
                    .config("spark.pyspark.python", sys.executable)
                    .getOrCreate())
        _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def run_spark(work: Path, pending: list[int], sources: list[str], tables, rep, counts, master: str = "local[2]") -> float:
    """Adjudicate the ``pending`` partitions as Spark tasks (largest first, so the last task is short);
    the Python workers' peak memory (MB)."""
    from hitbenefit.batch.run import _process_star, input_errors
    from hitbenefit.batch.spill import InputError

    sc = spark_session(master).sparkContext
    options, folder = tables, str(work)
    order = sorted(pending, key=lambda p: -counts[p])

    def task(numbers):
        for p in numbers:
            yield _process_star((folder, p, sources, options))

    errors: list[InputError] = []
    peak = 0.0
    for _p, n, errs, worker_peak in sc.parallelize(order, len(order)).mapPartitions(task).collect():
        errors.extend(errs)
        rep.advance(n)
        peak = max(peak, worker_peak)
    if errors:
        raise input_errors(errors)
    return peak
