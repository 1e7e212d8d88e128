"""The Spark engine: the same partitions, the same core (``adjudicate_records``), on PySpark.

The driver spills the inputs exactly as the local engine does; Spark reads the spill files as text
(claims travel as JSON text), groups the records by partition number and runs ``adjudicate_records``
on each group with ``applyInPandas``; the results are written by Spark as Parquet (by partition),
and the driver turns each partition into the same sorted partition file the local engine writes, so
the final merge, and so every output byte, is shared. PySpark is optional: without it,
``--engine spark`` stops with a clear message.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from hitbenefit.batch.core import Outcome, Record, adjudicate_records
from hitbenefit.batch.output import write_part

_SESSION = None
_TABLES = {}


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


def _tables(options):
    key = tuple(sorted(options.items()))
    if key not in _TABLES:
        from hitbenefit.batch.run import TableOptions

        _TABLES[key] = TableOptions(**options).load()
    return _TABLES[key]


def run_spark(work: Path, pending: list[int], sources: list[str], tables, rep, counts, master: str = "local[2]") -> None:
    from pyspark.sql import functions as F

    from hitbenefit.batch.run import BatchError, done_path, part_path
    from hitbenefit.batch.spill import spill_path

    spark = spark_session(master)
    options = dict(tables.__dict__)
    files = [str(spill_path(work / "spill", p)) for p in pending if counts[p]]
    out_dir = work / "spark"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    parts = work / "parts"
    for p in pending:
        if not counts[p]:
            write_part([], part_path(parts, p))
            done_path(parts, p).write_text("0\n")
    if not files:
        return

    def adjudicate_group(pdf):
        import pandas as pd

        records = []
        for line in pdf["value"]:
            seq, index, record, text = line.split("\t", 3)
            records.append(Record(int(seq), sources[int(index)], int(record), text))
        outcomes, errors = adjudicate_records(records, _tables(options))
        part = int(pdf["part"].iloc[0])
        if errors:
            return pd.DataFrame({"part": [part] * len(errors), "claim_id": [""] * len(errors),
                                 "seq": [-1] * len(errors), "decision": [""] * len(errors),
                                 "rows": [""] * len(errors), "error": [str(e) for e in errors]})
        return pd.DataFrame({"part": [part] * len(outcomes), "claim_id": [o.claim_id for o in outcomes],
                             "seq": [o.seq for o in outcomes], "decision": [o.decision for o in outcomes],
                             "rows": [o.rows for o in outcomes], "error": [None] * len(outcomes)})

    schema = "part int, claim_id string, seq long, decision string, rows string, error string"
    spark.conf.set("spark.sql.shuffle.partitions", str(max(2, min(len(files), 256))))
    frame = (spark.read.text(files)
             .withColumn("part", F.regexp_extract(F.input_file_name(), r"p-(\d+)\.tsv", 1).cast("int"))
             .groupBy("part").applyInPandas(adjudicate_group, schema))
    frame.write.mode("overwrite").partitionBy("part").parquet(str(out_dir))

    import pyarrow.parquet as pq

    errors: list[str] = []
    for p in pending:
        folder = out_dir / f"part={p}"
        if not counts[p] or not folder.exists():
            continue
        table = pq.read_table(folder, columns=["claim_id", "seq", "decision", "rows", "error"])
        errs = [e for e in table.column("error").to_pylist() if e]
        if errs:
            errors.extend(errs)
            continue
        outcomes = [Outcome(c, s, d, r) for c, s, d, r in zip(*(table.column(n).to_pylist()
                                                                  for n in ("claim_id", "seq", "decision", "rows")))]
        outcomes.sort(key=lambda o: (o.claim_id, o.seq))
        write_part(outcomes, part_path(parts, p))
        done_path(parts, p).write_text(f"{len(outcomes)}\n")
        rep.advance(len(outcomes))
    shutil.rmtree(out_dir, ignore_errors=True)
    if errors:
        raise BatchError(errors[:20])
