"""Supplier directory benchmark (FAQ 5): import a SYNTHETIC 50,000-row file in the published CMS
layout and search it, on SQLite and (when reachable) PostgreSQL, against baselines measured in
the same run.

    .venv/bin/python benchmarks/directory.py                 # 50,000 rows, SQLite and PostgreSQL
    .venv/bin/python benchmarks/directory.py --rows 20000 --no-postgres

Baselines: "row-at-a-time insert" (one INSERT statement per supplier and per service-area row, in
one transaction, through SQLAlchemy Core; run on --naive-rows rows and reported as rows/s) against
the import's bulk insert (executemany on SQLite, COPY on PostgreSQL); and "full scan" (the same
searches after the service-area indexes are dropped) against the indexed searches.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from load import _pg_url  # noqa: E402  (benchmarks/load.py: a throwaway PostgreSQL database)

AREA_INDEXES = ("ix_directory_areas_state_county", "ix_directory_areas_city", "ix_directory_areas_zip")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000)


def _queries(read, count: int, seed: int) -> dict[str, list]:
    from hitbenefit.store.directory import Query

    rng = random.Random(seed)
    areas = [r.area for r in read.rows]
    counties = [a for a in areas if a.county]
    zips = [a for a in areas if a.zip]
    return {
        "state": [Query.make(state=rng.choice(areas).state) for _ in range(count)],
        "county": [Query.make(state=a.state, county=a.county) for a in rng.choices(counties, k=count)],
        "zip": [Query.make(zip_code=a.zip5) for a in rng.choices(zips, k=count)],
    }


def _time_searches(engine, queries: dict[str, list]) -> dict[str, tuple[float, float]]:
    from hitbenefit.store.directory import search_directory

    out = {}
    for kind, items in queries.items():
        search_directory(engine, items[0], limit=20)  # warm the connection pool and caches
        samples = []
        for q in items:
            start = time.perf_counter()
            search_directory(engine, q, limit=20)
            samples.append(time.perf_counter() - start)
        out[kind] = _percentiles(samples)
    return out


def _naive_insert(engine, read, rows: int) -> float:
    """The baseline: one INSERT per supplier and per service-area row; rows/s."""
    import sqlalchemy as sa

    from hitbenefit.store.database import write_transaction
    from hitbenefit.store.directory import AREA_COLUMNS, SUPPLIER_COLUMNS, _area_values, _supplier_values
    from hitbenefit.store.schema import directory_imports, directory_service_areas, directory_suppliers
    from hitbenefit.directory.read_csv import DirectoryFile

    sample = DirectoryFile(read.name, "naive-" + read.sha256[:58], read.rows[:rows])
    start = time.perf_counter()
    with write_transaction(engine) as conn:
        import_id = conn.execute(directory_imports.insert().values(
            file_name="naive", sha256=sample.sha256, row_count=rows, supplier_count=0,
            imported_at=sa.func.now(), imported_by="benchmark").returning(directory_imports.c.id)).scalar_one()
        for supplier in sample.suppliers():
            conn.execute(directory_suppliers.insert().values(
                dict(zip(SUPPLIER_COLUMNS, _supplier_values(supplier, import_id)))))
            for area in supplier.areas:
                conn.execute(directory_service_areas.insert().values(
                    dict(zip(AREA_COLUMNS, _area_values(supplier.enrollment_id, area, import_id)))))
    return rows / (time.perf_counter() - start)


def run_backend(label: str, url: str, naive_url: str, read, refresh, queries, naive_rows: int) -> None:
    import sqlalchemy as sa

    from hitbenefit.store import Store
    from hitbenefit.store.directory import import_directory

    rows = len(read.rows)
    with Store.open(naive_url) as naive_store:
        naive_rate = _naive_insert(naive_store.engine, read, naive_rows)
    with Store.open(url) as store:
        start = time.perf_counter()
        result = import_directory(store.engine, read)
        took = time.perf_counter() - start
        bulk_rate = rows / took
        print(f"[{label}] import: {rows:,} rows ({result.info.supplier_count:,} suppliers, {result.areas_added:,} "
              f"service areas) in {took:.2f} s = {bulk_rate:,.0f} rows/s")
        print(f"[{label}] baseline row-at-a-time insert ({naive_rows:,} rows): {naive_rate:,.0f} rows/s; "
              f"import vs baseline: {bulk_rate / naive_rate:.1f}x faster")
        start = time.perf_counter()
        changed = import_directory(store.engine, refresh)
        print(f"[{label}] refresh from a newer {len(refresh.rows):,}-row file: {time.perf_counter() - start:.2f} s "
              f"(suppliers {changed.suppliers_added} new, {changed.suppliers_changed} changed, "
              f"{changed.suppliers_ended} ended; areas {changed.areas_added:,} new, {changed.areas_ended:,} ended)")
        start = time.perf_counter()
        assert not import_directory(store.engine, refresh).created
        print(f"[{label}] the same file again: {(time.perf_counter() - start) * 1000:.1f} ms (no-op)")
        indexed = _time_searches(store.engine, queries)
        with store.engine.begin() as conn:
            for name in AREA_INDEXES:
                conn.execute(sa.text(f"DROP INDEX {name}"))
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("ANALYZE directory_service_areas"))
        scanned = _time_searches(store.engine, queries)
    n = len(next(iter(queries.values())))
    for kind in queries:
        (p50, p99), (b50, b99) = indexed[kind], scanned[kind]
        print(f"[{label}] search by {kind:<7} ({n} searches, page of 20): p50 {p50:6.2f} ms  p99 {p99:6.2f} ms | "
              f"baseline full scan p50 {b50:6.2f} ms  p99 {b99:6.2f} ms | {b50 / p50:.1f}x faster at p50")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--naive-rows", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    from hitbenefit.directory.read_csv import read_directory_bytes
    from hitbenefit.directory.synthetic import synthetic_csv, synthetic_refresh_csv

    start = time.perf_counter()
    data = synthetic_csv(args.rows, args.seed).encode()
    refresh_data = synthetic_refresh_csv(args.rows, args.seed).encode()
    print(f"generated: a SYNTHETIC file of {args.rows:,} rows ({len(data) / 1e6:.1f} MB) and its newer file "
          f"(5% of suppliers dropped, 5% renamed, as many new) in "
          f"{time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    read = read_directory_bytes(data, "synthetic-a.csv")
    took = time.perf_counter() - start
    print(f"read: {len(read.rows):,} rows in {took:.2f} s = {len(read.rows) / took:,.0f} rows/s (checked, normalised)")
    refresh = read_directory_bytes(refresh_data, "synthetic-b.csv")
    queries = _queries(read, args.searches, args.seed)

    with tempfile.TemporaryDirectory(prefix="hitbenefit-directory-bench-") as tmp:
        run_backend("sqlite", f"sqlite:///{tmp}/directory.db", f"sqlite:///{tmp}/naive.db", read, refresh, queries,
                    min(args.naive_rows, args.rows))
    if args.no_postgres:
        return
    url, drop = _pg_url()
    naive_url, drop_naive = _pg_url()
    if url is None or naive_url is None:
        print("[postgresql] skipped: no server at 127.0.0.1:5432 (database test)")
        return
    try:
        run_backend("postgresql", url, naive_url, read, refresh, queries, min(args.naive_rows, args.rows))
    finally:
        drop()
        drop_naive()


if __name__ == "__main__":
    main()
