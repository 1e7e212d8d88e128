"""Contract claims as an X12 837P (005010X222A1) interchange: the claim the supplier sends the A/B MAC.

One transaction (ST...SE) per billing provider (the claim's ``supplier.npi``); in it the billing
provider's HL (2000A), one subscriber HL (2000B) per beneficiary (MBI), and under it that
beneficiary's claims (2300) and lines (2400). The patient is always the subscriber (SBR02 ``18``),
so there is no 2000C loop.

The contract claim does not carry everything the guide requires (names, addresses, the billing
provider's tax id, the beneficiary's birth date, a diagnosis). Those are taken from the claim's
``extra`` when it has them (``extra.x12.<part>`` first, then ``extra.<part>``; see
:data:`EXTRA_KEYS`), else from :class:`Placeholders`: visibly fake values the caller may replace,
and that :func:`placeholders_used` lists so a command can warn. docs/x12.md has the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping

from hitbenefit.claims.model import Claim, ClaimLine
from hitbenefit.rates.localities import locality_states
from hitbenefit.x12.envelope import Builder, X12WriteError, amount, d8, fit, interchange, naming, quantity
from hitbenefit.x12.segments import Delimiters, Segment

VERSION = "005010X222A1"
NOC_CODES = frozenset({"J7799", "J7999"})
"""Not-otherwise-classified drug codes whose drug name goes in SV101-7 (FAQ 17)."""

EXTRA_KEYS = {
    "billing_provider": ("name", "address", "city", "state", "zip", "tax_id"),
    "subscriber": ("last_name", "first_name", "address", "city", "state", "zip", "birth_date", "gender"),
    "payer": ("name", "id"),
    "diagnosis_codes": (),
    "frequency_code": (),
}
"""What the writer reads from ``claim.extra`` (under ``"x12"`` or at its top level). ``address`` is a
string or a list of one or two lines; ``birth_date`` is ``YYYY-MM-DD``; ``gender`` ``M``/``F``/``U``;
``diagnosis_codes`` a list of ICD-10-CM codes (with or without the dot); ``frequency_code`` CLM05-3."""


@dataclass(frozen=True, slots=True)
class Placeholders:
    """Values the guide requires and a contract claim does not carry; every one visibly a placeholder.

    A receiver's front end may reject them (an all-zero tax id, an unknown birth date): replace them
    with the supplier's own, either here or per claim in ``extra``.
    """

    submitter_phone: str = "0000000000"
    billing_name: str = "PLACEHOLDER BILLING PROVIDER"
    billing_tax_id: str = "000000000"
    address: str = "PLACEHOLDER ADDRESS"
    city: str = "PLACEHOLDER"
    state: str = "DC"  # a valid code is required (the subscriber's is checked against the state list)
    zip: str = "000000000"
    subscriber_last_name: str = "PLACEHOLDER"
    birth_date: date = date(1900, 1, 1)
    gender: str = "U"
    diagnosis: str = "R69"  # ICD-10-CM "illness, unspecified": no diagnosis was given


PLACEHOLDERS = Placeholders()


def extra_part(claim: Claim, key: str) -> Any:
    extra = claim.extra if isinstance(claim.extra, Mapping) else {}
    x12 = extra.get("x12") if isinstance(extra.get("x12"), Mapping) else {}
    found = x12.get(key)
    return found if found not in (None, "", [], {}) else extra.get(key)


def _party(claim: Claim, key: str) -> Mapping[str, Any]:
    found = extra_part(claim, key)
    return found if isinstance(found, Mapping) else {}


def _state(claim: Claim, key: str) -> str | None:
    """The party's state: its own, else for the subscriber the state of the service locality (the
    patient's home), for the billing provider its one licensed state or that same locality's state."""
    own = _party(claim, key).get("state")
    if own:
        return own
    if key == "billing_provider" and claim.supplier.licensed_states and len(claim.supplier.licensed_states) == 1:
        return claim.supplier.licensed_states[0]
    return locality_states().get(claim.service_locality or "")


def placeholders_used(claims: Iterable[Claim]) -> dict[str, list[str]]:
    """For each claim that needs a placeholder, what it lacks (``{"claim id": ["billing_provider.tax_id", ...]}``)."""
    out: dict[str, list[str]] = {}
    for claim in claims:
        missing = [f"{part}.{field}" for part, fields in (("billing_provider", ("name", "address", "city", "state",
                                                                                "zip", "tax_id")),
                                                          ("subscriber", ("last_name", "address", "city", "state",
                                                                          "zip", "birth_date", "gender")))
                   for field in fields
                   if not (_state(claim, part) if field == "state" else _party(claim, part).get(field))]
        if not extra_part(claim, "diagnosis_codes"):
            missing.append("diagnosis_codes")
        if missing:
            out[claim.claim_id] = missing
    return out


def _address(party: Mapping[str, Any], fallback: Placeholders) -> tuple[str, ...]:
    lines = party.get("address") or [party.get("address_1") or fallback.address, party.get("address_2")]
    if isinstance(lines, str):
        lines = [lines]
    return tuple(fit(line, 55, "address line") for line in lines if line)[:2] or (fallback.address,)


def _n4(build: Builder, claim: Claim, key: str, fallback: Placeholders) -> Segment:
    party = _party(claim, key)
    return build("N4", fit(party.get("city") or fallback.city, 30, "city"),
                 fit(_state(claim, key) or fallback.state, 2, f"{key}.state"),
                 fit(str(party.get("zip") or fallback.zip).replace("-", ""), 15, "zip"))


def _billing_provider(build: Builder, claim: Claim, fallback: Placeholders) -> list[Segment]:
    party = _party(claim, "billing_provider")
    tax_id = str(party.get("tax_id") or fallback.billing_tax_id).replace("-", "")
    return [
        build("NM1", "85", "2", fit(party.get("name") or fallback.billing_name, 60, "billing provider name"),
              "", "", "", "", "XX", fit(claim.supplier.npi, 80, "supplier.npi")),
        build("N3", *_address(party, fallback)),
        _n4(build, claim, "billing_provider", fallback),
        build("REF", "EI", fit(tax_id, 50, "billing provider tax id")),
    ]


def _subscriber(build: Builder, claim: Claim, receiver_name: str, receiver_id: str,
                fallback: Placeholders) -> list[Segment]:
    party = _party(claim, "subscriber")
    payer = _party(claim, "payer")
    born = party.get("birth_date") or fallback.birth_date
    if isinstance(born, str):
        try:
            born = date.fromisoformat(born)
        except ValueError:
            raise X12WriteError(f"subscriber.birth_date {born!r} is not YYYY-MM-DD") from None
    gender = str(party.get("gender") or fallback.gender).upper()[:1]
    # SBR09 claim filing indicator: MB Medicare Part B; 16 Medicare Advantage (HMO Medicare risk).
    filing = "16" if claim.payer == "medicare-advantage" else "MB"
    return [
        build("SBR", "P", "18", "", "", "", "", "", "", filing),
        build("NM1", "IL", "1", fit(party.get("last_name") or fallback.subscriber_last_name, 60, "subscriber last name"),
              fit(party.get("first_name") or "", 35, "subscriber first name"), "", "", "", "MI",
              fit(claim.beneficiary.mbi, 80, "beneficiary.mbi")),
        build("N3", *_address(party, fallback)),
        _n4(build, claim, "subscriber", fallback),
        build("DMG", "D8", d8(born), gender if gender in ("M", "F", "U") else "U"),
        build("NM1", "PR", "2", fit(payer.get("name") or receiver_name, 60, "payer name"), "", "", "", "", "PI",
              fit(payer.get("id") or receiver_id, 80, "payer id")),
    ]


def procedure(line: ClaimLine) -> tuple[str, ...]:
    if len(line.modifiers) > 4:
        raise X12WriteError(f"line {line.line}: {len(line.modifiers)} modifiers; SV101 carries at most 4")
    modifiers = [fit(m, 2, f"line {line.line} modifier") for m in line.modifiers]
    description = ""
    if line.drug_name:
        description = fit(line.drug_name, 80, f"line {line.line} drug_name (SV101-7)")
    if description:
        modifiers += [""] * (4 - len(modifiers))
        return ("HC", fit(line.hcpcs, 48, f"line {line.line} hcpcs"), *modifiers, description)
    return ("HC", fit(line.hcpcs, 48, f"line {line.line} hcpcs"), *modifiers)


def _claim(build: Builder, claim: Claim, fallback: Placeholders) -> list[Segment]:
    place = claim.lines[0].place_of_service
    total = sum((line.charge for line in claim.lines), Decimal("0"))
    frequency = str(extra_part(claim, "frequency_code") or "1")
    codes = extra_part(claim, "diagnosis_codes") or [fallback.diagnosis]
    if isinstance(codes, str):
        codes = [codes]
    codes = [fit(str(code).replace(".", "").upper(), 30, "diagnosis code") for code in codes][:12]
    out = [
        build("CLM", fit(claim.claim_id, 38, "claim_id (CLM01)"), amount(total), "", "", (place, "B", frequency),
              "Y", "A", "Y", "Y"),
        build("HI", *[("ABK" if n == 0 else "ABF", code) for n, code in enumerate(codes)]),
    ]
    for number, line in enumerate(claim.lines, start=1):
        at = build.at(f"line {line.line}")
        out += [
            at("LX", str(number)),
            at("SV1", procedure(line), amount(line.charge), "UN", quantity(line.units),
               fit(line.place_of_service, 2, "place_of_service"), "", ("1",)),
            at("DTP", "472", "D8", d8(line.service_date)),
            at("REF", "6R", str(line.line)),
        ]
    return out


def claims_to_837(claims: Iterable[Claim], *, sender_id: str, receiver_id: str, submitter_name: str,
                  receiver_name: str, control_number: int = 1, date_time: datetime | None = None,
                  delimiters: Delimiters = Delimiters(), placeholders: Placeholders = PLACEHOLDERS,
                  usage: str = "P") -> str:
    """A complete 005010X222A1 interchange for ``claims``: one transaction per billing provider (NPI).

    ``sender_id``/``submitter_name`` are the submitter (ISA06, GS02, 1000A NM109/NM103);
    ``receiver_id``/``receiver_name`` the receiving MAC (ISA08, GS03, 1000B), also the payer of
    2010BB unless the claim's ``extra`` names one. ``usage`` is ISA15 (``P`` or ``T``).
    Raises :class:`X12WriteError` naming the claim and the field that cannot be written.
    """
    build = Builder(delimiters)
    stamp = date_time or datetime.now()
    by_provider: dict[str, dict[str, list[Claim]]] = {}
    for claim in claims:
        by_provider.setdefault(claim.supplier.npi, {}).setdefault(claim.beneficiary.mbi, []).append(claim)
    if not by_provider:
        raise X12WriteError("no claims to write")
    header = [
        build("NM1", "41", "2", fit(submitter_name, 60, "submitter name"), "", "", "", "", "46",
              fit(sender_id, 80, "sender id")),
        build("PER", "IC", fit(submitter_name, 60, "submitter name"), "TE",
              fit(placeholders.submitter_phone, 256, "submitter phone")),
        build("NM1", "40", "2", fit(receiver_name, 60, "receiver name"), "", "", "", "", "46",
              fit(receiver_id, 80, "receiver id")),
    ]
    transactions = []
    for number, subscribers in enumerate(by_provider.values(), start=1):
        first = next(iter(subscribers.values()))[0]
        body = [build("BHT", "0019", "00", f"{control_number}-{number}", d8(stamp), stamp.strftime("%H%M"), "CH"),
                *header, build("HL", "1", "", "20", "1")]
        with naming(f"claim {first.claim_id}"):
            body += _billing_provider(build, first, placeholders)
        for hl, group in enumerate(subscribers.values(), start=2):
            body.append(build("HL", str(hl), "1", "22", "0"))
            with naming(f"claim {group[0].claim_id}"):
                body += _subscriber(build, group[0], receiver_name, receiver_id, placeholders)
            for claim in group:
                with naming(f"claim {claim.claim_id}"):
                    body += _claim(build, claim, placeholders)
        transactions.append(("837", body))
    return interchange(transactions, functional_id="HC", version=VERSION, sender_id=sender_id,
                       receiver_id=receiver_id, control_number=control_number, date_time=stamp,
                       delimiters=delimiters, usage=usage)
