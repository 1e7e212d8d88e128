"""The whole suite runs apart from the user's own hitbenefit data: a fresh, empty HITBENEFIT_HOME
(imported rate tables, the default SQLite store) and no HITBENEFIT_DATABASE_URL, for this process
and every command it starts."""

from __future__ import annotations

import os
import shutil
import tempfile

_HOME = tempfile.mkdtemp(prefix="hitbenefit-test-home-")
os.environ["HITBENEFIT_HOME"] = _HOME
os.environ.pop("HITBENEFIT_DATABASE_URL", None)


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)
