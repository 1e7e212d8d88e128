"""How a rule says what it is: an id from RULES.md, the FAQ area, its reason keys and citations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

Finding = tuple[str, str]
"""A rule's verdict: (reason key, detail for this line). A rule that passes returns None."""

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class RuleInfo:
    id: str
    name: str
    area: str
    applies_to: str  # claim | visit | drug | other
    keys: tuple[str, ...]
    citations: tuple[str, ...]
    summary: str


def rule(id: str, *, area: str, applies_to: str, keys: tuple[str, ...], cites: tuple[str, ...]) -> Callable[[F], F]:
    """Attach the rule's identity and citations to a check function (read by ``hitbenefit rules``)."""

    def attach(check: F) -> F:
        summary = (check.__doc__ or "").strip().splitlines()[0]
        check.info = RuleInfo(id, check.__name__, area, applies_to, keys, cites, summary)  # type: ignore[attr-defined]
        return check

    return attach
