"""Properties of the engine over generated claims (hypothesis, derandomized), and of the synthetic
claim generator (``hitbenefit.synth``): payment arithmetic, units, batch order, history purity,
rejected lines and history, rounding half up, and the generator's injected-error labels."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hitbenefit.claims.history import BeneficiaryHistory, ClaimsHistory
from hitbenefit.claims.read_json import claim_from_json
from hitbenefit.engine.adjudicate import adjudicate_batch, adjudicate_claim
from hitbenefit.engine.tables import Tables
from hitbenefit.money import to_cents
from hitbenefit.parameters.load import bundled_parameters
from hitbenefit.rates.model import RateBook, RateTable
from hitbenefit.synth import ERRORS, generate_claims

SETTINGS = dict(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOCALITY = "11302-00"
GCODES = ("G0068", "G0069", "G0070", "G0088", "G0089", "G0090")
CATEGORY = {"G0068": 1, "G0069": 2, "G0070": 3, "G0088": 1, "G0089": 2, "G0090": 3}
INITIAL = {1: "G0088", 2: "G0089", 3: "G0090"}
DRUG = {1: ("J0133", []), 2: ("J1559", ["JB"]), 3: ("J9000", [])}
CENT = Decimal("0.01")


def tables(national: dict[str, Decimal] | None = None, gaf: Decimal = Decimal("1.000"),
           locality: dict[str, Decimal] | None = None, years=range(2021, 2027)) -> Tables:
    national = national or {code: Decimal("200.00") for code in GCODES}
    book = RateBook({year: RateTable(year, "property test table", "official", national=dict(national),
                                     locality={(LOCALITY, c): a for c, a in (locality or {}).items()},
                                     gaf={LOCALITY: gaf}) for year in years})
    return Tables(bundled_parameters(), book, locality_states={LOCALITY: "VA"})


@lru_cache(maxsize=1)
def default_tables() -> Tables:
    return tables()


def claim_json(claim_id: str = "P-1", mbi: str = "1EG4TE5MK73", lines: list[dict] | None = None,
               deductible: Decimal | int = Decimal("0.00"), **changes) -> dict:
    """A complete, valid contract claim (as tests/scenarios/_base.yaml), with ``changes`` on top."""
    lines = lines or [gline("G0069", date(2025, 3, 3)), dline(2, date(2025, 3, 3))]
    first = min(line["service_date"] for line in lines)
    claim = {
        "claim_id": claim_id, "payer": "medicare-ffs",
        "supplier": {"npi": "1234567893", "specialty": "D6", "accreditation_expires": "2030-12-31",
                     "licensed_states": ["VA"]},
        "beneficiary": {"mbi": mbi, "part_b": [{"from": "2019-01-01", "to": None}], "medicare_advantage": [],
                        "institutional_stays": [], "deductible_remaining": deductible},
        "plan_of_care": {"established_by": {"npi": "1003000126", "role": "physician"},
                         "care_provider_role": "nurse_practitioner", "therapy_type": "infusion",
                         "medication": "J1559", "dosage": "10 g", "frequency": "weekly", "duration": "26 weeks",
                         "professional_services": ["nursing"], "visit_frequency": "weekly", "discipline": "RN",
                         "signed_date": "2020-12-01", "last_changed": "2020-12-01", "last_reviewed": first},
        "service_locality": LOCALITY,
        "lines": lines,
    }
    claim.update(changes)
    return claim


def gline(code: str, day: date, number: int = 1, charge: Decimal | int = Decimal("500.00"), units=8,
          **changes) -> dict:
    line = {"line": number, "hcpcs": code, "modifiers": [], "units": units, "service_date": day.isoformat(),
            "place_of_service": "12", "charge": charge,
            "visit": {"in_person": True, "drug_administered": True, "minutes": 120}}
    line.update(changes)
    return line


def dline(number: int, day: date, category: int = 2, **changes) -> dict:
    code, modifiers = DRUG[category]
    line = {"line": number, "hcpcs": code, "modifiers": list(modifiers), "units": 10,
            "service_date": day.isoformat(), "place_of_service": "12", "charge": Decimal("0.00")}
    line.update(changes)
    return line


def keys(line) -> set[str]:
    return {r.key for r in line.reasons}


def amounts(decision) -> list[tuple]:
    return [(d.line, d.status, d.allowed, d.deductible, d.coinsurance, d.sequestration, d.paid)
            for d in decision.lines]


# -- strategies -------------------------------------------------------------------------------

def money(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Dollars with exactly two decimals, from cents."""
    return st.integers(low, high).map(lambda cents: Decimal(cents).scaleb(-2))


charges = money(0, 200_000)
rates = money(1, 150_000)
gafs = st.integers(500, 2000).map(lambda thousandths: Decimal(thousandths).scaleb(-3))
deductibles = money(0, 30_000)
LAST_RATED_DAY = date(2026, 12, 31)  # the last day of the tables' years
service_days = st.dates(date(2021, 1, 1), LAST_RATED_DAY)
unit_counts = st.integers(1, 96)


@st.composite
def priced_claims(draw):
    """Tables with drawn rates and GAF, and a claim of one to three visit days with drugs."""
    national = {code: draw(rates) for code in GCODES}
    use_locality = draw(st.booleans())
    locality = {code: draw(rates) for code in GCODES} if use_locality else None
    t = tables(national, draw(gafs), locality)
    first = draw(service_days.filter(lambda d: d <= LAST_RATED_DAY - timedelta(days=20)))  # every day has a rate
    lines, number = [], 1
    for offset in draw(st.lists(st.integers(0, 20), min_size=1, max_size=3, unique=True)):
        day = first + timedelta(days=offset)
        code = draw(st.sampled_from(GCODES))
        lines.append(gline(code, day, number, charge=draw(charges), units=draw(unit_counts)))
        lines.append(dline(number + 1, day, CATEGORY[code]))
        number += 2
    return t, claim_json(lines=lines, deductible=draw(deductibles))


# -- payment arithmetic ------------------------------------------------------------------------

@settings(max_examples=300, **SETTINGS)
@given(priced_claims())
def test_paid_lines_add_up_and_never_exceed_the_charge(case):
    t, raw = case
    claim = claim_from_json(raw)
    decision = adjudicate_claim(claim, BeneficiaryHistory(), t)
    charges_by_line = {line.line: line.charge for line in claim.lines}
    paid_lines = [d for d in decision.lines if d.visit_type is not None and d.status == "paid"]
    assert paid_lines, [(d.hcpcs, keys(d)) for d in decision.lines]
    for d in paid_lines:
        parts = (d.allowed, d.deductible, d.coinsurance, d.sequestration, d.paid)
        for amount in parts:
            assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2, (d.hcpcs, parts)
            assert amount >= 0
        assert d.paid + d.coinsurance + d.deductible + d.sequestration == d.allowed
        assert d.allowed <= charges_by_line[d.line]
    assert sum(d.deductible for d in paid_lines) <= claim.beneficiary.deductible_remaining


json_money = st.one_of(st.integers(0, 2000), money(0, 200_000),
                       st.integers(0, 20_000).map(lambda dimes: Decimal(dimes).scaleb(-1)))


# Found by this test: amounts kept the exponent of the JSON money (charge 150 -> allowed Decimal('150')).
@settings(max_examples=100, **SETTINGS)
@given(st.sampled_from(GCODES), json_money, json_money)
def test_amounts_are_cents_whatever_the_json_money_looks_like(code, charge, deductible):
    day = date(2025, 3, 3)
    raw = claim_json(lines=[gline(code, day, charge=charge), dline(2, day, CATEGORY[code])], deductible=deductible)
    decision = adjudicate_claim(claim_from_json(raw), BeneficiaryHistory(), default_tables())
    for d in decision.lines:
        for amount in (d.allowed, d.deductible, d.coinsurance, d.sequestration, d.paid):
            assert amount.as_tuple().exponent == -2, (code, charge, deductible, amounts(decision))


@settings(max_examples=150, **SETTINGS)
@given(priced_claims(), st.lists(unit_counts, min_size=3, max_size=3))
def test_units_never_change_an_amount(case, new_units):
    t, raw = case
    before = adjudicate_claim(claim_from_json(raw), BeneficiaryHistory(), t)
    changed = copy.deepcopy(raw)
    for line, units in zip((line for line in changed["lines"] if line["hcpcs"] in GCODES), new_units):
        line["units"] = units
    after = adjudicate_claim(claim_from_json(changed), BeneficiaryHistory(), t)
    assert amounts(after) == amounts(before)
    assert after.totals == before.totals


# -- batch order and history -------------------------------------------------------------------

@st.composite
def batches(draw):
    """Several claims for each of a few beneficiaries, distinct claim ids, days close enough for
    the 30- and 60-day look-backs and the once-a-day edit to interact."""
    claims = []
    start = date(2025, 1, 1)
    for b in range(draw(st.integers(1, 3))):
        mbi = f"{b + 1}EG4TE5MK7{b}"
        for _ in range(draw(st.integers(1, 5))):
            day = start + timedelta(days=draw(st.integers(0, 120)))
            code = draw(st.sampled_from(GCODES))
            lines = [gline(code, day)]
            if draw(st.booleans()):
                drug_day = day - timedelta(days=draw(st.integers(0, 3)))
                lines.append(dline(2, drug_day, draw(st.sampled_from([1, 2, 2, 3]))))
            claims.append(claim_json(f"B{len(claims):03d}", mbi, lines))
    return claims


@settings(max_examples=120, **SETTINGS)
@given(batches(), st.randoms(use_true_random=False))
def test_batch_order_never_changes_a_decision(raw_claims, rnd):
    claims = [claim_from_json(raw) for raw in raw_claims]
    t = default_tables()
    expected = {d.claim_id: d.to_json() for d in adjudicate_batch(claims, t)}
    shuffled = list(claims)
    rnd.shuffle(shuffled)
    decisions = adjudicate_batch(shuffled, t)
    assert [d.claim_id for d in decisions] == [c.claim_id for c in shuffled]  # input order back
    assert {d.claim_id: d.to_json() for d in decisions} == expected


def _naive_history():
    """The benchmark's named baseline (benchmarks/naive.py): every line kept forever, scanned linearly."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from naive import NaiveClaimsHistory
    finally:
        sys.path.pop(0)
    return NaiveClaimsHistory()


@settings(max_examples=80, **SETTINGS)
@given(batches())
def test_a_history_that_never_forgets_decides_the_same(raw_claims):
    claims = [claim_from_json(raw) for raw in raw_claims]
    t = default_tables()
    assert ([d.to_json() for d in adjudicate_batch(claims, t, history=_naive_history())]
            == [d.to_json() for d in adjudicate_batch(claims, t)])


def test_synthetic_claims_decide_the_same_with_the_naive_baseline():
    claims = [claim_from_json(raw) for raw in generate_claims(3000, seed=11)]
    t = default_tables()
    naive = adjudicate_batch(claims, t, history=_naive_history())
    engine = adjudicate_batch(claims, t)
    assert any("DUPLICATE_CATEGORY_DAY" in keys(line) for d in engine for line in d.lines)
    assert [d.to_json() for d in naive] == [d.to_json() for d in engine]


def _snapshot(history: BeneficiaryHistory):
    return (list(history.visit_dates), set(history.category_days),
            {c: list(days) for c, days in history.drug_dates.items()})


@settings(max_examples=150, **SETTINGS)
@given(batches(), st.lists(st.tuples(st.integers(0, 150), st.integers(1, 3), st.booleans()), max_size=12))
def test_adjudicate_claim_leaves_the_history_alone(raw_claims, entries):
    history = BeneficiaryHistory()
    for offset, category, is_visit in entries:
        day = date(2024, 11, 1) + timedelta(days=offset)
        (history.add_visit if is_visit else history.add_drug)(day, category)
    before = _snapshot(history)
    for raw in raw_claims:
        adjudicate_claim(claim_from_json(raw), history, default_tables())
        assert _snapshot(history) == before


REJECTIONS = {
    "INVALID_UNITS": lambda claim: claim["lines"][0].update(units=0),
    "MEDICARE_ADVANTAGE": lambda claim: claim["beneficiary"].update(medicare_advantage=[{"from": "2021-01-01"}]),
    "PLAN_NOT_SIGNED": lambda claim: claim["plan_of_care"].update(last_changed="2021-06-01"),
    "MISSING_JB_MODIFIER": lambda claim: claim["lines"][1].update(modifiers=[]),
    "HH_TIME_NOT_SEPARATED": lambda claim: claim["lines"][0]["visit"].update(hh_minutes=30, minutes=0),
}


@settings(max_examples=60, **SETTINGS)
@given(st.sampled_from(sorted(REJECTIONS)), st.integers(1, 59), service_days.filter(lambda d: d.year < 2026))
def test_a_rejected_initial_visit_never_enters_the_history(why, gap, day):
    first = claim_json("R-1", lines=[gline("G0089", day), dline(2, day)])
    REJECTIONS[why](first)
    later = day + timedelta(days=gap)
    second = claim_json("R-2", lines=[gline("G0089", later), dline(2, later)])
    d1, d2 = adjudicate_batch([claim_from_json(first), claim_from_json(second)], default_tables())
    assert d1.lines[0].status == "rejected" and why in keys(d1.lines[0]), [keys(x) for x in d1.lines]
    assert d2.lines[0].status == "paid", keys(d2.lines[0])
    assert "INITIAL_WITHIN_60_DAYS" not in keys(d2.lines[0])


def test_a_rejected_drug_line_does_not_qualify_a_later_visit():
    day = date(2025, 3, 3)
    first = claim_json("D-1", lines=[gline("G0089", day), dline(2, day, modifiers=[])])
    second = claim_json("D-2", lines=[gline("G0069", day + timedelta(days=7))])
    d1, d2 = adjudicate_batch([claim_from_json(first), claim_from_json(second)], default_tables())
    assert d1.lines[1].status == "rejected"
    assert "NO_QUALIFYING_DRUG" in keys(d2.lines[0])


def test_an_accepted_initial_visit_does_enter_the_history():
    day = date(2025, 3, 3)
    later = day + timedelta(days=59)
    d1, d2 = adjudicate_batch([claim_from_json(claim_json("A-1", lines=[gline("G0089", day), dline(2, day)])),
                               claim_from_json(claim_json("A-2", lines=[gline("G0089", later), dline(2, later)]))],
                              default_tables())
    assert d1.lines[0].status == "paid"
    assert "INITIAL_WITHIN_60_DAYS" in keys(d2.lines[0])


# -- rounding half up ------------------------------------------------------------------------

def test_to_cents_rounds_half_up():
    assert to_cents(Decimal("0.125")) == Decimal("0.13")
    assert to_cents(Decimal("0.135")) == Decimal("0.14")
    assert to_cents(Decimal("2.675")) == Decimal("2.68")
    assert to_cents(Decimal("0.124999")) == Decimal("0.12")


def test_national_times_gaf_on_a_half_cent_rounds_up():
    # 100.03 x 1.500 = 150.045: half up gives 150.05 (half even would give 150.04).
    t = tables({code: Decimal("100.03") for code in GCODES}, Decimal("1.500"))
    decision = adjudicate_claim(claim_from_json(claim_json()), BeneficiaryHistory(), t)
    line = decision.lines[0]
    assert line.status == "paid" and line.allowed == Decimal("150.05")
    assert line.coinsurance == Decimal("30.01")  # 0.20 x 150.05 = 30.010


def test_sequestration_on_a_half_cent_rounds_up():
    # allowed 100.31: coinsurance 20.062 -> 20.06, Medicare 80.25, 2% = 1.605 -> 1.61 (half even: 1.60).
    t = tables(locality={code: Decimal("100.31") for code in GCODES})
    line = adjudicate_claim(claim_from_json(claim_json()), BeneficiaryHistory(), t).lines[0]
    assert (line.allowed, line.coinsurance, line.sequestration, line.paid) == (
        Decimal("100.31"), Decimal("20.06"), Decimal("1.61"), Decimal("78.64"))


@settings(max_examples=200, **SETTINGS)
@given(rates, gafs)
def test_national_times_gaf_is_rounded_half_up_to_cents(national, gaf):
    t = tables({code: national for code in GCODES}, gaf)
    line = adjudicate_claim(claim_from_json(claim_json(lines=[gline("G0069", date(2025, 3, 3),
                                                                    charge=Decimal("99999.99")),
                                                              dline(2, date(2025, 3, 3))])),
                            BeneficiaryHistory(), t).lines[0]
    exact = national * gaf
    assert line.allowed == to_cents(exact)
    assert abs(line.allowed - exact) <= Decimal("0.005")
    if exact - exact.quantize(CENT, rounding="ROUND_DOWN") == Decimal("0.005"):
        assert line.allowed > exact


# -- the synthetic generator -----------------------------------------------------------------

def test_synth_same_seed_same_claims():
    first = list(generate_claims(300, seed=7))
    assert first == list(generate_claims(300, seed=7))
    assert first != list(generate_claims(300, seed=8))
    assert len(first) == 300 and len({c["claim_id"] for c in first}) == 300


def test_synth_claims_are_json_ready():
    for raw in generate_claims(200, seed=3):
        claim_from_json(raw)
        for line in raw["lines"]:
            assert isinstance(line["service_date"], str) and isinstance(line["charge"], Decimal)
        assert raw["extra"]["synthetic"] is True


def test_engine_agrees_with_the_generators_labels():
    raw_claims = list(generate_claims(2000, seed=11))
    claims = [claim_from_json(raw) for raw in raw_claims]
    from hitbenefit.service import load_tables

    decisions = adjudicate_batch(claims, load_tables())
    labelled = 0
    for raw, decision in zip(raw_claims, decisions):
        found = {r.key for line in decision.lines for r in line.reasons}
        expected = raw["extra"]["expected"]
        labelled += bool(expected)
        for key in expected:
            assert key in found, (raw["claim_id"], key, decision.to_json())
        if not expected:  # a clean synthetic claim is paid in full
            assert decision.status == "paid", (raw["claim_id"], decision.to_json())
    assert labelled >= 40  # every kind of injected error shows up at this size
    kinds = {k for raw in raw_claims for k in raw["extra"]["expected"]}
    assert kinds == set(ERRORS), kinds


def test_claims_history_is_bounded_by_the_lookback():
    claims = [claim_from_json(raw) for raw in generate_claims(3000, seed=5)]
    history = ClaimsHistory()
    adjudicate_batch(claims, default_tables(), history=history)
    seen = sum(len(c.lines) for c in claims)
    assert history.entries() < seen / 2
