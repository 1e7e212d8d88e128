"""``hitbenefit report DIR``: the auditor's questions over a batch's ``decisions.parquet``, with DuckDB.

DuckDB only selects, groups and counts here; money is summed over DECIMAL(12,2) columns, which is
exact (no rounding happens in a sum of decimals), and comes back as Python ``Decimal``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hitbenefit import charts


class ReportError(ValueError):
    pass


QUERIES = {
    "top_reasons_by_supplier": """
        WITH r AS (SELECT supplier_npi, unnest(reasons) AS reason FROM d WHERE status IN ('denied', 'rejected')),
             c AS (SELECT supplier_npi, reason, count(*) AS lines FROM r GROUP BY ALL),
             k AS (SELECT *, row_number() OVER (PARTITION BY supplier_npi ORDER BY lines DESC, reason) AS rank FROM c)
        SELECT supplier_npi, reason, lines FROM k WHERE rank <= $top ORDER BY supplier_npi, lines DESC, reason""",
    "initial_visit_rejections_by_month": """
        SELECT month, count(*) FILTER (WHERE status = 'rejected') AS rejected, count(*) AS initial_visit_lines
        FROM d WHERE visit_type = 'initial' GROUP BY month ORDER BY month""",
    "payment_by_locality": """
        SELECT coalesce(locality, 'none') AS locality, count(*) AS priced_lines, sum(allowed) AS allowed,
               sum(paid) AS paid
        FROM d WHERE allowed IS NOT NULL GROUP BY ALL ORDER BY locality""",
}


def build_report(directory: Path, top: int = 3) -> dict:
    path = Path(directory) / "decisions.parquet"
    if not path.is_file():
        raise ReportError(f"{directory}: no decisions.parquet (run `hitbenefit batch ... --out {directory}` first)")
    try:
        import duckdb
    except ImportError:
        raise ReportError("report needs DuckDB: pip install duckdb") from None
    con = duckdb.connect()  # in memory: the Parquet file is only read
    try:
        quoted = str(path).replace("'", "''")
        con.execute(f"CREATE VIEW d AS SELECT * FROM read_parquet('{quoted}')")
        out = {}
        for name, sql in QUERIES.items():
            cur = con.execute(sql, {"top": top} if "$top" in sql else None)
            cols = [c[0] for c in cur.description]
            out[name] = {"columns": cols, "rows": [list(r) for r in cur.fetchall()]}
    except duckdb.Error as exc:
        raise ReportError(f"{path}: {exc}") from None
    finally:
        con.close()
    return out


def _jsonable(value):
    return str(value) if isinstance(value, Decimal) else value


def report_json(data: dict) -> str:
    return json.dumps({name: [dict(zip(t["columns"], map(_jsonable, r))) for r in t["rows"]]
                       for name, t in data.items()}, indent=2, ensure_ascii=False) + "\n"


TITLES = {"top_reasons_by_supplier": "Top reasons by supplier",
          "initial_visit_rejections_by_month": "Initial-visit rejections per month",
          "payment_by_locality": "Payment by locality"}


def report_tables(data: dict, console) -> None:
    from rich.table import Table

    for name, t in data.items():
        table = Table(*t["columns"], title=TITLES[name], header_style="bold")
        for r in t["rows"]:
            table.add_row(*(f"{v:,.2f}" if isinstance(v, Decimal) else str(v) for v in r))
        console.print(table)


def report_html(data: dict) -> str:
    body = []
    reasons = data["top_reasons_by_supplier"]["rows"]
    totals: dict[str, int] = {}
    for _, reason, n in reasons:
        totals[reason] = totals.get(reason, 0) + n
    body.append(charts.hbar("Top reasons (over each supplier's top reasons)",
                            sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))))
    body.append(charts.table(data["top_reasons_by_supplier"]["columns"], reasons))
    months = data["initial_visit_rejections_by_month"]
    body.append(charts.vbar(TITLES["initial_visit_rejections_by_month"], [(r[0], r[1]) for r in months["rows"]]))
    body.append(charts.table(months["columns"], months["rows"]))
    loc = data["payment_by_locality"]
    body.append(charts.hbar(TITLES["payment_by_locality"] + " (paid)", [(r[0], r[3]) for r in loc["rows"]]))
    body.append(charts.table(loc["columns"], loc["rows"]))
    return charts.page("Batch audit report", "".join(body))
