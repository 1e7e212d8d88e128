"""The workbench in a real browser (Playwright + Debian's chromium) against a real server: sign in,
upload an 837P whose initial visit is rejected, read the reason and its citation, correct and
resubmit, see it paid; plan-of-care badges; the dashboard's charts; the sign-in form by keyboard.
A screenshot of each page goes to tests/web/artifacts/."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from hitbenefit.claims.read_json import claim_from_json
from hitbenefit.x12.write_837 import claims_to_837
from tests.web.conftest import ARTIFACTS, claim_json, unique


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.base, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.outside, pg.errors = [], []
    pg.on("request", lambda r: None if r.url.startswith(server.base) else pg.outside.append(r.url))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)  # CSP refusals too
    yield pg
    assert pg.outside == [], f"the pages fetched from elsewhere: {pg.outside}"
    assert [e for e in pg.errors if "401" not in e] == [], pg.errors
    context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, key: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/dashboard$"))


def test_rejected_initial_visit_fixed_and_paid(page, server, tmp_path):
    page.goto("/check")
    assert "/sign-in" in page.url  # signed out: the page asks for a key first
    shot(page, "sign-in")
    sign_in(page, server.supplier_key)
    page.goto("/check")
    shot(page, "check")

    # an 837P with an initial visit (G0089) 60 days after a stored visit: FAQ 24 rejects it
    claim_id = "WEB-" + unique()
    claim = claim_from_json(claim_json(claim_id, server.mbi, server.npi, [("G0089", "2025-03-03")]))
    x12 = tmp_path / "initial.837"
    x12.write_text(claims_to_837([claim], sender_id="SYNTHETIC", receiver_id="MAC", submitter_name="SYNTHETIC",
                                 receiver_name="MEDICARE PART B"))
    upload = page.get_by_role("region", name="Paste or upload")
    upload.get_by_label("Claim file").set_input_files(str(x12))
    upload.get_by_label("Payment locality (MAC-locality)").fill("11302-00")
    upload.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state()

    result = page.get_by_role("region", name=re.compile(f"Claim {claim_id}"))
    assert result.get_by_role("heading", name=re.compile(claim_id)).inner_text().endswith("Rejected")
    reason = result.locator("li.reason.rejected")
    text = reason.inner_text()
    assert "INITIAL_WITHIN_60_DAYS" in text
    assert "Bill the subsequent-visit code" in text  # the reason in plain English
    assert "FAQ 24" in text and "BPM 15 §320.8.3" in text  # and its citations
    assert "Stored." in result.inner_text()
    shot(page, "result-rejected")

    # correct: the subsequent-visit code of the same category, under a new claim id
    fixed_id = claim_id + "-R"
    form = result.get_by_role("form", name=f"Correct claim {claim_id}")
    assert form.get_by_label("New claim id").input_value() == fixed_id
    form.get_by_label("Code of line 1").fill("G0069")
    form.get_by_role("button", name="Submit corrected claim").click()
    page.wait_for_load_state()

    fixed = page.get_by_role("region", name=re.compile(f"Claim {fixed_id}"))
    assert fixed.get_by_role("heading", name=re.compile(fixed_id)).inner_text().endswith("Paid")
    first = fixed.locator("tbody tr").first
    cells = first.locator("td").all_inner_texts()
    assert cells[0] == "G0069" and cells[3] == "Paid"
    assert Decimal(cells[6].lstrip("$")) > 0  # Medicare pays
    assert "INITIAL_WITHIN_60_DAYS" not in fixed.inner_text()
    shot(page, "result-paid")

    # the stored claim's page: its decision, its payment trace and the beneficiary's history
    fixed.get_by_role("link", name="Open the claim page").click()
    page.wait_for_url(re.compile(f"/claims/{server.npi}/{re.escape(fixed_id)}$"))
    assert "Paid" in page.get_by_role("heading", level=1).inner_text()
    page.get_by_text("Payment trace, line by line").click()
    assert "G0069 is the subsequent visit code" in page.locator("details").first.inner_text()
    history = page.get_by_role("heading", name=re.compile("HIT history")).locator("xpath=following-sibling::table[1]")
    history_text = history.inner_text()
    assert claim_id in history_text and fixed_id in history_text and "Rejected" in history_text
    shot(page, "claim")

    # the claims list: filtered by reason key, only the rejected one
    page.goto("/claims")
    page.get_by_label("Reason key").select_option("INITIAL_WITHIN_60_DAYS")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_function("document.querySelectorAll('#claims-table tbody tr').length == 1")
    assert page.locator("#claims-table tbody tr").inner_text().startswith(claim_id)
    shot(page, "claims")


def test_plan_of_care_badges(page, server):
    sign_in(page, server.supplier_key)
    page.goto("/patients")
    expected = {"incomplete": "Incomplete", "unsigned": "Unsigned", "awaiting_resignature": "Awaiting re-signature",
                "review_overdue": "Review overdue", "complete": "Complete"}
    for state, mbi in server.plans.items():
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=mbi, exact=True))
        badges = row.locator(".plan .badge").all_inner_texts()
        assert badges == [expected[state]], (state, badges)
    shot(page, "patients")
    page.get_by_role("link", name=server.plans["awaiting_resignature"], exact=True).click()
    plan_row = page.locator("#plans-h + table tbody tr")
    assert plan_row.locator(".badge").all_inner_texts() == ["Awaiting re-signature"]
    assert "dosage" in plan_row.inner_text() and "FAQ 10 C" in plan_row.inner_text()
    assert "No open alerts" in page.get_by_role("region", name="Open remote-monitoring alerts").inner_text()
    shot(page, "patient-plan")
    page.goto("/patients")
    page.get_by_role("link", name=server.plans["complete"], exact=True).click()
    alerts = page.get_by_role("region", name="Open remote-monitoring alerts").inner_text()
    assert "systolic bp" in alerts and "190" in alerts and "FAQ 14" in alerts
    shot(page, "patient-alert")

    page.goto("/patients")
    page.get_by_role("link", name=server.mbi, exact=True).click()
    calendar = page.locator(".calendar")
    assert "January 2025" in calendar.inner_text()
    infusion = calendar.locator("td.infusion").first
    assert "G0069 subsequent" in infusion.inner_text() and "infusion day" in infusion.inner_text()
    shot(page, "patient-calendar")


def test_dashboard_draws_its_charts(page, server, tmp_path):
    from hitbenefit.service import load_tables
    from hitbenefit.store import Store
    from hitbenefit.store.records import decision_from_json
    from hitbenefit.x12.write_835 import decisions_to_835

    sign_in(page, server.contractor_key)
    # the payer's 835 for the stored claims (synthetic: written by our own 835 writer), reconciled
    with Store.open(server.url_db) as store:
        stored = store.get_claim(next(iter(_claim_ids(store))), store.authenticate(server.contractor_key))
    claim = claim_from_json(stored.claim)
    remit = tmp_path / "payer.835"
    remit.write_text(decisions_to_835([claim], [decision_from_json(stored.decision, load_tables().params)],
                                      payer_name="SYNTHETIC PAYER", payer_id="SYNTH"))
    page.goto("/reconciliations")
    page.get_by_label("835 file").set_input_files(str(remit))
    page.get_by_role("button", name="Reconcile").click()
    page.wait_for_url(re.compile(r"/reconciliations/\d+$"))
    assert "paid as expected" in page.locator("tbody").first.inner_text()
    shot(page, "reconciliation")

    page.goto("/dashboard")
    for section in ("#chart-payments", "#chart-reasons", "#chart-reconciliations"):
        svg = page.locator(f"{section} svg")
        assert svg.count() == 1, section
        assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-label")
        assert svg.locator("rect").count() > 0, section
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 20, section
    assert "INITIAL_WITHIN_60_DAYS" in page.locator("#chart-reasons svg").inner_html()
    assert "Category 2" in page.locator("#chart-payments svg").inner_html()
    shot(page, "dashboard")
    page.goto("/directory")
    page.get_by_label("State").fill("VA")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"state=VA"))
    assert page.get_by_role("status").inner_text().split()[0].isdigit()
    assert page.locator("tbody tr").count() > 0 and "(SYNTHETIC)" in page.locator("tbody").inner_text()
    shot(page, "directory")
    for path, name in (("/rates?year=2025&locality=11302-00", "rates"), ("/reconciliations", "reconciliations")):
        page.goto(path)
        assert page.get_by_role("heading", level=1).count() == 1
        shot(page, name)
    assert "ESTIMATE" in page.goto("/rates?year=2025").text()


def _claim_ids(store):
    import sqlalchemy as sa
    from hitbenefit.store.schema import claims
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(claims.c.claim_id).order_by(claims.c.id)).scalars())


def test_sign_in_by_keyboard_only(page, server):
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert page.evaluate("getComputedStyle(document.activeElement).left") == "0px"  # the skip link shows
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "hitbenefit workbench"
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.id, getComputedStyle(document.activeElement).outlineStyle]")
    assert focused == ["api_key", "solid"]  # the key field, with a visible focus ring
    page.keyboard.type(server.analyst_key)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert "Signed in as analyst" in page.locator("header").inner_text()
    # a wrong key: the error is announced and the field marked invalid
    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/sign-in$"))
    for _ in range(3):
        page.keyboard.press("Tab")
    page.keyboard.type("hbk_000000000000_wrong")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "not valid" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("API key").get_attribute("aria-invalid") == "true"
