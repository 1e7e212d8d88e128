"""The authenticated REST API (issue 4, part 2): ``create_app`` builds the FastAPI application.

Route handlers stay thin: they authenticate, authorise, read the body with the contract's own
reader (``claim_from_json``, so errors name the field) and call the store; everything else is in
``hitbenefit.store`` and the engine.
"""

from hitbenefit.api.app import create_app
from hitbenefit.api.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]
