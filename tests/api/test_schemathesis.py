"""schemathesis against the published OpenAPI schema, in process (ASGI): no request it makes gets
a server error. Bounded (a few examples an operation) so the file runs in well under a minute."""

import os
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from hitbenefit.api import Settings, create_app
from hitbenefit.service import load_tables
from hitbenefit.store import Store

MAX_EXAMPLES = int(os.environ.get("HITBENEFIT_SCHEMATHESIS_EXAMPLES", "8"))


_DIR = tempfile.mkdtemp(prefix="hitbenefit-schemathesis-")
_STORE = Store.open(f"sqlite:///{_DIR}/schemathesis.db")
_KEY, _ = _STORE.create_api_key("supplier", supplier_npi="1234567893")
_APP = create_app(store=_STORE, tables=load_tables(),
                  settings=Settings(rate_per_second=100_000, rate_burst=100_000, batch_worker=False))
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {_KEY}"}, checks=[not_a_server_error])
