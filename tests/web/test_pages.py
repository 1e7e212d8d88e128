"""The workbench without JavaScript (FastAPI's TestClient, plain form posts), on SQLite and
PostgreSQL: checking and submitting, downloads, CSRF, tenancy, analysts' de-identification,
sessions, and the stylesheet's contrast."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import simplejson

from hitbenefit.claims.read_json import claim_from_json
from tests.api.conftest import db_url, databases, make_client, store  # noqa: F401
from tests.web.conftest import claim_json, csrf_of, new_mbi, new_npi, sign_in, tables, unique  # noqa: F401

CSS = Path(__file__).resolve().parents[2] / "src" / "hitbenefit" / "web" / "static" / "workbench.css"


@pytest.fixture
def web(store, tables):  # noqa: F811
    with make_client(store, tables) as c:
        yield c


@pytest.fixture
def other(store, tables):  # noqa: F811
    with make_client(store, tables) as c:
        yield c


def supplier(store, npi=None):  # noqa: F811
    npi = npi or new_npi()
    return store.create_api_key("supplier", supplier_npi=npi)[0], npi


def signed_claim(claim_id, mbi, npi, visits):
    plan = dict(claim_json("P", "X", npi, [])["plan_of_care"], signed_date="2024-12-20", last_changed="2024-12-20",
                last_reviewed="2024-12-20")
    return claim_json(claim_id, mbi, npi, visits, plan_of_care=plan)


def post_check(client, action, text, **more):
    page = client.get("/check")
    return client.post("/check", data={"csrf": csrf_of(page.text), "action": action, "claim_text": text, **more})


def claim_ids(client, **filters) -> list[str]:
    html = client.get("/claims", params=filters).text
    return re.findall(r'<th scope="row"><a href="/claims/\d+/[^"]+">([^<]+)</a>', html)


def test_signed_out_pages_send_to_sign_in_and_the_cookie_is_strict(web, store):
    response = web.get("/claims", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=/claims"
    key, _ = supplier(store)
    token = csrf_of(web.get("/sign-in").text)
    response = web.post("/sign-in", data={"csrf": token, "api_key": key, "next": "//evil.example/"},
                        follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"  # no open redirect
    cookie = response.headers["set-cookie"]
    assert "hb_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert key not in cookie


def test_a_wrong_key_is_refused(web):
    token = csrf_of(web.get("/sign-in").text)
    response = web.post("/sign-in", data={"csrf": token, "api_key": "hbk_0123456789ab_nope"})
    assert response.status_code == 401 and "not valid" in response.text
    assert web.get("/claims", follow_redirects=False).status_code == 303


def test_check_stores_nothing_submit_stores_and_downloads(web, store):
    key, npi = supplier(store)
    sign_in(web, key)
    claim_id, mbi = unique("W-"), new_mbi()
    text = simplejson.dumps(signed_claim(claim_id, mbi, npi, [("G0089", "2025-03-03")]), use_decimal=True)
    checked = post_check(web, "check", text)
    assert checked.status_code == 200 and "nothing was stored" in checked.text
    assert claim_id not in claim_ids(web)

    submitted = post_check(web, "submit", text)
    assert submitted.status_code == 200 and "Stored." in submitted.text
    assert claim_ids(web) == [claim_id]
    page = web.get(f"/claims/{npi}/{claim_id}")
    assert page.status_code == 200 and "Paid" in page.text and mbi in page.text

    decision = web.get(f"/claims/{npi}/{claim_id}/decision.json")
    assert decision.headers["content-disposition"].startswith("attachment")
    assert decision.json()["claim_id"] == claim_id and decision.json()["status"] == "paid"
    x835 = web.get(f"/claims/{npi}/{claim_id}/decision.835")
    assert x835.text.startswith("ISA") and f"CLP*{claim_id}*1*" in x835.text
    fhir = web.get(f"/claims/{npi}/{claim_id}/decision.fhir")
    assert fhir.json()["resourceType"] == "Bundle"

    # a checked claim's decision downloads too (the form posts the claim back)
    form = web.get("/check")
    response = web.post("/check/download", data={"csrf": csrf_of(form.text), "format": "json",
                                                 "claim_json": text})
    assert response.json()["claim_id"] == claim_id


def test_the_one_line_form_and_the_correction_form(web, store, tables):  # noqa: F811
    key, npi = supplier(store)
    sign_in(web, key)
    mbi = new_mbi()
    prior = claim_from_json(signed_claim(unique("P-"), mbi, npi, [("G0069", "2025-01-02")]))
    store.submit_claim(prior, store.authenticate(key), tables)
    claim_id = unique("F-")
    form = {"mode": "form", "claim_id": claim_id, "supplier_npi": npi, "mbi": mbi, "locality": "11302-00",
            "service_date": "2025-03-03", "hcpcs": "G0089", "units": "4", "charge": "300.00", "drug_hcpcs": "J1559",
            "drug_units": "40"}
    response = post_check(web, "submit", "", **form)
    assert response.status_code == 200 and "INITIAL_WITHIN_60_DAYS" in response.text and "FAQ 24" in response.text
    original = re.search(r'name="claim_json" value="([^"]+)"', response.text).group(1)
    import html
    corrected = {"csrf": csrf_of(response.text), "action": "resubmit", "claim_json": html.unescape(original),
                 "claim_id": claim_id + "-R", "hcpcs_1": "G0069"}
    fixed = web.post("/check", data=corrected)
    assert fixed.status_code == 200 and "Stored." in fixed.text
    assert json.loads(web.get(f"/claims/{npi}/{claim_id}-R/decision.json").text)["status"] == "paid"
    assert sorted(claim_ids(web, status="rejected")) == [claim_id]
    assert sorted(claim_ids(web, reason="INITIAL_WITHIN_60_DAYS")) == [claim_id]
    assert claim_ids(web, date_from="2025-03-01", status="paid") == [claim_id + "-R"]


def test_unreadable_input_names_the_field_and_stores_nothing(web, store):
    key, npi = supplier(store)
    sign_in(web, key)
    bad = signed_claim(unique("B-"), new_mbi(), npi, [("G0069", "2025-03-03")])
    bad["lines"][0]["charge"] = "450"
    response = post_check(web, "submit", simplejson.dumps(bad, use_decimal=True))
    assert response.status_code == 422 and "line 1" in response.text and "charge" in response.text
    assert claim_ids(web) == []


def test_csrf_is_required_on_every_form(web, other, store):
    key, npi = supplier(store)
    sign_in(web, key)
    sign_in(other, supplier(store, npi)[0])
    text = simplejson.dumps(signed_claim(unique("C-"), new_mbi(), npi, [("G0069", "2025-03-03")]), use_decimal=True)
    assert web.post("/check", data={"action": "submit", "claim_text": text}).status_code == 403
    foreign = csrf_of(other.get("/check").text)  # another session's token
    assert web.post("/check", data={"csrf": foreign, "action": "submit", "claim_text": text}).status_code == 403
    assert web.post("/sign-out", data={"csrf": foreign}).status_code == 403
    assert web.post("/check/download", data={"format": "json", "claim_text": text}).status_code == 403
    assert web.post("/reconciliations", files={"remittance": ("r.835", b"ISA*")}).status_code == 403
    assert web.get("/claims").status_code == 200 and claim_ids(web) == []  # still signed in, nothing stored
    fresh = type(web)(web.app)
    response = fresh.post("/sign-in", data={"csrf": "made-up", "api_key": key})  # no sign-in cookie
    assert response.status_code == 403 and "hb_session" not in response.headers.get("set-cookie", "")


def test_a_supplier_sees_only_its_own(web, other, store, tables):  # noqa: F811
    key_a, npi_a = supplier(store)
    key_b, npi_b = supplier(store)
    mbi = new_mbi()
    claim_id = unique("T-")
    result = store.submit_claim(claim_from_json(signed_claim(claim_id, mbi, npi_a, [("G0069", "2025-03-03")])),
                                store.authenticate(key_a), tables)
    sign_in(web, key_a)
    sign_in(other, key_b)
    assert web.get(f"/claims/{npi_a}/{claim_id}").status_code == 200
    assert other.get(f"/claims/{npi_a}/{claim_id}").status_code == 404
    assert other.get(f"/claims/{npi_a}/{claim_id}/decision.json").status_code == 404
    assert claim_id not in claim_ids(other) and mbi not in other.get("/patients").text
    beneficiary = re.search(r'href="/patients/(\d+)"', web.get(f"/claims/{npi_a}/{claim_id}").text).group(1)
    assert web.get(f"/patients/{beneficiary}").status_code == 200
    assert other.get(f"/patients/{beneficiary}").status_code == 404
    # B cannot submit as A
    text = simplejson.dumps(signed_claim(unique("T-"), mbi, npi_a, [("G0069", "2025-03-10")]), use_decimal=True)
    response = post_check(other, "submit", text)
    assert "may only send claims of its own supplier" in response.text
    assert claim_ids(web) == [claim_id]
    assert result.created


def test_an_analyst_sees_no_direct_identifiers(web, store, tables):  # noqa: F811
    key, npi = supplier(store)
    mbi, claim_id = new_mbi(), unique("A-")
    claim = signed_claim(claim_id, mbi, npi, [("G0069", "2025-03-03")])
    claim["extra"] = {"subscriber": {"last_name": "SYNTHETICNAME"}}
    store.submit_claim(claim_from_json(claim), store.authenticate(key), tables)
    sign_in(web, store.create_api_key("analyst")[0])
    listing = web.get("/claims").text
    assert claim_id in listing and mbi not in listing
    page = web.get(f"/claims/{npi}/{claim_id}")
    assert page.status_code == 200 and mbi not in page.text and "SYNTHETICNAME" not in page.text
    beneficiary = re.search(r'href="/patients/(\d+)"', page.text).group(1)
    patient = web.get(f"/patients/{beneficiary}")
    assert patient.status_code == 200 and mbi not in patient.text and f"#{beneficiary}" in patient.text
    assert mbi not in web.get("/patients").text
    assert mbi not in web.get(f"/claims/{npi}/{claim_id}/decision.json").text
    assert web.get(f"/claims/{npi}/{claim_id}/decision.835").status_code == 403
    text = simplejson.dumps(signed_claim(unique("A-"), new_mbi(), npi, [("G0069", "2025-03-03")]), use_decimal=True)
    assert post_check(web, "submit", text).status_code == 403


def test_signing_out_and_revoking_end_the_session(web, store):
    key, _ = supplier(store)
    sign_in(web, key)
    page = web.get("/claims")
    assert web.post("/sign-out", data={"csrf": csrf_of(page.text)}, follow_redirects=False).status_code == 303
    assert web.get("/claims", follow_redirects=False).status_code == 303
    sign_in(web, key)
    key_id = next(k.id for k in store.list_api_keys() if key.startswith(f"hbk_{k.prefix}_"))
    store.revoke_api_key(key_id)
    assert web.get("/claims", follow_redirects=False).status_code == 303


def test_disabling_the_user_ends_their_session(web, store):
    npi = new_npi()
    email = f"{npi}@example.test"
    store.create_user("Synthetic Biller", email, "supplier", supplier_npi=npi)
    key, _ = store.create_api_key("supplier", user_email=email)
    sign_in(web, key)
    assert web.get("/claims", follow_redirects=False).status_code == 200
    store.disable_user(email)
    assert web.get("/claims", follow_redirects=False).status_code == 303


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_badge_and_text_colours_have_enough_contrast():
    css = CSS.read_text()
    backgrounds = re.findall(r"\.badge\.[^{]+\{\s*background:\s*(#[0-9a-f]{6})", css)
    assert len(backgrounds) >= 6
    for colour in backgrounds:  # white bold text on each badge
        assert contrast(colour, "#ffffff") >= 4.5, colour
    variables = dict(re.findall(r"--(\w+):\s*(#[0-9a-f]{6})", css))
    for name in ("ink", "muted", "link"):
        assert contrast(variables[name], "#ffffff") >= 4.5 and contrast(variables[name], variables["band"]) >= 4.5


def test_directory_search(web, store):
    from hitbenefit.directory.read_csv import read_directory_bytes
    from hitbenefit.directory.synthetic import synthetic_csv
    from hitbenefit.store.directory import Query, import_directory, search_directory

    sign_in(web, supplier(store)[0])
    if "No supplier directory has been imported" in web.get("/directory").text:
        import_directory(store.engine, read_directory_bytes(synthetic_csv(300, seed=3).encode(), "synthetic.csv"))
    expected = search_directory(store.engine, Query.make(state="VA"), limit=500).total
    page = web.get("/directory", params={"state": "va"})
    assert page.status_code == 200 and expected > 0
    assert f"{expected} supplier" in page.text and "(SYNTHETIC)" in page.text
    assert "state:" in web.get("/directory", params={"state": "Narnia"}).text  # the field is named
