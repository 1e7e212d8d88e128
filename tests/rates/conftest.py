"""Every rates test runs with its own empty user data directory (HITBENEFIT_HOME)."""

import pytest

from hitbenefit.rates.files import load_bundled_ratebook


@pytest.fixture(autouse=True)
def hitbenefit_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HITBENEFIT_HOME", str(home))
    load_bundled_ratebook.cache_clear()
    yield home
    load_bundled_ratebook.cache_clear()
