"""The X12 envelope both writers share: ISA/GS around ST...SE transactions, with control numbers
and counts, and the checked building of segments (a value may never hold a delimiter: X12 has no
escape, so a name with ``*`` in it would silently shift every element after it).

A writer builds each transaction's body (the segments between ST and SE) with :class:`Builder`;
:func:`interchange` numbers the transactions (ST02 ``0001``, ``0002`` ...), counts SE01 (ST to SE
inclusive), GE01 (transactions) and IEA01 (one functional group), and repeats the control number
in ISA13/IEA02 and GS06/GE02.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Iterator, Sequence

from hitbenefit.money import CENT, to_cents
from hitbenefit.x12.segments import Delimiters, Segment, render

MAX_CONTROL = 999_999_999


class X12WriteError(ValueError):
    """A claim or decision that cannot be written as valid X12; ``str()`` names the claim and field."""


@dataclass(frozen=True, slots=True)
class Builder:
    """Makes segments whose values are checked against the delimiters and the element's maximum length.

    An element is a string (a simple element) or a tuple/list of strings (a composite, joined with the
    component separator; trailing empty components dropped).
    """

    delimiters: Delimiters
    where: str = ""

    def __call__(self, segment_id: str, *elements: str | Sequence[str] | None) -> Segment:
        return Segment(segment_id, tuple(self._element(segment_id, n, value)
                                         for n, value in enumerate(elements, start=1)))

    def _element(self, segment_id: str, n: int, value: str | Sequence[str] | None) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return self._checked(value, f"{segment_id}{n:02d}")
        parts = [self._checked(part or "", f"{segment_id}{n:02d}-{k}") for k, part in enumerate(value, start=1)]
        while parts and parts[-1] == "":
            parts.pop()
        return self.delimiters.component.join(parts)

    def _checked(self, value: str, name: str) -> str:
        d = self.delimiters
        for char, kind in ((d.element, "element"), (d.component, "component"), (d.segment, "segment"),
                           (d.repetition, "repetition")):
            if char and char in value:
                raise X12WriteError(f"{self.where}{name} {value!r} contains the X12 {kind} separator {char!r}")
        if any(c in value for c in "\r\n"):
            raise X12WriteError(f"{self.where}{name} {value!r} contains a line break")
        return value

    def at(self, where: str) -> "Builder":
        """The same builder naming ``where`` (a claim, a line) in its errors."""
        return Builder(self.delimiters, f"{where}: " if where else "")


@contextmanager
def naming(where: str) -> Iterator[None]:
    """Errors raised inside name ``where`` (a claim) first, unless they already do."""
    try:
        yield
    except X12WriteError as exc:
        if str(exc).startswith(where):
            raise
        raise X12WriteError(f"{where}: {exc}") from None


def fit(value: str, maximum: int, what: str) -> str:
    """``value`` stripped, refused when longer than the element's maximum length (never cut silently)."""
    value = " ".join(str(value).split())
    if len(value) > maximum:
        raise X12WriteError(f"{what} {value!r} is {len(value)} characters; X12 allows at most {maximum}")
    return value


def amount(value: Decimal) -> str:
    """Money for an X12 ``R`` element: two decimals, half up (``450.00``, ``-5.10``)."""
    if not isinstance(value, Decimal):
        raise X12WriteError(f"amount {value!r} is not a Decimal")
    return str(to_cents(value).quantize(CENT))


def quantity(value: Decimal) -> str:
    """A count of units for an ``R`` element, without trailing zeros (``8``, ``1.5``)."""
    return format(Decimal(value).normalize(), "f")


def d8(day: date) -> str:
    return day.strftime("%Y%m%d")


def interchange(transactions: Iterable[tuple[str, list[Segment]]], *, functional_id: str, version: str,
                sender_id: str, receiver_id: str, control_number: int = 1,
                date_time: datetime | None = None, delimiters: Delimiters = Delimiters(),
                sender_qualifier: str = "ZZ", receiver_qualifier: str = "ZZ", usage: str = "P",
                st03: bool = True, line_breaks: bool = True) -> str:
    """One interchange (ISA/IEA) with one functional group (GS/GE) holding ``transactions``.

    ``transactions`` are ``(transaction set id, body)`` pairs, the body being the segments between
    ST and SE. ``usage`` is ISA15: ``P`` production or ``T`` test. ``st03``: repeat ``version`` in ST03
    (the 837P requires it; the 835 guide marks it not used).
    """
    if not isinstance(control_number, int) or not 1 <= control_number <= MAX_CONTROL:
        raise X12WriteError(f"control number {control_number!r} must be a whole number from 1 to {MAX_CONTROL}")
    if usage not in ("P", "T"):
        raise X12WriteError(f"ISA15 usage indicator must be P or T, not {usage!r}")
    _check_delimiters(delimiters)
    build = Builder(delimiters)
    stamp = date_time or datetime.now()
    sender = fit(sender_id, 15, "sender id (ISA06)")
    receiver = fit(receiver_id, 15, "receiver id (ISA08)")
    if not sender or not receiver:
        raise X12WriteError("sender and receiver ids must not be empty")
    build("ISA", sender, receiver)  # the ids may not hold a delimiter
    # ISA11 and ISA16 are the repetition and component separators themselves, so ISA is not "built".
    isa = Segment("ISA", ("00", " " * 10, "00", " " * 10, sender_qualifier, sender.ljust(15), receiver_qualifier,
                          receiver.ljust(15), stamp.strftime("%y%m%d"), stamp.strftime("%H%M"), delimiters.repetition,
                          "00501", f"{control_number:09d}", "0", usage, delimiters.component))
    segments = [isa, build("GS", functional_id, sender, receiver, stamp.strftime("%Y%m%d"), stamp.strftime("%H%M"),
                           str(control_number), "X", version)]
    count = 0
    for count, (set_id, body) in enumerate(transactions, start=1):
        st_control = f"{count:04d}"
        segments.append(build("ST", set_id, st_control, version if st03 else None))
        segments.extend(body)
        segments.append(build("SE", str(len(body) + 2), st_control))
    if count == 0:
        raise X12WriteError("nothing to write: no transactions")
    segments.append(build("GE", str(count), str(control_number)))
    segments.append(build("IEA", "1", f"{control_number:09d}"))
    return render(segments, delimiters, line_breaks=line_breaks)


def _check_delimiters(d: Delimiters) -> None:
    chars = [d.element, d.component, d.segment, d.repetition]
    if any(len(c) != 1 or c.isalnum() or c == " " for c in chars) or len(set(chars)) != len(chars):
        raise X12WriteError(f"unusable delimiters {d}: each must be one distinct character, not a letter, "
                            "digit or space (005010 needs a repetition separator too)")
