"""JSON Schemas published in the OpenAPI document (components): the contract claim (CONTRACT §1),
the decision (§2), a plan of care (alone and with the supplier's care details), problem details. Request bodies are read by the contract's own
reader, so these describe the contract; they do not replace its checks."""

from __future__ import annotations

from hitbenefit.api.problems import PROBLEM_SCHEMA
from hitbenefit.care.monitoring import VITAL_SIGNS
from hitbenefit.care.plan import ORDER_KINDS, PERIODS
from hitbenefit.care.visits import DISCIPLINES

DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
MONEY = {"type": "number", "minimum": 0, "maximum": 999999999.99, "multipleOf": 0.01}
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
OPT_TEXT = {"type": ["string", "null"], "minLength": 1, "maxLength": 200}
NPI = {"type": "string", "pattern": r"^\d{10}$"}
NUMBER = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}]}
PERIOD = {"type": "object", "additionalProperties": False, "required": ["from"],
          "properties": {"from": DATE, "to": {"anyOf": [DATE, {"type": "null"}]}}}

PLAN_OF_CARE = {
    "type": "object", "additionalProperties": False, "required": ["established_by"],
    "properties": {
        "established_by": {"type": "object", "additionalProperties": False, "required": ["role"],
                           "properties": {"npi": OPT_TEXT,
                                          "role": {"type": "string",
                                                   "enum": ["physician", "nurse_practitioner", "physician_assistant"]}}},
        "care_provider_role": OPT_TEXT, "therapy_type": OPT_TEXT, "medication": OPT_TEXT, "dosage": OPT_TEXT,
        "frequency": OPT_TEXT, "duration": OPT_TEXT,
        "professional_services": {"type": "array", "items": TEXT, "maxItems": 20},
        "visit_frequency": OPT_TEXT, "discipline": OPT_TEXT,
        "signed_date": {"anyOf": [DATE, {"type": "null"}]}, "last_changed": {"anyOf": [DATE, {"type": "null"}]},
        "last_reviewed": {"anyOf": [DATE, {"type": "null"}]},
    },
}

THRESHOLD = {"type": "object", "additionalProperties": False,
             "properties": {"low": NUMBER, "high": NUMBER, "max_change": NUMBER}}
PLAN_DETAILS = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "physician_name": TEXT, "options_notice_date": DATE,
        "orders": {"type": "array", "maxItems": 50, "items": {
            "type": "object", "additionalProperties": False,
            "required": ["kind", "what", "frequency_min", "frequency_max", "period", "discipline"],
            "properties": {"kind": {"enum": list(ORDER_KINDS)}, "what": TEXT, "hcpcs": {"type": "string"},
                           "dose": TEXT, "frequency_min": {"type": "integer", "minimum": 0},
                           "frequency_max": {"type": "integer", "minimum": 1}, "period": {"enum": list(PERIODS)},
                           "discipline": {"enum": list(DISCIPLINES)}}}},
        "dme_contacts": {"type": "array", "maxItems": 20, "items": {
            "type": "object", "additionalProperties": False, "required": ["organization"],
            "properties": {"organization": TEXT, "name": TEXT, "phone": TEXT, "email": TEXT, "npi": NPI}}},
        "thresholds": {"type": "object", "additionalProperties": False,
                       "properties": {kind: THRESHOLD for kind in VITAL_SIGNS}},
    },
}
"""The supplier's details of a plan version (docs/care.md): orders, physician, options notice, DME
contacts, monitoring thresholds."""
CARE_PLAN = {**PLAN_OF_CARE, "properties": {**PLAN_OF_CARE["properties"], **PLAN_DETAILS["properties"]}}
"""A plan of care with its details in one object (POST /v1/plans and /versions); with any detail
the care model reads it, and a signature is recorded on the version instead of ``signed_date``."""

LINE = {
    "type": "object", "additionalProperties": False,
    "required": ["line", "hcpcs", "units", "service_date", "charge"],
    "properties": {
        "line": {"type": "integer", "minimum": 1, "maximum": 999}, "hcpcs": {"type": "string", "minLength": 1, "maxLength": 8},
        "modifiers": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 2}, "maxItems": 4},
        "units": {"type": "number", "minimum": 0, "maximum": 9999},
        "service_date": DATE, "place_of_service": {"type": "string", "pattern": r"^\d{2}$"},
        "charge": MONEY,
        "visit": {"type": "object", "additionalProperties": False, "properties": {
            "in_person": {"type": "boolean"}, "drug_administered": {"type": "boolean"},
            "minutes": {"type": ["integer", "null"], "minimum": 0, "maximum": 1440},
            "hh_minutes": {"type": ["integer", "null"], "minimum": 0, "maximum": 1440}}},
        "drug_name": OPT_TEXT,
    },
}

CLAIM = {
    "type": "object", "additionalProperties": False, "required": ["claim_id", "supplier", "beneficiary", "lines"],
    "properties": {
        "claim_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "received_date": {"anyOf": [DATE, {"type": "null"}]},
        "payer": {"type": "string", "enum": ["medicare-ffs", "medicare-advantage"]},
        "supplier": {"type": "object", "additionalProperties": False, "required": ["npi"], "properties": {
            "npi": {"type": "string", "minLength": 1, "maxLength": 10}, "specialty": OPT_TEXT,
            "accreditation_expires": {"anyOf": [DATE, {"type": "null"}]},
            "licensed_states": {"type": ["array", "null"], "items": {"type": "string", "minLength": 2, "maxLength": 2}}}},
        "beneficiary": {"type": "object", "additionalProperties": False, "required": ["mbi"], "properties": {
            "mbi": {"type": "string", "minLength": 1, "maxLength": 32},
            "part_b": {"type": ["array", "null"], "items": PERIOD},
            "medicare_advantage": {"type": ["array", "null"], "items": PERIOD},
            "institutional_stays": {"type": ["array", "null"], "items": {
                "type": "object", "additionalProperties": False, "required": ["from", "kind"],
                "properties": {"from": DATE, "to": {"anyOf": [DATE, {"type": "null"}]},
                               "kind": {"type": "string", "enum": ["hospital", "cah", "snf"]}}}},
            "deductible_remaining": {"anyOf": [MONEY, {"type": "null"}]}}},
        "plan_of_care": {"anyOf": [{"$ref": "#/components/schemas/PlanOfCare"}, {"type": "null"}]},
        "service_locality": {"anyOf": [{"type": "string", "pattern": r"^\d{5}-\d{2}$"}, {"type": "null"}]},
        "lines": {"type": "array", "minItems": 1, "maxItems": 50, "items": LINE},
        "extra": {},
    },
}

REASON = {"type": "object", "required": ["key", "message", "citations"], "properties": {
    "key": {"type": "string"}, "group": {"type": ["string", "null"]}, "carc": {"type": ["string", "null"]},
    "rarc": {"type": ["string", "null"]}, "message": {"type": "string"},
    "citations": {"type": "array", "items": {"type": "string"}}}}
NUM = {"type": ["number", "null"]}
DECISION = {
    "type": "object", "required": ["claim_id", "status", "lines", "totals"],
    "properties": {
        "claim_id": {"type": "string"},
        "status": {"type": "string", "enum": ["paid", "partial", "denied", "rejected"]},
        "lines": {"type": "array", "items": {"type": "object", "required": ["line", "hcpcs", "status"], "properties": {
            "line": {"type": "integer"}, "hcpcs": {"type": "string"},
            "status": {"type": "string", "enum": ["paid", "denied", "rejected", "informational"]},
            "category": {"type": ["integer", "null"]}, "visit_type": {"type": ["string", "null"]},
            "allowed": NUM, "deductible": NUM, "coinsurance": NUM, "sequestration": NUM, "paid": NUM,
            "reasons": {"type": "array", "items": REASON}, "trace": {"type": "array", "items": {"type": "string"}}}}},
        "totals": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
        "rates": {"type": ["object", "null"]},
    },
}

PLAN_CREATE = {
    "type": "object", "additionalProperties": False, "required": ["mbi", "plan_of_care"],
    "properties": {"mbi": {"type": "string", "minLength": 1, "maxLength": 32},
                   "plan_of_care": {"$ref": "#/components/schemas/CarePlan"}},
}
PLAN_VERSION = {"type": "object", "additionalProperties": False, "required": ["plan_of_care"],
                "properties": {"plan_of_care": {"$ref": "#/components/schemas/CarePlan"}}}
PLAN_SIGN = {"type": "object", "additionalProperties": False, "required": ["signed_date"],
             "properties": {"version": {"type": ["integer", "null"], "minimum": 1},
                            "signed_date": DATE, "signer": {"type": ["string", "null"], "maxLength": 200}}}
PLAN_REVIEW = {"type": "object", "additionalProperties": False, "required": ["reviewed_date"],
               "properties": {"version": {"type": ["integer", "null"], "minimum": 1}, "reviewed_date": DATE}}

COMPONENTS = {"Claim": CLAIM, "PlanOfCare": PLAN_OF_CARE, "CarePlan": CARE_PLAN, "Decision": DECISION, "Problem": PROBLEM_SCHEMA,
              "PlanCreate": PLAN_CREATE, "PlanVersionCreate": PLAN_VERSION, "PlanSign": PLAN_SIGN,
              "PlanReview": PLAN_REVIEW}


def json_body(name: str, required: bool = True) -> dict:
    """``openapi_extra`` for a JSON request body described by component ``name``."""
    return {"requestBody": {"required": required, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}}


def json_response(name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}
