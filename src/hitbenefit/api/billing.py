"""/v1/dispensing, /v1/claims:build and /v1/benefit:which: the drugs dispensed, the month's HIT
claims built from the stored visits (with the engine's decisions and the visits not billed), and
which benefit pays a visit (FAQ 7, 8, 9, 18, 26). See docs/billing.md."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from hitbenefit.api.deps import authenticate, parse_json, remote, require_json
from hitbenefit.api.problems import Problem, field_error, problem_responses
from hitbenefit.api.responses import DecimalJSONResponse
from hitbenefit.api.schemas import DATE
from hitbenefit.care.fields import CareInputError
from hitbenefit.store import Forbidden, InvalidRequest, NotFound

router = APIRouter(prefix="/v1", default_response_class=DecimalJSONResponse, tags=["billing"])
WRITE = problem_responses(400, 401, 403, 404, 413, 415, 422, 429)
NPI = {"type": "string", "pattern": r"^\d{10}$"}
TEXT = {"type": ["string", "null"], "maxLength": 200}
FLAG = {"type": ["boolean", "null"]}
MINUTES = {"type": ["integer", "null"], "minimum": 0, "maximum": 1440}
DISPENSING = {"type": "object", "additionalProperties": False, "required": ["mbi", "dispensed_date", "hcpcs", "units"],
              "properties": {"mbi": {"type": "string", "minLength": 1, "maxLength": 32}, "dispensed_date": DATE,
                             "hcpcs": {"type": "string", "pattern": r"^J\d{4}$"},
                             "units": {"type": "number", "exclusiveMinimum": 0, "maximum": 99999},
                             "charge": {"type": ["number", "null"], "minimum": 0, "maximum": 99999},
                             "drug_name": TEXT, "ndc": TEXT, "category": {"type": ["integer", "null"], "enum": [1, 2, 3, None]}}}
SITUATION = {"type": "object", "additionalProperties": False, "required": ["service_date"],
             "properties": {"service_date": DATE, "drug_code": TEXT, "drug_name": TEXT, "home_infusion_drug": FLAG,
                            "through_dme_pump": FLAG, "self_administered": FLAG, "in_person": FLAG,
                            "drug_administered": FLAG, "hit_minutes": MINUTES, "home_health_minutes": MINUTES,
                            "part_b": FLAG, "medicare_advantage": FLAG,
                            "institutional_stay": {"type": ["string", "null"], "enum": ["hospital", "cah", "snf", None]},
                            "under_home_health_plan": FLAG, "homebound": FLAG, "furnished_by_hha": FLAG,
                            "qualified_hit_supplier": FLAG}}
BUILD = {"type": "object", "additionalProperties": False, "required": ["month"],
         "properties": {"month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
                        "supplier": {"anyOf": [NPI, {"type": "object"}, {"type": "null"}]},
                        "patients": {"type": ["array", "null"], "items": {"type": "object"}}}}


def _body(schema: dict) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _object(request: Request, data: bytes) -> dict[str, Any]:
    require_json(request)
    value = parse_json(data)
    if not isinstance(value, dict):
        raise Problem(422, "expected a JSON object", [field_error(None, "expected an object")])
    return value


def _care_problem(exc: CareInputError, prefix: str = "") -> Problem:
    name = f"{prefix}{exc.field}" if exc.field else prefix.rstrip(".") or None
    return Problem(422, f"{name}: {exc.problem}" if name else exc.problem, [field_error(name, exc.problem)])


def _store_problem(exc: Exception) -> Problem:
    if isinstance(exc, Forbidden):
        return Problem(403, str(exc))
    if isinstance(exc, NotFound):
        return Problem(404, str(exc))
    return Problem(422, str(exc), [field_error("supplier", str(exc))])


@router.post("/dispensing", summary="Record drugs dispensed to beneficiaries (one record or {records: [...]})",
             status_code=201, openapi_extra=_body({"anyOf": [DISPENSING, {
                 "type": "object", "additionalProperties": False, "required": ["records"],
                 "properties": {"records": {"type": "array", "items": DISPENSING, "minItems": 1, "maxItems": 1000},
                                "supplier_npi": {"anyOf": [NPI, {"type": "null"}]}}}]}),
             responses={201: {"description": "Stored: each record's id and whether it was new"}, **WRITE})
async def record_dispensing(request: Request):
    data = await request.body()
    return await run_in_threadpool(_record_dispensing, request, data)


def _record_dispensing(request: Request, data: bytes):
    from hitbenefit.care.dispensing import dispensing_from_json
    from hitbenefit.store.billing import record_dispensing as store_records

    principal = authenticate(request)
    body = _object(request, data)
    supplier_npi = None
    if "records" in body:
        extra = set(body) - {"records", "supplier_npi"}
        if extra:
            raise Problem(422, f"unknown field(s) {', '.join(sorted(extra))}", [field_error(sorted(extra)[0], "unknown field")])
        raw, supplier_npi = body["records"], body.get("supplier_npi")
        if not isinstance(raw, list) or not raw:
            raise Problem(422, "records: expected a non-empty list", [field_error("records", "expected a list")])
        if supplier_npi is not None and not isinstance(supplier_npi, str):
            raise Problem(422, "supplier_npi: expected an NPI", [field_error("supplier_npi", "expected text")])
    else:
        raw = [body]
    records = []
    for i, item in enumerate(raw):
        try:
            records.append(dispensing_from_json(item))
        except CareInputError as exc:
            raise _care_problem(exc, f"records[{i}]." if "records" in body else "") from None
    try:
        results = store_records(request.app.state.store, records, principal, supplier_npi, remote(request))
    except (Forbidden, InvalidRequest) as exc:
        raise _store_problem(exc) from None
    created = any(new for _, new in results)
    return DecimalJSONResponse({"records": [{"id": rid, "created": new} for rid, new in results]},
                               status_code=201 if created else 200)


@router.post("/claims:build", summary="Build a month's HIT claims from the stored visits; store nothing",
             openapi_extra=_body(BUILD),
             responses={200: {"description": "The claims with the engine's decisions, the visits not billed and why"},
                        **WRITE})
async def build_claims(request: Request):
    data = await request.body()
    return await run_in_threadpool(_build_claims, request, data)


def _month(value: Any) -> date:
    try:
        year, month = str(value).split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError:
        raise Problem(422, "month: expected YYYY-MM", [field_error("month", "expected YYYY-MM")]) from None


def _build_claims(request: Request, data: bytes):
    from hitbenefit.care.claim_builder import SupplierProfile, patient_from_json, profile_from_json
    from hitbenefit.claims.model import Supplier
    from hitbenefit.store.billing import build_month_from_store, supplier_specialty

    principal = authenticate(request)
    if principal.role == "analyst":
        raise Problem(403, "an analyst key sees no direct identifiers: built claims carry MBIs")
    body = _object(request, data)
    extra = set(body) - {"month", "supplier", "patients"}
    if extra:
        raise Problem(422, f"unknown field(s) {', '.join(sorted(extra))}", [field_error(sorted(extra)[0], "unknown field")])
    month = _month(body.get("month"))
    store = request.app.state.store
    supplier = body.get("supplier")
    try:
        if isinstance(supplier, dict):
            profile = profile_from_json(supplier, "supplier")
        else:
            if supplier is None and principal.role == "supplier":
                supplier = principal.supplier_npi
            if not isinstance(supplier, str) or not (supplier.isdigit() and len(supplier) == 10):
                raise Problem(422, "supplier: expected the supplier's 10-digit NPI or a supplier profile",
                              [field_error("supplier", "expected an NPI or an object")])
            profile = SupplierProfile(Supplier(supplier, supplier_specialty(store, supplier)))
        raw = body.get("patients") or []
        if not isinstance(raw, list):
            raise Problem(422, "patients: expected a list", [field_error("patients", "expected a list")])
        patients = {}
        for i, item in enumerate(raw):
            found = patient_from_json(item, f"patients[{i}]")
            patients[found.beneficiary.mbi] = found
    except CareInputError as exc:
        raise _care_problem(exc) from None
    try:
        built = build_month_from_store(store, principal, profile, month, request.app.state.tables, patients,
                                       remote(request))
    except (Forbidden, InvalidRequest, NotFound) as exc:
        raise _store_problem(exc) from None
    return DecimalJSONResponse(built.to_json())


@router.post("/benefit:which", summary="Which benefit pays for a visit (FAQ 7, 8, 9, 18, 26)",
             openapi_extra=_body(SITUATION),
             responses={200: {"description": "The benefit, reason, citations, confidence and any notice"},
                        **problem_responses(400, 401, 413, 415, 422, 429)})
async def which(request: Request):
    data = await request.body()
    return await run_in_threadpool(_which, request, data)


def _which(request: Request, data: bytes):
    from hitbenefit.care.which_benefit import situation_from_json, which_benefit

    authenticate(request)
    body = _object(request, data)
    try:
        situation = situation_from_json(body)
    except CareInputError as exc:
        raise _care_problem(exc) from None
    return DecimalJSONResponse(which_benefit(situation, request.app.state.tables.params).to_json())
