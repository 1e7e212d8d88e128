"""The supplier's day over HTTP: plan-of-care details and status, visits, remote-monitoring
readings and alerts (docs/care.md; FAQ 7, 10-14). Thin: authenticate, read the body with the care
model's own reader (errors name the field), call ``store/care.py``, shape the answer. A supplier
key sees only its own patients' records; an analyst key reads, de-identified, and never writes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Callable, TypeVar

from fastapi import APIRouter, Path, Query, Request

from hitbenefit.api.deps import Auth, JsonObject, Writer, remote
from hitbenefit.api.problems import Problem, field_error, problem_responses
from hitbenefit.api.responses import DecimalJSONResponse
from hitbenefit.api.routes import _only, shaped
from hitbenefit.api.schemas import DATE, NPI, NUMBER, PLAN_DETAILS, TEXT
from hitbenefit.care.fields import CareInputError
from hitbenefit.care.monitoring import ALERT_STATUSES, CHANNELS, UNITS, VITAL_SIGNS, reading_from_json
from hitbenefit.care.visits import (DISCIPLINES, MODES, SERVICES, TRAINING_TOPICS, visit_from_json,
                                    with_drug_categories)
from hitbenefit.claims.read_json import FIRST_YEAR, LAST_YEAR
from hitbenefit.store import ClaimConflict, Forbidden, InvalidRequest, NotFound, Principal
from hitbenefit.store import care as care_store

router = APIRouter(prefix="/v1", default_response_class=DecimalJSONResponse, tags=["care"])
READ = problem_responses(400, 401, 404, 422, 429)
WRITE = problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 429)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Day = Annotated[date, Query(description="YYYY-MM-DD")]
MbiQuery = Annotated[str, Query(min_length=1, max_length=32)]
T = TypeVar("T")

VISIT = {
    "type": "object", "additionalProperties": False,
    "required": ["visit_date", "mbi", "clinician_name", "discipline"],
    "properties": {
        "visit_date": DATE, "mbi": {"type": "string", "minLength": 1, "maxLength": 32}, "supplier_npi": NPI,
        "plan_id": {"type": "integer", "minimum": 1}, "clinician_name": TEXT, "clinician_npi": NPI,
        "discipline": {"enum": list(DISCIPLINES)}, "mode": {"enum": list(MODES)},
        "hit_minutes": {"type": "integer", "minimum": 0, "maximum": 1440},
        "home_health_minutes": {"type": "integer", "minimum": 0, "maximum": 1440},
        "drugs": {"type": "array", "maxItems": 20, "items": {
            "type": "object", "additionalProperties": False, "required": ["hcpcs"],
            "properties": {"hcpcs": {"type": "string", "pattern": "^[A-Z][0-9]{4}$"}, "name": TEXT,
                           "category": {"enum": [1, 2, 3]}}}},
        "services": {"type": "array", "items": {"enum": list(SERVICES)}},
        "training_topics": {"type": "array", "items": {"enum": list(TRAINING_TOPICS)}},
        "note": {"type": "string", "maxLength": 2000},
    },
}
READING = {
    "type": "object", "additionalProperties": False, "required": ["mbi", "kind", "value", "taken_at", "channel"],
    "properties": {
        "mbi": {"type": "string", "minLength": 1, "maxLength": 32}, "supplier_npi": NPI,
        "plan_id": {"type": "integer", "minimum": 1}, "kind": {"enum": list(VITAL_SIGNS)}, "value": NUMBER,
        "unit": {"enum": sorted({u for units in UNITS.values() for u in units})},
        "taken_at": {"type": "string", "format": "date-time"}, "channel": {"enum": list(CHANNELS)},
    },
}
ACK = {"type": "object", "additionalProperties": False, "required": ["clinician"],
       "properties": {"clinician": TEXT, "note": {"type": "string", "maxLength": 2000}}}
RESOLVE = {"type": "object", "additionalProperties": False, "required": ["clinician", "action"],
           "properties": {"clinician": TEXT, "action": {"type": "string", "minLength": 1, "maxLength": 2000}}}


def _body(schema: dict) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _call(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """Run a store call; its refusals become problems naming the field where there is one."""
    try:
        return fn(*args, **kw)
    except CareInputError as exc:
        raise Problem(422, str(exc), [field_error(exc.field, exc.problem)], title="Invalid request") from None
    except NotFound as exc:
        raise Problem(404, str(exc)) from None
    except Forbidden as exc:
        raise Problem(403, str(exc)) from None
    except ClaimConflict as exc:
        raise Problem(409, str(exc), [field_error("status" if "alert" in str(exc) else "version", str(exc))]) from None
    except InvalidRequest as exc:
        raise Problem(422, str(exc), [field_error(None, str(exc))], title="Invalid request") from None


def _redact(principal: Principal) -> bool:
    return principal.role == "analyst"


def _in_range(field: str, day: date | None) -> None:
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Problem(422, f"{field}: a date from {FIRST_YEAR} to {LAST_YEAR}", [field_error(field, "out of range")])


def _supplier_npi(principal: Principal, body: dict) -> str:
    """The supplier a record belongs to: a supplier key's own; a contractor names it."""
    given = body.get("supplier_npi")
    if principal.role == "supplier":
        if given is not None and given != principal.supplier_npi:
            raise Problem(403, f"a supplier key records only its own patients' care ({principal.supplier_npi})",
                          [field_error("supplier_npi", "not this key's supplier")])
        return principal.supplier_npi  # type: ignore[return-value]
    if not isinstance(given, str) or len(given) != 10 or not given.isdigit():
        raise Problem(422, "supplier_npi: a contractor names the supplier (10-digit NPI)",
                      [field_error("supplier_npi", "required for a contractor key")], title="Invalid request")
    return given


# ---- plans of care ------------------------------------------------------------------------------------
@router.put("/plans/{plan_id}/versions/{version}/details", summary="Give an unsigned version its details: orders, "
            "physician, options notice, DME contacts, monitoring thresholds", openapi_extra=_body(PLAN_DETAILS),
            responses={200: {"description": "The plan with every version"}, **WRITE})
def put_details(request: Request, principal: Writer, plan_id: Id, version: Id, body: JsonObject):
    record = _call(care_store.set_plan_details, request.app.state.store, plan_id, version, body, principal,
                   remote=remote(request))
    return DecimalJSONResponse(record.to_json())


@router.get("/plans/{plan_id}", summary="One plan of care with every version and its details",
            responses={200: {"description": "The plan"}, **READ})
def get_plan(request: Request, principal: Auth, plan_id: Id):
    record = _call(care_store.get_care_plan, request.app.state.store, plan_id, principal, remote=remote(request))
    return DecimalJSONResponse(shaped(principal, record.to_json(_redact(principal))))


@router.get("/plans/{plan_id}/status", summary="The plan's status on a date: complete, incomplete, unsigned, "
            "awaiting re-signature or review overdue, with the reason", responses={200: {"description": "Status"}, **READ})
def plan_status(request: Request, principal: Auth, plan_id: Id, on: Day,
                review_interval_days: Annotated[int | None, Query(ge=1, le=3660)] = None):
    _in_range("on", on)
    status = _call(care_store.care_plan_status, request.app.state.store, plan_id, on, principal,
                   request.app.state.tables.params, review_interval_days, remote=remote(request))
    return DecimalJSONResponse({"plan_id": plan_id, **status.to_json()})


@router.get("/plans/{plan_id}/plan-of-care", summary="The contract's plan_of_care object for a claim with services "
            "on a date", responses={200: {"description": "CONTRACT §1 plan_of_care"}, **READ})
def plan_for_claim(request: Request, principal: Auth, plan_id: Id, on: Day):
    _in_range("on", on)
    found = _call(care_store.claim_plan, request.app.state.store, plan_id, on, principal, remote=remote(request))
    if found is None:
        raise Problem(404, f"no version of plan {plan_id} is in effect on {on}", [field_error("on", "before the plan")])
    return DecimalJSONResponse(found)


# ---- visits -------------------------------------------------------------------------------------------
@router.post("/visits", summary="Record a visit: clinician, discipline, mode, minutes, drugs, services, training",
             status_code=201, openapi_extra=_body(VISIT), responses={201: {"description": "The visit"}, **WRITE})
def post_visit(request: Request, principal: Writer, body: JsonObject):
    npi = _supplier_npi(principal, body)
    visit = with_drug_categories(_call(visit_from_json, {**body, "supplier_npi": npi}), request.app.state.tables.params)
    record = _call(care_store.record_visit, request.app.state.store, visit, principal, remote=remote(request))
    return DecimalJSONResponse(record.to_json(), status_code=201, headers={"Location": f"/v1/visits/{record.id}"})


@router.get("/visits", summary="Visits of a patient and/or a supplier between two dates, oldest first",
            responses={200: {"description": "Visits"}, **READ})
def get_visits(request: Request, principal: Auth, mbi: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
               supplier_npi: Annotated[str | None, Query(pattern=r"^\d{10}$")] = None,
               start: Annotated[date | None, Query(alias="from")] = None,
               end: Annotated[date | None, Query(alias="to")] = None):
    _in_range("from", start)
    _in_range("to", end)
    visits = care_store.list_visits(request.app.state.store, principal, mbi, supplier_npi, start, end,
                                    remote=remote(request))
    return DecimalJSONResponse(shaped(principal, {"visits": [v.to_json(_redact(principal)) for v in visits]}))


@router.get("/visits/{visit_id}", summary="One visit", responses={200: {"description": "The visit"}, **READ})
def get_visit(request: Request, principal: Auth, visit_id: Id):
    record = _call(care_store.get_visit, request.app.state.store, visit_id, principal, remote=remote(request))
    return DecimalJSONResponse(shaped(principal, record.to_json(_redact(principal))))


# ---- remote monitoring --------------------------------------------------------------------------------
@router.post("/monitoring/readings", summary="Record a self-reported vital sign; an abnormal one raises an alert "
             "(monitoring is bundled: nothing billable)", status_code=201, openapi_extra=_body(READING),
             responses={201: {"description": "The reading and its alert (or null)"}, **WRITE})
def post_reading(request: Request, principal: Writer, body: JsonObject):
    npi = _supplier_npi(principal, body)
    mbi = body.get("mbi")
    if not isinstance(mbi, str) or not mbi.strip() or len(mbi) > 32:
        raise Problem(422, "mbi: expected the patient's MBI", [field_error("mbi", "expected text")],
                      title="Invalid request")
    plan_id = body.get("plan_id")
    if plan_id is not None and (isinstance(plan_id, bool) or not isinstance(plan_id, int) or not 1 <= plan_id < 2**31):
        raise Problem(422, "plan_id: expected a plan id", [field_error("plan_id", "expected a whole number from 1")],
                      title="Invalid request")
    reading = _call(reading_from_json, {k: v for k, v in body.items() if k not in ("mbi", "supplier_npi", "plan_id")})
    stored, alert = _call(care_store.record_reading, request.app.state.store, mbi.strip(), npi, reading, principal,
                          request.app.state.tables.params, plan_id, remote=remote(request))
    return DecimalJSONResponse({"reading": stored.to_json(), "alert": alert.to_json() if alert else None},
                               status_code=201)


@router.get("/monitoring/readings", summary="A patient's readings, oldest first",
            responses={200: {"description": "Readings"}, **READ})
def get_readings(request: Request, principal: Auth, mbi: MbiQuery,
                 kind: Annotated[str | None, Query(pattern="^(" + "|".join(VITAL_SIGNS) + ")$")] = None):
    readings = care_store.list_readings(request.app.state.store, principal, mbi, kind, remote=remote(request))
    return DecimalJSONResponse(shaped(principal, {"readings": [r.to_json(_redact(principal)) for r in readings]}))


@router.get("/monitoring/alerts", summary="Alerts for the clinician, by status and/or patient",
            responses={200: {"description": "Alerts"}, **READ})
def get_alerts(request: Request, principal: Auth,
               status: Annotated[str | None, Query(pattern="^(" + "|".join(ALERT_STATUSES) + ")$")] = None,
               mbi: Annotated[str | None, Query(min_length=1, max_length=32)] = None):
    alerts = care_store.list_alerts(request.app.state.store, principal, status, mbi, remote=remote(request))
    return DecimalJSONResponse(shaped(principal, {"alerts": [a.to_json(_redact(principal)) for a in alerts]}))


def _text(body: dict, name: str, optional: bool = False) -> str | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 2000:
        raise Problem(422, f"{name}: expected text", [field_error(name, "expected text up to 2000 characters")],
                      title="Invalid request")
    return value.strip()


@router.post("/monitoring/alerts/{alert_id}/acknowledge", summary="The clinician has seen an open alert",
             openapi_extra=_body(ACK), responses={200: {"description": "The alert"}, **WRITE})
def acknowledge(request: Request, principal: Writer, alert_id: Id, body: JsonObject):
    _only(body, {"clinician", "note"})
    record = _call(care_store.acknowledge_alert, request.app.state.store, alert_id, _text(body, "clinician"),
                   principal, _text(body, "note", optional=True), remote=remote(request))
    return DecimalJSONResponse(record.to_json())


@router.post("/monitoring/alerts/{alert_id}/resolve", summary="The clinician records what was done and closes the alert",
             openapi_extra=_body(RESOLVE), responses={200: {"description": "The alert"}, **WRITE})
def resolve(request: Request, principal: Writer, alert_id: Id, body: JsonObject):
    _only(body, {"clinician", "action"})
    record = _call(care_store.resolve_alert, request.app.state.store, alert_id, _text(body, "clinician"),
                   _text(body, "action"), principal, remote=remote(request))
    return DecimalJSONResponse(record.to_json())


