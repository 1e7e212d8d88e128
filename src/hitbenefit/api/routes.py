"""The /v1 routes but batches: claims, beneficiary history, plans of care, rates, rules. Thin:
authenticate, read the body, call the store, shape the answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from hitbenefit.api.deps import Auth, JsonObject, Writer, authenticate, claim_problem, read_claim, remote, writer
from hitbenefit.api.problems import Problem, field_error, problem_responses
from hitbenefit.api.responses import DecimalJSONResponse
from hitbenefit.api.schemas import json_body, json_response
from hitbenefit.care.fields import CareInputError
from hitbenefit.care.plan import DETAIL_FIELDS, CarePlan, plan_from_json
from hitbenefit.claims.read_json import ClaimInputError, plan_of_care_from_json
from hitbenefit.engine.adjudicate import all_rules
from hitbenefit.money import to_cents
from hitbenefit.parameters.load import hit_gcodes
from hitbenefit.rates.files import normalize_locality
from hitbenefit.rates.model import ESTIMATE
from hitbenefit.store import AmbiguousClaim, ClaimConflict, Forbidden, InvalidRequest, NotFound, Principal
from hitbenefit.store import care as care_store
from hitbenefit.store.care import CarePlanRecord

router = APIRouter(prefix="/v1", default_response_class=DecimalJSONResponse)
READ = problem_responses(400, 401, 404, 413, 415, 422, 429)
WRITE = problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 429)
ClaimId = Annotated[str, Path(min_length=1, max_length=64)]
Mbi = Annotated[str, Path(min_length=1, max_length=32)]
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]
IDENTIFYING = frozenset({"mbi", "name", "names", "first_name", "last_name", "patient_name", "beneficiary_name",
                         "extra", "dob", "birth_date", "address"})


def deidentify(value: Any) -> Any:
    """A copy without direct identifiers (for analysts; the store already redacts, this is a second fence)."""
    if isinstance(value, dict):
        return {k: deidentify(v) for k, v in value.items() if k not in IDENTIFYING}
    if isinstance(value, list):
        return [deidentify(v) for v in value]
    return value


def shaped(principal: Principal, value: Any) -> Any:
    return deidentify(value) if principal.role == "analyst" else value


# ---- claims -------------------------------------------------------------------------------------
# The two hot claim endpoints are served by ``middleware.FastPath`` (FAST_PATH below): the body is
# read on the event loop, then authentication, the contract reader and the store run in ONE
# worker-thread call, without FastAPI's router and dependency solving. The routes declared here
# document them in OpenAPI and run the same functions. The order of the checks: key (401/429),
# role (403), content type (415), JSON (400), claim (422), then the store.
@router.post("/claims:check", summary="Adjudicate a claim against the stored history; store nothing",
             openapi_extra=json_body("Claim"), responses={200: json_response("Decision", "The decision"), **WRITE})
async def check_claim(request: Request):
    data = await request.body()
    return await run_in_threadpool(_check_claim, request, data)


def _check_claim(request: Request, data: bytes):
    principal = authenticate(request)
    claim = read_claim(request, data)
    try:
        decision = request.app.state.store.check_claim(claim, principal, request.app.state.tables, remote=remote(request))
    except Forbidden as exc:
        raise Problem(403, str(exc), [field_error("supplier.npi", str(exc))]) from None
    return DecimalJSONResponse(decision.to_json())


@router.post("/claims", summary="Adjudicate and store a claim (idempotent per supplier and claim id)",
             openapi_extra=json_body("Claim"), status_code=201,
             responses={201: json_response("Decision", "Stored and decided"),
                        200: json_response("Decision", "The same claim again: its stored decision"), **WRITE})
async def submit_claim(request: Request):
    data = await request.body()
    return await run_in_threadpool(_submit_claim, request, data)


def _submit_claim(request: Request, data: bytes):
    principal = writer(authenticate(request))
    claim = read_claim(request, data)
    try:
        result = request.app.state.store.submit_claim(claim, principal, request.app.state.tables, remote=remote(request))
    except Forbidden as exc:
        raise Problem(403, str(exc), [field_error("supplier.npi", str(exc))]) from None
    except ClaimConflict as exc:
        raise Problem(409, str(exc), [field_error("claim_id", "already used for a different claim")]) from None
    location = f"/v1/claims/{claim.claim_id}"
    return DecimalJSONResponse(result.decision.to_json(), status_code=201 if result.created else 200,
                               headers={"Location": location})


FAST_PATH = {"/v1/claims:check": _check_claim, "/v1/claims": _submit_claim}


@router.get("/claims/{claim_id}", summary="A stored claim and its decision",
            responses={200: {"description": "The claim and its decision"}, **READ})
def get_claim(request: Request, principal: Auth, claim_id: ClaimId,
              supplier_npi: Annotated[str | None, Query(min_length=1, max_length=10)] = None):
    request.state.claim_id = claim_id
    try:
        stored = request.app.state.store.get_claim(claim_id, principal, supplier_npi, remote=remote(request))
    except AmbiguousClaim as exc:
        raise Problem(409, str(exc), [field_error("supplier_npi", "required: several suppliers used this claim id")])
    if stored is None:
        raise Problem(404, f"no claim {claim_id} that this key may read")
    return DecimalJSONResponse(shaped(principal, {
        "claim_id": stored.claim_id, "supplier_npi": stored.supplier_npi, "status": stored.status,
        "received_at": stored.received_at.isoformat(), "claim": stored.claim, "decision": stored.decision}))


@router.get("/beneficiaries/{mbi}/history", summary="A beneficiary's HIT claims history (lines, oldest first)",
            responses={200: {"description": "History lines"}, **READ})
def history(request: Request, principal: Auth, mbi: Mbi):
    lines = request.app.state.store.beneficiary_history(mbi, principal, remote=remote(request))
    return DecimalJSONResponse(shaped(principal, {"lines": [
        {"claim_id": h.claim_id, "supplier_npi": h.supplier_npi, "line": h.line, "hcpcs": h.hcpcs,
         "service_date": h.service_date.isoformat(), "status": h.status, "category": h.category,
         "received_at": h.received_at.isoformat()} for h in lines]}))


# ---- plans of care ------------------------------------------------------------------------------
def _plan_content(value: Any, field: str = "plan_of_care") -> dict:
    """Check a plan with the contract reader (errors name ``plan_of_care.FIELD``)."""
    if not isinstance(value, dict):
        raise Problem(422, "plan_of_care must be an object", [field_error(field, "expected an object")])
    try:
        plan_of_care_from_json(value, field, "<request>")
    except ClaimInputError as exc:
        raise claim_problem(exc) from None
    return value


def _care_plan(value: Any) -> CarePlan | None:
    """The plan read by the care model when it carries care details (``DETAIL_FIELDS``: orders,
    physician, options notice, DME contacts, thresholds; docs/care.md), else None (contract only)."""
    if isinstance(value, dict) and not value.keys().isdisjoint(DETAIL_FIELDS):
        return _plan_call(plan_from_json, value)
    return None


def _care_version_json(record: CarePlanRecord) -> dict:
    """The version just stored with its details (the last of the record's versions)."""
    return {**_version_json(record.plan.versions[-1]), "details": record.states[-1].plan.details_json()}


def _version_json(v) -> dict:
    return {"plan_id": v.plan_id, "version": v.version, "plan_of_care": v.content,
            "signed_date": v.signed_date.isoformat() if v.signed_date else None, "signer": v.signer,
            "last_changed": v.last_changed.isoformat() if v.last_changed else None,
            "reviewed_dates": [d.isoformat() for d in v.reviewed_dates], "created_at": v.created_at.isoformat()}


def _date_field(body: dict, name: str) -> date:
    value = body.get(name)
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise Problem(422, f"{name}: expected a date YYYY-MM-DD", [field_error(name, "expected a date YYYY-MM-DD")])


def _version_field(body: dict) -> int:
    value = body.get("version")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise Problem(422, "version: expected the version number to act on (a whole number from 1)",
                      [field_error("version", "expected a whole number from 1")])
    return value


def _only(body: dict, allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Problem(422, f"unknown field {unknown[0]!r}", [field_error(unknown[0], "unknown field")])


def _plan_call(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except CareInputError as exc:
        raise Problem(422, str(exc), [field_error(exc.field, exc.problem)]) from None
    except NotFound as exc:
        raise Problem(404, str(exc)) from None
    except Forbidden as exc:
        raise Problem(403, str(exc)) from None
    except ClaimConflict as exc:
        raise Problem(409, str(exc), [field_error("version", str(exc))]) from None
    except InvalidRequest as exc:
        raise Problem(422, str(exc), [field_error("plan_of_care", str(exc))]) from None


@router.post("/plans", summary="Create a plan of care (version 1, unsigned), with its care details if given",
             status_code=201,
             openapi_extra=json_body("PlanCreate"), responses={201: {"description": "The first version"}, **WRITE})
def create_plan(request: Request, principal: Writer, body: JsonObject):
    _only(body, {"mbi", "plan_of_care"})
    mbi = body.get("mbi")
    if not isinstance(mbi, str) or not mbi.strip() or len(mbi) > 32:
        raise Problem(422, "mbi: expected the beneficiary's MBI", [field_error("mbi", "expected text")])
    care_plan = _care_plan(body.get("plan_of_care"))
    if care_plan is not None:
        record = _plan_call(care_store.create_care_plan, request.app.state.store, mbi.strip(), care_plan, principal,
                            remote=remote(request))
        return DecimalJSONResponse(_care_version_json(record), status_code=201,
                                   headers={"Location": f"/v1/plans/{record.plan.plan_id}"})
    content = _plan_content(body.get("plan_of_care"))
    version = _plan_call(request.app.state.store.create_plan_of_care, mbi.strip(), content, principal,
                         remote=remote(request))
    return DecimalJSONResponse(_version_json(version), status_code=201,
                               headers={"Location": f"/v1/plans/{version.plan_id}"})


@router.post("/plans/{plan_id}/versions", summary="A changed plan: a new unsigned version, with its care details "
             "if given", status_code=201,
             openapi_extra=json_body("PlanVersionCreate"), responses={201: {"description": "The new version"}, **WRITE})
def add_version(request: Request, principal: Writer, plan_id: PlanId, body: JsonObject):
    _only(body, {"plan_of_care"})
    care_plan = _care_plan(body.get("plan_of_care"))
    if care_plan is not None:
        record = _plan_call(care_store.add_care_version, request.app.state.store, plan_id, care_plan, principal,
                            remote=remote(request))
        return DecimalJSONResponse(_care_version_json(record), status_code=201)
    content = _plan_content(body.get("plan_of_care"))
    version = _plan_call(request.app.state.store.add_plan_version, plan_id, content, principal, remote=remote(request))
    return DecimalJSONResponse(_version_json(version), status_code=201)


@router.post("/plans/{plan_id}/sign", summary="Record the signature of one version",
             openapi_extra=json_body("PlanSign"), responses={200: {"description": "The signed version"}, **WRITE})
def sign(request: Request, principal: Writer, plan_id: PlanId, body: JsonObject):
    _only(body, {"version", "signed_date", "signer"})
    signer = body.get("signer") or ""
    if not isinstance(signer, str) or len(signer) > 200:
        raise Problem(422, "signer: expected text", [field_error("signer", "expected text up to 200 characters")])
    version = _plan_call(request.app.state.store.sign_plan_version, plan_id, _version_field(body), signer,
                         _date_field(body, "signed_date"), principal, remote=remote(request))
    return DecimalJSONResponse(_version_json(version))


@router.post("/plans/{plan_id}/review", summary="Record a review date on one version",
             openapi_extra=json_body("PlanReview"), responses={200: {"description": "The reviewed version"}, **WRITE})
def review(request: Request, principal: Writer, plan_id: PlanId, body: JsonObject):
    _only(body, {"version", "reviewed_date"})
    version = _plan_call(request.app.state.store.review_plan_version, plan_id, _version_field(body),
                         _date_field(body, "reviewed_date"), principal, remote=remote(request))
    return DecimalJSONResponse(_version_json(version))


@router.get("/plans", summary="A beneficiary's plans of care with every version",
            responses={200: {"description": "Plans"}, **READ})
def list_plans(request: Request, principal: Auth, mbi: Annotated[str, Query(min_length=1, max_length=32)]):
    plans = request.app.state.store.list_plans_of_care(mbi, principal, remote=remote(request))
    return DecimalJSONResponse(shaped(principal, {"plans": [
        {"plan_id": p.plan_id, "supplier_npi": p.supplier_npi, "created_at": p.created_at.isoformat(),
         "versions": [_version_json(v) for v in p.versions]} for p in plans]}))


# ---- reference: rates and rules -------------------------------------------------------------------
@router.get("/rates/{year}", summary="A year's HIT rates with provenance (an estimate says so)",
            responses={200: {"description": "Rates"}, **READ})
def rates(request: Request, principal: Auth, year: Annotated[int, Path(ge=2021, le=2199)],
          locality: Annotated[str | None, Query(min_length=1, max_length=16)] = None):
    book = request.app.state.tables.rates
    table = book.table(year)
    if table is None:
        raise Problem(404, f"no rate table for {year}; tables exist for {', '.join(map(str, book.years()))}",
                      [field_error("year", "no table for this year")])
    if locality is not None:
        try:
            locality = normalize_locality(locality, allow_national=False)
        except ValueError as exc:
            raise Problem(422, f"locality: {exc}", [field_error("locality", str(exc))]) from None
        if locality not in table.gaf and not any(loc == locality for loc, _ in table.locality):
            raise Problem(404, f"locality {locality} has no GAF or locality rate in the {year} table",
                          [field_error("locality", "unknown in this year's table")])
    gaf = table.gaf.get(locality) if locality else None
    rows = []
    for code, (category, visit) in hit_gcodes().items():
        national = table.national.get(code)
        local = table.locality.get((locality, code)) if locality else None
        if locality and local is None and national is not None and gaf is not None:
            local = to_cents(national * gaf)
        rows.append({"hcpcs": code, "category": category, "visit_type": visit, "national": national,
                     "gaf": gaf, "locality_amount": local})
    estimate = table.status == ESTIMATE
    return DecimalJSONResponse({
        "year": year, "locality": locality, "status": table.status, "estimate": estimate,
        "label": ("ESTIMATE (42 CFR 414.1550 method; not a CMS publication)" if estimate else "official"),
        "source": table.source, "method": table.method, "gaf_source": table.gaf_source,
        "assumptions": list(table.assumptions), "substitutions": list(table.substitutions), "rates": rows})


@router.get("/rules", summary="Every rule with its FAQ and manual/CFR citations",
            responses={200: {"description": "Rules"}, **READ})
def rules(principal: Auth):
    return DecimalJSONResponse({"rules": [
        {"id": r.id, "name": r.name, "area": r.area, "applies_to": r.applies_to, "keys": list(r.keys),
         "citations": list(r.citations), "summary": r.summary} for r in all_rules()]})
