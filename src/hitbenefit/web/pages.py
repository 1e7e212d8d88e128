"""The workbench's pages. Every page works without JavaScript (forms POST, then render or
redirect); htmx only swaps the claims table in place. Thin: read the form, call the store and the
service, render a template."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import simplejson
from fastapi import APIRouter, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from hitbenefit import charts, service
from hitbenefit.api.routes import deidentify
from hitbenefit.claims.model import Claim
from hitbenefit.claims.read_json import ClaimInputError, claim_from_json
from hitbenefit.claims.write_json import claim_to_json
from hitbenefit.engine.adjudicate import contract_order
from hitbenefit.money import loads_exact
from hitbenefit.store import AmbiguousClaim, ClaimConflict, Forbidden, listing
from hitbenefit.store.records import decision_from_json
from hitbenefit.web import present
from hitbenefit.web.session import (COOKIE, SIGN_IN_COOKIE, User, csrf_ok, current, remote, safe_next, set_cookie,
                                    sign_in_token)

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 1_000_000
PATIENTS_PAGE = 25  # each row's plans get their full status (care/plan.py)
env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                  autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                  lstrip_blocks=True)
env.globals.update(money=present.money, STATUS_WORDS=present.STATUS_WORDS, PLAN_WORDS=present.PLAN_WORDS)
NAV = [("/check", "Check a claim"), ("/claims", "Claims"), ("/patients", "Patients"), ("/dashboard", "Dashboard"),
       ("/reconciliations", "Reconciliations"), ("/rates", "Rates"), ("/directory", "Directory")]
SECURITY = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                       "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
FORMATS = {"json": ("application/json", "json"), "835": ("application/edi-x12", "835"),
           "fhir": ("application/fhir+json", "fhir.json")}


def render(request: Request, name: str, user=None, status: int = 200, **context: Any) -> HTMLResponse:
    context.update(request=request, user=user, nav=NAV, path=request.url.path,
                   csrf=user.csrf if user else None, principal=user.principal if user else None)
    return HTMLResponse(env.get_template(name).render(context), status_code=status, headers=SECURITY)


def _tables(request: Request):
    return request.app.state.tables


def _store(request: Request):
    return request.app.state.store


async def _form(request: Request, user) -> FormData | Response:
    form = await request.form(max_files=2, max_fields=400, max_part_size=MAX_UPLOAD)
    if not csrf_ok(user.csrf, form.get("csrf")):
        return render(request, "error.html", user, 403, title="Form expired",
                      message="This form was not sent from a page of this session (CSRF check). Go back, reload "
                              "the page and send it again.")
    return form


# ---- signing in -----------------------------------------------------------------------------------
@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/"):
    token = sign_in_token(request)
    response = render(request, "sign_in.html", None, sign_in_token=token, next=safe_next(next))
    set_cookie(response, request, SIGN_IN_COOKIE, token, 3600)
    return response


@router.post("/sign-in")
async def sign_in(request: Request):
    form = await request.form(max_files=0, max_fields=10)
    token = sign_in_token(request)
    nxt = safe_next(form.get("next"))
    if not csrf_ok(request.cookies.get(SIGN_IN_COOKIE), form.get("csrf")):
        response = render(request, "sign_in.html", None, 403, sign_in_token=token, next=nxt,
                          error="The sign-in form expired. Paste your key and sign in again.")
        set_cookie(response, request, SIGN_IN_COOKIE, token, 3600)
        return response
    key = str(form.get("api_key") or "").strip()
    store, buckets = _store(request), request.app.state.buckets
    principal = await run_in_threadpool(store.authenticate, key) if key else None
    if principal is None:
        wait = buckets.take(("remote", remote(request)))
        message = ("Too many failed sign-ins from this address; wait a moment." if wait else
                   "That key is not valid (unknown, mistyped or revoked). Paste the whole key, starting hbk_.")
        response = render(request, "sign_in.html", None, 429 if wait else 401, sign_in_token=token, next=nxt,
                          error=message)
        set_cookie(response, request, SIGN_IN_COOKIE, token, 3600)
        return response
    session_id, _ = await run_in_threadpool(listing.create_session, store, principal, remote(request))
    response = RedirectResponse(nxt, status_code=303)
    set_cookie(response, request, COOKIE, session_id, listing.SESSION_HOURS * 3600)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, user: User):
    form = await _form(request, user)
    if isinstance(form, Response):
        return form
    await run_in_threadpool(listing.end_session, _store(request), request.cookies.get(COOKIE, ""), user.principal,
                            remote(request))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request):
    return RedirectResponse("/dashboard" if current(request) else "/sign-in", status_code=303)


# ---- check a claim --------------------------------------------------------------------------------
def _read(data: bytes, source: str, locality: str | None) -> service.ReadResult:
    result = service.ReadResult()
    service._read_one(io.BufferedReader(io.BytesIO(data)), source, locality, result)
    return result


def _locality(value: object) -> tuple[str | None, str | None]:
    from hitbenefit.rates.files import normalize_locality
    text = str(value or "").strip()
    if not text:
        return None, None
    try:
        return normalize_locality(text, allow_national=False), None
    except ValueError as exc:
        return None, f"Locality: {exc}"


def _one_line_claim(form: FormData) -> dict:
    """A contract claim (CONTRACT §1) from the simple form: one visit line and its drug line."""
    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    lines = [{"line": 1, "hcpcs": text("hcpcs").upper(), "units": _number(text("units")),
              "service_date": text("service_date"), "charge": _number(text("charge"), money=True),
              "place_of_service": "12"}]
    if text("drug_hcpcs"):
        lines.append({"line": 2, "hcpcs": text("drug_hcpcs").upper(), "modifiers": ["JB"],
                      "units": _number(text("drug_units")), "service_date": text("service_date"), "charge": 0,
                      "place_of_service": "12"})
    claim: dict[str, Any] = {"claim_id": text("claim_id"), "supplier": {"npi": text("supplier_npi")},
                             "beneficiary": {"mbi": text("mbi").upper()}, "lines": lines}
    if text("locality"):
        claim["service_locality"] = text("locality")
    return claim


def _number(text: str, money: bool = False) -> Any:
    try:
        return Decimal(text) if money or "." in text else int(text)
    except (ArithmeticError, ValueError):
        return text  # the contract reader names the field and what it expected


def _corrected_claim(form: FormData) -> dict:
    """The claim of a result page with the biller's corrections: a new claim id, each line's code,
    units, date and charge."""
    claim = loads_exact(str(form.get("claim_json") or "{}"))
    claim["claim_id"] = str(form.get("claim_id") or "").strip()
    for line in claim.get("lines", ()):
        n = line.get("line")
        for name in ("hcpcs", "units", "service_date", "charge"):
            value = form.get(f"{name}_{n}")
            if value is not None and str(value).strip():
                value = str(value).strip()
                line[name] = (value.upper() if name == "hcpcs" else
                              _number(value) if name == "units" else
                              _number(value, money=True) if name == "charge" else value)
    return claim


def _decide(store, tables, principal, claims_in: list[Claim], submit: bool, who: str | None) -> list[dict]:
    """Check or submit each claim (submissions in contract order, CONTRACT §5); one result each."""
    results: list[dict | None] = [None] * len(claims_in)
    order = contract_order(claims_in) if submit else range(len(claims_in))
    for i in order:
        claim = claims_in[i]
        item: dict[str, Any] = {"claim": claim, "claim_json": simplejson.dumps(claim_to_json(claim), use_decimal=True),
                                "submitted": submit, "created": None, "error": None, "decision": None}
        try:
            if submit:
                result = store.submit_claim(claim, principal, tables, remote=who)
                item["decision"], item["created"] = result.decision, result.created
            else:
                item["decision"] = store.check_claim(claim, principal, tables, remote=who)
        except Forbidden as exc:
            item["error"] = str(exc)
        except ClaimConflict as exc:
            item["error"] = str(exc)
        if item["decision"] is not None:
            item["lines"] = present.decision_view(item["decision"], tables.params)
        results[i] = item
    return results  # type: ignore[return-value]


@router.get("/check")
def check_page(request: Request, user: User):
    return render(request, "check.html", user, today=date.today().isoformat())


@router.post("/check")
async def check(request: Request, user: User):
    form = await _form(request, user)
    if isinstance(form, Response):
        return form
    locality, error = _locality(form.get("locality"))
    action = form.get("action")
    submit = action in ("submit", "resubmit")
    if submit and user.principal.role == "analyst":
        return render(request, "check.html", user, 403, error="An analyst key is read-only: check, do not submit.")
    claims_in: list[Claim] = []
    errors: list[str] = [error] if error else []
    if action == "resubmit" or form.get("mode") == "form":
        source = "corrected claim" if action == "resubmit" else "form"
        try:
            raw = _corrected_claim(form) if action == "resubmit" else _one_line_claim(form)
            claims_in.append(claim_from_json(raw, source, 1))
        except ClaimInputError as exc:
            errors.append(str(exc))
        except (ValueError, TypeError) as exc:
            errors.append(f"{source}: not a claim ({exc.__class__.__name__})")
    elif not errors:
        upload = form.get("claim_file")
        data, source = b"", "pasted claim"
        if isinstance(upload, UploadFile) and upload.filename:
            data, source = await upload.read(MAX_UPLOAD + 1), Path(upload.filename).name or "upload"
        if not data.strip():
            data = str(form.get("claim_text") or "").encode("utf-8")
        if len(data) > MAX_UPLOAD:
            errors.append(f"{source}: over {MAX_UPLOAD // 1_000_000} MB; use a batch (POST /v1/batches)")
        elif not data.strip():
            errors.append("Paste a claim, choose a file, or fill in the one-line form.")
        else:
            read = await run_in_threadpool(_read, data, source, locality)
            claims_in, errors = read.claims, [str(e) for e in read.errors]
    if errors or not claims_in:
        return render(request, "check.html", user, 422, errors=errors or ["No claim found in the input."],
                      form=dict(form), today=date.today().isoformat())
    results = await run_in_threadpool(_decide, _store(request), _tables(request), user.principal, claims_in, submit,
                                      remote(request))
    return render(request, "result.html", user, results=results, submitted=submit)


@router.post("/check/download")
async def check_download(request: Request, user: User):
    """A checked claim's decision as JSON, 835 or FHIR (checked again against the stored history)."""
    form = await _form(request, user)
    if isinstance(form, Response):
        return form
    try:
        claim = claim_from_json(loads_exact(str(form.get("claim_json") or "{}")), "claim", 1)
    except (ClaimInputError, ValueError) as exc:
        return render(request, "error.html", user, 422, title="Cannot download", message=str(exc))
    try:
        decision = await run_in_threadpool(_store(request).check_claim, claim, user.principal, _tables(request),
                                           remote(request))
    except Forbidden as exc:
        return render(request, "error.html", user, 403, title="Not allowed", message=str(exc))
    return _download(request, user, claim, decision, str(form.get("format") or "json"))


def _download(request: Request, user, claim: Claim | None, decision, fmt: str) -> Response:
    if fmt not in FORMATS:
        return render(request, "error.html", user, 404, title="Unknown format", message="Choose JSON, 835 or FHIR.")
    media, ext = FORMATS[fmt]
    if fmt == "json":
        body = simplejson.dumps(decision.to_json() if claim is not None else decision, use_decimal=True, indent=2)
    elif claim is None:
        return render(request, "error.html", user, 403, title="Not available",
                      message="835 and FHIR files carry direct identifiers: not for an analyst key.")
    elif fmt == "835":
        from hitbenefit.x12.envelope import X12WriteError
        from hitbenefit.x12.write_835 import decisions_to_835
        try:
            body = decisions_to_835([claim], [decision], payer_name="MEDICARE PART B", payer_id="MEDICARE")
        except X12WriteError as exc:
            return render(request, "error.html", user, 422, title="No 835 for this decision", message=str(exc))
    else:
        from hitbenefit.fhir import decisions_to_fhir
        body = decisions_to_fhir([claim], [decision])
    name = f"{claim.claim_id if claim is not None else decision['claim_id']}-decision.{ext}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return Response(body, media_type=media, headers={**SECURITY, "Content-Disposition": f'attachment; filename="{safe}"'})


# ---- claims ---------------------------------------------------------------------------------------
def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/claims")
def claims_page(request: Request, user: User, status: str = "", reason: str = "", supplier: str = "",
                date_from: str = "", date_to: str = "", page: int = 1):
    store, principal = _store(request), user.principal
    page = max(1, min(page, 100_000))
    filters = listing.ClaimFilters(status or None, reason.strip().upper() or None, supplier.strip() or None,
                                   _date(date_from), _date(date_to))
    rows, total = listing.list_claims(store, principal, filters, _tables(request).params,
                                      (page - 1) * listing.PAGE, listing.PAGE, remote(request))
    context = dict(rows=rows, total=total, page=page, pages=max(1, -(-total // listing.PAGE)),
                   filters={"status": status, "reason": reason, "supplier": supplier, "date_from": date_from,
                            "date_to": date_to},
                   reasons=sorted(k for k, s in _tables(request).params.reasons.items()
                                  if s.outcome in ("denied", "rejected", "warning")),
                   suppliers=listing.claim_suppliers(store, principal))
    if request.headers.get("hx-request") == "true":
        return render(request, "_claims_table.html", user, **context)
    return render(request, "claims.html", user, **context)


def _stored(request: Request, user, supplier_npi: str, claim_id: str):
    try:
        return _store(request).get_claim(claim_id, user.principal, supplier_npi, remote=remote(request))
    except AmbiguousClaim:
        return None


@router.get("/claims/{supplier_npi}/{claim_id}")
def claim_page(request: Request, user: User, supplier_npi: str, claim_id: str):
    store, tables, principal = _store(request), _tables(request), user.principal
    stored = _stored(request, user, supplier_npi, claim_id)
    if stored is None:
        return render(request, "error.html", user, 404, title="No such claim",
                      message=f"No claim {claim_id} of supplier {supplier_npi} that you may read.")
    decision = decision_from_json(stored.decision, tables.params)
    mbi = listing.mbi_of(store, stored.beneficiary_id)
    history = store.beneficiary_history(mbi, principal, remote=remote(request)) if mbi else []
    claim_json = stored.claim if principal.role != "analyst" else deidentify(stored.claim)
    return render(request, "claim.html", user, stored=stored, decision=decision,
                  lines=present.decision_view(decision, tables.params), history=history,
                  claim_json=simplejson.dumps(claim_json, use_decimal=True),
                  beneficiary=f"#{stored.beneficiary_id}" if principal.role == "analyst" else mbi)


@router.get("/claims/{supplier_npi}/{claim_id}/decision.{fmt}")
def claim_download(request: Request, user: User, supplier_npi: str, claim_id: str, fmt: str):
    stored = _stored(request, user, supplier_npi, claim_id)
    if stored is None:
        return render(request, "error.html", user, 404, title="No such claim",
                      message=f"No claim {claim_id} of supplier {supplier_npi} that you may read.")
    if user.principal.role == "analyst":
        return _download(request, user, None, deidentify(stored.decision), fmt)
    tables = _tables(request)
    claim = claim_from_json(stored.claim, "stored claim", 1)
    return _download(request, user, claim, decision_from_json(stored.decision, tables.params), fmt)


# ---- patients -------------------------------------------------------------------------------------
@router.get("/patients")
def patients_page(request: Request, user: User, page: int = 1):
    store, principal = _store(request), user.principal
    page = max(1, min(page, 100_000))
    rows, total = listing.list_patients(store, principal, (page - 1) * PATIENTS_PAGE, PATIENTS_PAGE, remote(request))
    statuses = listing.plan_statuses(store, [p for r in rows for p in r.plans], date.today(), principal,
                                     _tables(request).params, remote(request))
    return render(request, "patients.html", user, rows=rows, statuses=statuses, total=total, page=page,
                  pages=max(1, -(-total // PATIENTS_PAGE)))


@router.get("/patients/{beneficiary_id}")
def patient_page(request: Request, user: User, beneficiary_id: int):
    from hitbenefit.store.care import list_alerts
    store, principal, params = _store(request), user.principal, _tables(request).params
    if not listing.may_see_beneficiary(store, principal, beneficiary_id):
        store._audit_alone(principal, "beneficiary.read", "not_found", remote=remote(request))
        return render(request, "error.html", user, 404, title="No such patient",
                      message="No patient with that number that you may see.")
    mbi = listing.mbi_of(store, beneficiary_id)
    who = remote(request)
    plans = store.list_plans_of_care(mbi, principal, remote=who)
    history = store.beneficiary_history(mbi, principal, remote=who)
    today = date.today()
    statuses = listing.plan_statuses(store, [p.plan_id for p in plans], today, principal, params, who)
    allowed, why = present.next_initial_visit(listing.last_accepted_visit(store, beneficiary_id), today, params)
    alerts = list_alerts(store, principal, status="open", mbi=mbi, remote=who)
    return render(request, "patient.html", user, beneficiary_id=beneficiary_id,
                  mbi=None if principal.role == "analyst" else mbi,
                  plans=[(p, p.versions[-1], statuses[p.plan_id]) for p in plans],
                  months=present.visit_calendar(history), next_initial=allowed, next_why=why, alerts=alerts)


# ---- dashboard ------------------------------------------------------------------------------------
@router.get("/dashboard")
def dashboard(request: Request, user: User):
    store, principal, params = _store(request), user.principal, _tables(request).params
    months, by_category = listing.payments_by_month(store, principal)
    series = [(f"Category {c}" if c else "Other", values) for c, values in by_category.items()]
    reasons = listing.denials_by_reason(store, principal, params)
    recs = listing.list_reconciliations(store, principal, limit=12)
    svg = {
        "payments": charts.stacked_vbar("Payments by service month and payment category", months, series),
        "reasons": charts.hbar("Denied and rejected lines by reason key", [(k, d + r) for k, d, r in reasons[:15]]),
        "reconciliations": charts.paired_hbar("Expected and remitted, by reconciliation", ("Expected", "Remitted"),
                                              [(f"#{r.id} {r.source}"[:40], r.expected, r.remitted)
                                               for r in reversed(recs)]),
    }
    totals = [sum(v[i] for _, v in series) for i in range(len(months))]
    return render(request, "dashboard.html", user, svg=svg, months=months, series=series, totals=totals,
                  reasons=reasons, recs=recs)


# ---- reconciliations ------------------------------------------------------------------------------
@router.get("/reconciliations")
def reconciliations_page(request: Request, user: User):
    return render(request, "reconciliations.html", user,
                  recs=listing.list_reconciliations(_store(request), user.principal, limit=100))


def _reconcile(store, tables, principal, data: bytes, source: str, who: str | None) -> int:
    from hitbenefit.reconcile import reconcile
    from hitbenefit.x12.read_835 import read_835
    remittances = list(read_835(io.BytesIO(data), source))
    ids = [p.claim_id for r in remittances for p in r.claims]
    payees = [r.payee_npi for r in remittances]
    pairs = listing.stored_decisions(store, principal, ids, payees, remote=who)
    claims_in = [claim_from_json(c, "stored claim", 1) for c, _ in pairs]
    expected = [decision_from_json(d, tables.params) for _, d in pairs]
    report = reconcile(expected, remittances, claims_in)
    return listing.save_reconciliation(store, principal, source, report, remote=who)


@router.post("/reconciliations")
async def reconcile_upload(request: Request, user: User):
    from hitbenefit.x12.segments import X12Error
    form = await _form(request, user)
    if isinstance(form, Response):
        return form
    store = _store(request)
    if user.principal.role == "analyst":
        return render(request, "reconciliations.html", user, 403, recs=listing.list_reconciliations(store, user.principal),
                      error="An analyst key is read-only.")
    upload = form.get("remittance")
    data = await upload.read(MAX_UPLOAD + 1) if isinstance(upload, UploadFile) else b""
    source = Path(upload.filename or "upload.835").name if isinstance(upload, UploadFile) else "upload.835"
    error = None
    if not data.strip():
        error = "Choose an 835 file."
    elif len(data) > MAX_UPLOAD:
        error = f"{source}: over {MAX_UPLOAD // 1_000_000} MB."
    else:
        try:
            ref = await run_in_threadpool(_reconcile, store, _tables(request), user.principal, data, source,
                                          remote(request))
            return RedirectResponse(f"/reconciliations/{ref}", status_code=303)
        except (X12Error, ClaimInputError, ValueError) as exc:
            error = str(exc)
    return render(request, "reconciliations.html", user, 422, recs=listing.list_reconciliations(store, user.principal),
                  error=error)


@router.get("/reconciliations/{ref}")
def reconciliation_page(request: Request, user: User, ref: int, all: bool = False):
    found = listing.get_reconciliation(_store(request), user.principal, ref, remote(request))
    if found is None:
        return render(request, "error.html", user, 404, title="No such reconciliation",
                      message=f"No reconciliation {ref} that you may see.")
    report = deidentify(found.report) if user.principal.role == "analyst" else found.report
    shown = [c for c in report["claims"] if all or c["status"] != "paid_as_expected"]
    return render(request, "reconciliation.html", user, rec=found, report=report, shown=shown, all=all)


# ---- rates and directory --------------------------------------------------------------------------
@router.get("/rates")
def rates_page(request: Request, user: User, year: int | None = None, locality: str = ""):
    from hitbenefit.cli.rates import _rows
    book = _tables(request).rates
    years = book.years()
    year = year if year in years else years[-1]
    table = book.table(year)
    loc, error = _locality(locality)
    if loc and loc not in table.gaf and not any(k == loc for k, _ in table.locality):
        loc, error = None, f"Locality {locality}: not in the {year} table."
    localities = sorted(table.gaf)
    return render(request, "rates.html", user, years=years, year=year, table=table, rows=_rows(table, loc),
                  locality=loc or "", localities=localities, error=error)


@router.get("/directory")
def directory_page(request: Request, user: User, name: str = "", state: str = "", county: str = "", city: str = "",
                   zip: str = "", page: int = 1):
    """The supplier directory (CMS Home Infusion Therapy Providers, FAQ 5) through store/directory.py."""
    from hitbenefit.store import InvalidRequest
    from hitbenefit.store.directory import Query, list_imports, search_directory
    store = _store(request)
    imports = list_imports(store.engine)
    asked = {"name": name, "state": state, "county": county, "city": city, "zip": zip}
    context: dict[str, Any] = dict(asked=asked, latest=imports[-1] if imports else None, result=None, error=None,
                                   page=max(1, min(page, 10_000)))
    if imports and any(v.strip() for v in asked.values()):
        try:
            query = Query.make(state, county, city, zip, name)
            context["result"] = search_directory(store.engine, query, limit=listing.PAGE,
                                                 offset=(context["page"] - 1) * listing.PAGE)
        except InvalidRequest as exc:
            context["error"] = str(exc)
    if context["result"] is not None:
        context["pages"] = max(1, -(-context["result"].total // listing.PAGE))
    return render(request, "directory.html", user, **context)
