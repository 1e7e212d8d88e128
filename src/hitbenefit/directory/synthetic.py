"""SYNTHETIC directory files in the published CSV layout, for tests and benchmarks: made-up
suppliers, enrollment ids, addresses and service areas (never real data)."""

from __future__ import annotations

import csv
import io
import random

from hitbenefit.directory.read_csv import COLUMNS

_STATES = ("VA", "MD", "DC", "NC", "PA", "NY", "CA", "TX", "FL", "OH", "GA", "IL", "WA", "AZ", "MA", "LA")
_COUNTIES = ("Adams", "Baker", "Clark", "Dale", "Essex", "Fulton", "Grant", "Hale", "Irwin", "Jasper", "Knox",
             "Lake", "Marion", "Newton", "Orange", "Perry", "Quincy", "Russell", "Stone", "Union")
_WORDS = ("Synthetic", "Sample", "Example", "Demo", "Placeholder", "Fictional")
_KINDS = ("Infusion", "Home Infusion", "Pharmacy", "Care", "Health")


def synthetic_rows(rows: int, seed: int = 0, areas_per_supplier: int = 10) -> list[list[str]]:
    """``rows`` data rows (header not included): about ``rows / areas_per_supplier`` suppliers,
    each with a run of state, county, city and ZIP-code areas."""
    rng = random.Random(seed)
    out: list[list[str]] = []
    n = 0
    while len(out) < rows:
        n += 1
        enrollment = f"O{20200000000000 + n * 7919:014d}"
        home = rng.choice(_STATES)
        name = f"{rng.choice(_WORDS)} {rng.choice(_KINDS)} {n} LLC (SYNTHETIC)"
        base = [enrollment, name, f"{rng.randint(1, 9999)} Example St", "", f"Town{rng.randint(1, 400)}", home,
                f"{rng.randint(0, 99999):05d}", f"555{rng.randint(0, 9999999):07d}", "Home Infusion Therapy"]
        for k in range(min(areas_per_supplier, rows - len(out))):
            state = home if k < areas_per_supplier // 2 else rng.choice(_STATES)
            kind = ("State", "County", "City", "ZIP Code")[k % 4]
            county = rng.choice(_COUNTIES) if kind != "State" else ""
            city = f"Town{rng.randint(1, 400)}" if kind in ("City", "ZIP Code") else ""
            zip_code = f"{rng.randint(0, 99999):05d}" if kind == "ZIP Code" else ""
            out.append(base + [kind, city, state, zip_code, county])
    return out


def synthetic_csv(rows: int, seed: int = 0, areas_per_supplier: int = 10) -> str:
    """A whole SYNTHETIC file in the published layout (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(COLUMNS))
    writer.writerows(synthetic_rows(rows, seed, areas_per_supplier))
    return buffer.getvalue()


def synthetic_refresh_csv(rows: int, seed: int = 0, areas_per_supplier: int = 10, churn: int = 20) -> str:
    """A SYNTHETIC "newer file" of ``synthetic_csv(rows, seed)``: one supplier in ``churn`` dropped,
    one in ``churn`` renamed, and as many new suppliers (seed + 1) as were dropped."""
    old = synthetic_rows(rows, seed, areas_per_supplier)
    ids = list(dict.fromkeys(r[0] for r in old))
    dropped = set(ids[::churn])
    renamed = set(ids[1::churn])
    kept = [[r[0], r[1] + " RENAMED" if r[0] in renamed else r[1], *r[2:]] for r in old if r[0] not in dropped]
    fresh = [[f"N{r[0][1:]}", *r[1:]] for r in synthetic_rows(rows - len(kept), seed + 1, areas_per_supplier)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(COLUMNS))
    writer.writerows(kept + fresh)
    return buffer.getvalue()
