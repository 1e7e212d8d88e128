"""Workbench tests: plain ones with FastAPI's TestClient (the no-JavaScript flows, CSRF, tenancy,
de-identification) and browser ones with Playwright driving Debian's chromium against a real
``hitbenefit serve`` process. Screenshots land in tests/web/artifacts/ (not kept in git).

Chromium: ``/usr/bin/chromium`` (``apt-get install chromium``; .ci/run installs it) or
$HITBENEFIT_CHROMIUM. Without it the browser tests are skipped, and with CI=true they fail."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from hitbenefit.claims.read_json import claim_from_json
from hitbenefit.store import Store
from tests.api.conftest import free_port, serve_subprocess
from tests.store.conftest import IN_CI, claim_json, new_mbi, new_npi, tables, unique  # noqa: F401

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def chromium_path() -> str | None:
    for candidate in (os.environ.get("HITBENEFIT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client, key: str) -> None:
    """Sign a TestClient in through the sign-in form, as a browser without JavaScript would."""
    token = csrf_of(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"csrf": token, "api_key": key, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text


def seed_plans(store, principal, params) -> dict[str, str]:
    """Five patients of one supplier (synthetic), one per plan-of-care status: incomplete (no
    details), unsigned, awaiting re-signature (the dosage changed after the signature), review
    overdue, complete; the complete one has an open remote-monitoring alert. Returns status -> MBI."""
    from hitbenefit.care.monitoring import reading_from_json
    from hitbenefit.store.care import record_reading, set_plan_details
    from tests.care.conftest import DETAILS, PLAN

    today = date.today()
    out = {}
    for state in ("incomplete", "unsigned", "awaiting_resignature", "review_overdue", "complete"):
        mbi = new_mbi()
        changed = today - timedelta(days=201 if state == "review_overdue" else 10)
        content = dict(PLAN, last_changed=changed.isoformat())
        plan_id = store.create_plan_of_care(mbi, content, principal).plan_id
        if state != "incomplete":
            set_plan_details(store, plan_id, 1, DETAILS, principal)
        if state == "awaiting_resignature":
            store.sign_plan_version(plan_id, 1, "Dr Synthetic", today - timedelta(days=9), principal)
            store.add_plan_version(plan_id, dict(content, dosage="12 g", last_changed=today.isoformat()), principal)
            set_plan_details(store, plan_id, 2, DETAILS, principal)
        elif state == "review_overdue":
            store.sign_plan_version(plan_id, 1, "Dr Synthetic", today - timedelta(days=200), principal)
        elif state == "complete":
            store.sign_plan_version(plan_id, 1, "Dr Synthetic", today - timedelta(days=9), principal)
            store.review_plan_version(plan_id, 1, today - timedelta(days=2), principal)
            reading = reading_from_json({"kind": "systolic_bp", "value": "190", "unit": "mmHg",
                                         "taken_at": f"{today.isoformat()}T08:00:00+00:00", "channel": "phone"})
            record_reading(store, mbi, principal.supplier_npi, reading, principal, params, plan_id=plan_id)
        out[state] = mbi
    return out


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        message = "chromium is not installed (apt-get install chromium; or set HITBENEFIT_CHROMIUM)"
        if IN_CI:
            pytest.fail(f"CI=true requires the browser tests to run: {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


class Server:
    """A real ``hitbenefit serve`` on a fresh SQLite database, with keys and synthetic data."""

    def __init__(self, tmp: Path, tables) -> None:  # noqa: F811
        self.url_db = f"sqlite:///{tmp / 'web.db'}"
        self.npi, self.other_npi = "1234567893", new_npi()
        with Store.open(self.url_db) as store:
            self.supplier_key, supplier_id = store.create_api_key("supplier", supplier_npi=self.npi)
            self.other_key = store.create_api_key("supplier", supplier_npi=self.other_npi)[0]
            self.contractor_key = store.create_api_key("contractor")[0]
            self.analyst_key = store.create_api_key("analyst")[0]
            principal = store.authenticate(self.supplier_key)
            self.mbi = new_mbi()
            plan = dict(claim_json("P", "X", self.npi, [])["plan_of_care"], signed_date="2024-12-20",
                        last_changed="2024-12-20", last_reviewed="2024-12-20")
            prior = claim_from_json(claim_json("PRIOR-" + unique(), self.mbi, self.npi, [("G0069", "2025-01-02")],
                                               plan_of_care=plan))
            assert store.submit_claim(prior, principal, tables).decision.status == "paid"
            other = store.authenticate(self.other_key)  # another supplier's patient: an initial visit rejected
            other_mbi = new_mbi()
            for claim_id, code, day, status in (("O-1", "G0069", "2025-01-02", "paid"),
                                                ("O-2", "G0089", "2025-02-01", "rejected")):
                raw = claim_json(claim_id, other_mbi, self.other_npi, [(code, day)], plan_of_care=plan)
                assert store.submit_claim(claim_from_json(raw), other, tables).decision.status == status
            self.plans = seed_plans(store, principal, tables.params)
            from hitbenefit.directory.read_csv import read_directory_bytes
            from hitbenefit.directory.synthetic import synthetic_csv
            from hitbenefit.store.directory import import_directory
            import_directory(store.engine, read_directory_bytes(synthetic_csv(300, seed=3).encode(), "synthetic.csv"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = serve_subprocess(self.url_db, self.port, tmp, tmp / "serve.log")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except Exception:  # noqa: BLE001
            self.proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory, tables):  # noqa: F811
    running = Server(tmp_path_factory.mktemp("web-server"), tables)
    try:
        yield running
    finally:
        running.stop()
