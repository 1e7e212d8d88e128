"""Workbench page times, one command: ``.venv/bin/python benchmarks/web.py``.

Seeds a SQLite store with a year of SYNTHETIC data for one mid-size supplier (50 patients, about
5,000 claims: a weekly-or-so visit with its drug line, some initial codes billed again within 60
days so that there are rejections; a complete, signed plan of care each; monthly 835 reconciliations; a 20,000-row synthetic supplier
directory),
starts ``hitbenefit serve`` on a loopback port, signs in through the form as the supplier, and
times each page over --requests sequential keep-alive requests (after --warmup unmeasured ones).
The baseline, measured in the same run the same way, is ``GET /v1/rules`` (the API's JSON with the
same key). Prints p50/p99 per page, the ratio of p50 to the baseline's, and whether p99 is under
the 200 ms target. Exit status 1 when a page's p99 is not.

Options: --patients N (50) --claims N (5000) --requests N (40) --warmup N (5) --db PATH (reuse a
seeded SQLite file)
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "claims" / "example-claim.json"
TARGET_MS = 200.0
NPI = "1234567893"
CATEGORY_CODES = {1: ("G0088", "G0068", "J1559"), 2: ("G0089", "G0069", "J1559"), 3: ("G0090", "G0070", "J1559")}


def synthetic_year(patients: int, claims: int, seed: int = 6) -> list[dict]:
    """SYNTHETIC contract claims (not real data) for one supplier, in service-date order."""
    rng = Random(seed)
    template = json.loads(EXAMPLE.read_text(), parse_float=Decimal)
    template["beneficiary"]["institutional_stays"] = []
    template.pop("received_date", None)
    per_patient = max(1, claims // patients)
    start = date(2025, 1, 1)
    out = []
    for p in range(patients):
        mbi = f"9SY{p:02d}" + "".join(rng.choice("ACDEFGHJKMNPQRTUVWXY0123456789") for _ in range(6))
        category = 2 if p % 3 else 1
        initial, subsequent, drug = CATEGORY_CODES[category]
        day = start + timedelta(days=rng.randrange(0, 7))
        plan = dict(template["plan_of_care"], signed_date=(day - timedelta(days=5)).isoformat(),
                    last_changed=(day - timedelta(days=5)).isoformat())
        for n in range(per_patient):
            code = initial if n == 0 or rng.random() < 0.04 else subsequent  # some initial codes billed again
            plan["last_reviewed"] = (day - timedelta(days=(day - start).days % 60)).isoformat()
            claim = copy.deepcopy(template)
            claim.update(claim_id=f"SYN-{p:02d}-{n:04d}", plan_of_care=dict(plan), extra={"synthetic": True})
            claim["supplier"]["npi"] = NPI
            claim["beneficiary"]["mbi"] = mbi
            claim["lines"] = [
                {"line": 1, "hcpcs": code, "modifiers": [], "units": 8, "service_date": day.isoformat(),
                 "place_of_service": "12", "charge": Decimal("450.00"),
                 "visit": {"in_person": True, "drug_administered": True, "minutes": 120}},
                {"line": 2, "hcpcs": drug, "modifiers": ["JB"], "units": 40, "service_date": day.isoformat(),
                 "place_of_service": "12", "charge": Decimal("0.00"), "drug_name": None}]
            out.append(claim)
            day += timedelta(days=max(1, int(365 / per_patient) + rng.choice((-1, 0, 0, 1))))
    out.sort(key=lambda c: (c["lines"][0]["service_date"], c["claim_id"]))
    return out


def seed(url: str, patients: int, claims: int) -> tuple[str, list[str]]:
    """Fill the store; returns the supplier's key and a few claim ids to open."""
    from hitbenefit.claims.read_json import claim_from_json
    from hitbenefit.directory.read_csv import read_directory_bytes
    from hitbenefit.directory.synthetic import synthetic_csv
    from hitbenefit.service import load_tables
    from hitbenefit.store.care import set_plan_details
    from hitbenefit.store.directory import import_directory
    from tests.care.conftest import DETAILS
    from hitbenefit.store import Store
    from hitbenefit.web.pages import _reconcile
    from hitbenefit.x12.write_835 import decisions_to_835

    tables = load_tables()
    with Store.open(url) as store:
        key = store.create_api_key("supplier", supplier_npi=NPI, label="benchmark")[0]
        principal = store.authenticate(key)
        started = time.perf_counter()
        by_month: dict[str, list] = {}
        plans_made: set[str] = set()
        for raw in synthetic_year(patients, claims):
            claim = claim_from_json(raw)
            if claim.beneficiary.mbi not in plans_made:
                plans_made.add(claim.beneficiary.mbi)
                version = store.create_plan_of_care(claim.beneficiary.mbi, raw["plan_of_care"], principal)
                set_plan_details(store, version.plan_id, 1, DETAILS, principal)
                store.sign_plan_version(version.plan_id, 1, "Dr Synthetic", claim.plan_of_care.signed_date, principal)
            decision = store.submit_claim(claim, principal, tables).decision
            by_month.setdefault(raw["lines"][0]["service_date"][:7], []).append((claim, decision))
        for month, pairs in sorted(by_month.items()):
            priced = [(c, d) for c, d in pairs if d.rates]
            text = decisions_to_835([c for c, _ in priced], [d for _, d in priced], payer_name="SYNTHETIC PAYER",
                                    payer_id="SYNTH")
            _reconcile(store, tables, principal, text.encode(), f"remit-{month}.835", None)
        import_directory(store.engine, read_directory_bytes(synthetic_csv(20_000, seed=1).encode(), "synthetic.csv"))
        print(f"seeded {sum(len(v) for v in by_month.values())} claims, {len(plans_made)} patients, "
              f"{len(by_month)} reconciliations, a 20,000-row directory in {time.perf_counter() - started:.0f} s")
        ids = [p[0].claim_id for p in by_month[sorted(by_month)[-1]][:3]]
    return key, ids


def timed(client, method: str, path: str, n: int, warmup: int, **kw) -> list[float]:
    out = []
    for i in range(warmup + n):
        started = time.perf_counter()
        response = client.request(method, path, **kw)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:300]}")
        if i >= warmup:
            out.append(elapsed)
    return out


def main() -> int:
    import httpx

    from tests.api.conftest import free_port, serve_subprocess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hitbenefit-web-bench-"))
    db = args.db or work / "web.db"
    url = f"sqlite:///{db}"
    keyfile = db.with_suffix(".key.json")
    if keyfile.exists():
        key, ids = json.loads(keyfile.read_text())
    else:
        key, ids = seed(url, args.patients, args.claims)
        keyfile.write_text(json.dumps([key, ids]))
    port = free_port()
    proc = serve_subprocess(url, port, work, work / "serve.log")
    rows = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            form = client.get("/sign-in").text
            token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
            client.post("/sign-in", data={"csrf": token, "api_key": key, "next": "/"})
            patient = re.search(r'href="/patients/(\d+)"', client.get("/patients").text).group(1)
            csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/check").text).group(1)
            example = EXAMPLE.read_text()
            baseline = timed(client, "GET", "/v1/rules", args.requests, args.warmup,
                             headers={"Authorization": f"Bearer {key}"})
            pages = [("GET", "/dashboard", {}), ("GET", "/claims", {}), ("GET", "/claims?status=rejected", {}),
                     ("GET", "/claims?reason=INITIAL_WITHIN_60_DAYS&date_from=2025-06-01", {}),
                     ("GET", "/claims?page=50", {}), ("GET", f"/claims/{NPI}/{ids[0]}", {}),
                     ("GET", "/patients", {}), ("GET", f"/patients/{patient}", {}),
                     ("GET", "/reconciliations", {}), ("GET", "/reconciliations/1", {}),
                     ("GET", "/rates?year=2025&locality=11302-00", {}), ("GET", "/check", {}),
                     ("GET", "/directory?state=VA", {}), ("GET", "/directory?name=home+infusion", {}),
                     ("POST", "/check", {"data": {"csrf": csrf, "action": "check", "claim_text": example}})]
            for method, path, kw in pages:
                rows.append((f"{method} {path}", timed(client, method, path, args.requests, args.warmup, **kw)))
    finally:
        proc.terminate()
        proc.wait(15)
    base_p50 = statistics.median(baseline)
    print(f"baseline GET /v1/rules (JSON, same key): p50 {base_p50:.1f} ms, "
          f"p99 {_p99(baseline):.1f} ms over {len(baseline)} requests")
    print(f"{'page':<64} {'p50 ms':>8} {'p99 ms':>8} {'x base':>7}  p99 < {TARGET_MS:.0f} ms")
    failed = 0
    for name, times in rows:
        p50, p99 = statistics.median(times), _p99(times)
        ok = p99 < TARGET_MS
        failed += not ok
        print(f"{name:<64} {p50:8.1f} {p99:8.1f} {p50 / base_p50:7.1f}  {'yes' if ok else 'NO'}")
    print(f"data: {db} (reuse with --db)")
    return 1 if failed else 0


def _p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


if __name__ == "__main__":
    raise SystemExit(main())
