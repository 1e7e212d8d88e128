"""JSON responses that write ``Decimal`` exactly (money as JSON numbers with two decimals)."""

from __future__ import annotations

from typing import Any

import simplejson
from starlette.responses import JSONResponse


class DecimalJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return simplejson.dumps(content, use_decimal=True, ensure_ascii=False, default=_default).encode("utf-8")


def _default(value: Any) -> Any:
    iso = getattr(value, "isoformat", None)
    if iso is not None:
        return iso()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
