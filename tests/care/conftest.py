"""Care tests: the pure model here; the store, API and CLI ones reuse the store's and the API's
fixtures (SQLite always, PostgreSQL too; CI=true makes a missing server a failure)."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from tests.api.conftest import (Databases, client, databases, db_url, keys, new_mbi, new_npi,  # noqa: F401
                                store, tables, unique)

PLAN = {  # synthetic: no real physician, patient or supplier
    "established_by": {"npi": "1003000126", "role": "physician"},
    "therapy_type": "subcutaneous immunotherapy", "medication": "J1559", "dosage": "10 g", "frequency": "weekly",
    "duration": "26 weeks", "professional_services": ["nursing", "training", "monitoring"],
    "visit_frequency": "1-2 per week", "discipline": "RN", "last_changed": "2025-02-20",
}
DETAILS = {
    "physician_name": "Dr. Synthetic Example",
    "orders": [{"kind": "service", "what": "skilled nursing visit", "frequency_min": 1, "frequency_max": 2,
                "period": "week", "discipline": "RN"},
               {"kind": "drug", "what": "immune globulin", "hcpcs": "J1559", "dose": "10 g", "frequency_min": 1,
                "frequency_max": 1, "period": "week", "discipline": "RN"}],
    "options_notice_date": "2025-02-18",
    "dme_contacts": [{"organization": "Synthetic DME Co.", "name": "Pat Example", "phone": "555-0100"}],
    "thresholds": {"systolic_bp": {"low": "95", "high": "150"}, "weight": {"max_change": "1.5"}},
}


def plan_json(**changes) -> dict:
    """A complete synthetic plan: the contract fields and the details in one object."""
    out = copy.deepcopy({**PLAN, **DETAILS})
    out.update(changes)
    return out


@pytest.fixture(scope="session")
def params():
    from hitbenefit.parameters.load import bundled_parameters
    return bundled_parameters()


D = date.fromisoformat
