"""SYNTHETIC home infusion therapy claims, for tests and benchmarks. Not real data.

``generate_claims`` writes contract claim dicts (CONTRACT §1; dates as ``YYYY-MM-DD``, money as
``Decimal``) from a seeded ``random.Random``: the same arguments always give the same claims.

The world it simulates: a few D6 suppliers per payment locality, licensed in the locality's state;
beneficiaries who go through episodes of therapy (category 2 subcutaneous immunoglobulin most often,
weekly; category 1 IV therapies every 3-7 days; category 3 chemotherapy, rarer, every 1-2 weeks). An
episode opens with an initial-visit code when no HIT visit was accepted in the 60 days before, and
continues with subsequent-visit codes; each visit day is one claim with the G-code line and the drug
J-code line (JB on category 2), units from the visit's minutes. Claims come out in date order with
increasing claim ids, which is the contract's batch order (CONTRACT §5).

A few claims carry one injected error, labelled with the reason key the engine should give in
``extra``: ``{"synthetic": true, "expected": ["MISSING_JB_MODIFIER"]}``; a clean claim has
``"expected": []`` and every G-code line on it should be paid. ``NOT_HOME`` is a visit billed while
the beneficiary is in a skilled nursing facility stay (the stay is on the claim's beneficiary, and
half the time the supplier codes place of service 31, SNF): not the home (FAQ 1, 20); the episode
resumes at home after the stay.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from random import Random
from typing import Iterator

DEFAULT_LOCALITIES = ["11302-00", "01112-54", "12302-01"]
KNOWN_STATES = {"11302-00": "VA", "01112-54": "CA", "12302-01": "MD"}
INITIAL = {1: "G0088", 2: "G0089", 3: "G0090"}
SUBSEQUENT = {1: "G0068", 2: "G0069", 3: "G0070"}
#: category -> (share of episodes, drug codes, days between visits, episode length in weeks, therapy)
THERAPIES = {
    1: (Decimal("0.35"), ["J0133", "J1250", "J2260", "J3285", "J1570"], (3, 7), (2, 12), "intravenous infusion"),
    2: (Decimal("0.55"), ["J1559", "J1555", "J1575", "J1569"], (7, 7), (12, 52), "subcutaneous immunotherapy"),
    3: (Decimal("0.10"), ["J9000", "J9190", "J9100"], (7, 14), (4, 24), "intravenous chemotherapy"),
}
#: HIT G-code -> usual charge before a supplier's own markup
BASE_CHARGE = {"G0088": "420.00", "G0089": "480.00", "G0090": "520.00",
               "G0068": "300.00", "G0069": "350.00", "G0070": "380.00"}
ERRORS = ["DUPLICATE_CATEGORY_DAY", "MISSING_JB_MODIFIER", "NOC_DRUG_NAME_MISSING",
          "INITIAL_WITHIN_60_DAYS", "NOT_INFUSION_DAY", "MEDICARE_ADVANTAGE", "NOT_HOME"]
SNF_PLACE_OF_SERVICE = "31"
ERROR_RATE = Decimal("0.05")
_ALPHA = "ACDEFGHJKMNPQRTUVWXY"  # MBI letters: no S, L, O, I, B, Z
_DIGITS = "0123456789"


def _luhn_npi(rng: Random) -> str:
    """A 10-digit NPI whose check digit is valid (Luhn over the 80840 prefix)."""
    body = str(rng.randint(1, 2)) + "".join(rng.choice(_DIGITS) for _ in range(8))
    total = 0
    for i, ch in enumerate(reversed("80840" + body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _mbi(rng: Random) -> str:
    """An identifier in the Medicare Beneficiary Identifier format (not a real person's)."""
    pattern = ["N1", "A", "X", "N", "A", "X", "N", "A", "A", "N", "N"]
    pools = {"N1": "123456789", "A": _ALPHA, "X": _ALPHA + _DIGITS, "N": _DIGITS}
    return "".join(rng.choice(pools[p]) for p in pattern)


@dataclass
class _Supplier:
    npi: str
    state: str
    markup: Decimal

    def as_json(self) -> dict:
        return {"npi": self.npi, "specialty": "D6", "accreditation_expires": "2030-12-31",
                "licensed_states": [self.state]}


@dataclass
class _Beneficiary:
    mbi: str
    locality: str
    supplier: _Supplier
    part_b_from: date
    category: int = 0
    drug: str = ""
    plan_signed: date = date.min
    episode_end: date = date.min
    stay: tuple[date, date] | None = None
    snf: tuple[date, date] | None = None  # a skilled nursing facility stay during the episode
    last_visit: date | None = None  # the last G-code the engine will accept (not rejected)
    deductible: dict[int, Decimal] = field(default_factory=dict)  # year -> still owed


class _World:
    def __init__(self, n: int, seed: int, start: date, localities: list[str]) -> None:
        self.rng, self.n, self.start, self.seed = Random(seed), n, start, seed
        self.localities = list(localities)
        self.suppliers = {loc: [_Supplier(_luhn_npi(self.rng), _state(loc), self.rng.choice(
            [Decimal("1.00"), Decimal("1.10"), Decimal("1.25"), Decimal("1.50")])) for _ in range(3)]
            for loc in self.localities}
        self.queue: list[tuple[date, int, _Beneficiary]] = []
        self.seq = self.emitted = 0

    def schedule(self, day: date, ben: _Beneficiary) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (day, self.seq, ben))

    def new_beneficiary(self, around: date) -> None:
        rng = self.rng
        loc = rng.choice(self.localities)
        ben = _Beneficiary(_mbi(rng), loc, rng.choice(self.suppliers[loc]),
                           date(rng.randint(2005, 2020), rng.randint(1, 12), 1))
        self.start_episode(ben, around + timedelta(days=rng.randint(0, 90)))

    def start_episode(self, ben: _Beneficiary, day: date) -> None:
        rng = self.rng
        pick, total = Decimal(rng.randint(0, 99)) / 100, Decimal(0)
        for category, (share, drugs, _, weeks, _) in THERAPIES.items():
            total += share
            if pick < total:
                break
        ben.category, ben.drug = category, rng.choice(drugs)
        ben.plan_signed = day - timedelta(days=rng.randint(1, 7))
        ben.episode_end = day + timedelta(weeks=rng.randint(*weeks))
        ben.stay = ben.snf = None
        if rng.random() < 0.3:  # many therapies start at discharge from a hospital
            end = day - timedelta(days=rng.randint(1, 3))
            ben.stay = (end - timedelta(days=rng.randint(2, 10)), end)
        self.schedule(day, ben)

    def claims(self) -> Iterator[dict]:
        for _ in range(max(1, self.n // 25)):
            self.new_beneficiary(self.start)
        while self.emitted < self.n:
            if not self.queue:
                self.new_beneficiary(self.start)
                continue
            day, _, ben = heapq.heappop(self.queue)
            yield from self.visit(ben, day)

    def visit(self, ben: _Beneficiary, day: date) -> Iterator[dict]:
        rng = self.rng
        first = ben.last_visit is None or (day - ben.last_visit).days > 60
        error = rng.choice(ERRORS) if Decimal(rng.randint(0, 999)) / 1000 < ERROR_RATE else None
        if error in ("MISSING_JB_MODIFIER", "NOC_DRUG_NAME_MISSING", "INITIAL_WITHIN_60_DAYS",
                     "NOT_INFUSION_DAY", "NOT_HOME") and first:
            error = None  # these are injected into a running episode only
        if error == "MISSING_JB_MODIFIER" and ben.category != 2:
            error = "NOC_DRUG_NAME_MISSING"
        code = INITIAL[ben.category] if first or error == "INITIAL_WITHIN_60_DAYS" else SUBSEQUENT[ben.category]
        if error == "NOT_HOME":
            ben.snf = (day - timedelta(days=rng.randint(1, 5)), day + timedelta(days=rng.randint(2, 12)))
        claim = self.claim(ben, day, code, error)
        yield claim
        if error == "DUPLICATE_CATEGORY_DAY" and self.emitted < self.n:  # a second supplier bills the same day
            claim["extra"]["expected"] = []
            others = [s for s in self.suppliers[ben.locality] if s is not ben.supplier]
            yield self.claim(ben, day, code, error, supplier=rng.choice(others))
        if error not in ("INITIAL_WITHIN_60_DAYS", "MEDICARE_ADVANTAGE"):
            ben.last_visit = day
        if error == "MEDICARE_ADVANTAGE":  # the member has left original Medicare: a newcomer takes the place
            self.new_beneficiary(day)
            return
        low, high = THERAPIES[ben.category][2]
        following = day + timedelta(days=rng.randint(low, high))
        if error == "NOT_HOME":  # home again after the stay
            following = max(following, ben.snf[1] + timedelta(days=1))
        if following <= ben.episode_end:
            self.schedule(following, ben)
        elif rng.random() < 0.5:  # a later course of therapy, sometimes within 60 days of this one
            self.start_episode(ben, following + timedelta(days=rng.randint(7, 150)))
        else:
            self.new_beneficiary(day)

    def claim(self, ben: _Beneficiary, day: date, code: str, error: str | None,
              supplier: _Supplier | None = None) -> dict:
        rng, supplier = self.rng, supplier or ben.supplier
        self.emitted += 1
        remote = error == "NOT_INFUSION_DAY"
        minutes = rng.randrange(15, 40, 5) if remote else rng.randrange(90 if code in INITIAL.values() else 45,
                                                                        181, 5)
        units = int((Decimal(minutes) / 15).to_integral_value(rounding=ROUND_HALF_UP))
        charge = (Decimal(BASE_CHARGE[code]) * supplier.markup).quantize(Decimal("0.01"))
        place = SNF_PLACE_OF_SERVICE if error == "NOT_HOME" and rng.random() < 0.5 else "12"
        lines = [{"line": 1, "hcpcs": code, "modifiers": [], "units": units, "service_date": day.isoformat(),
                  "place_of_service": place, "charge": charge,
                  "visit": {"in_person": not remote, "drug_administered": not remote, "minutes": minutes}}]
        if not remote:
            drug = {"line": 2, "hcpcs": ben.drug, "modifiers": ["JB"] if ben.category == 2 else [],
                    "units": rng.randint(50, 200) if ben.category == 2 else rng.randint(1, 20),
                    "service_date": day.isoformat(), "place_of_service": place, "charge": Decimal("0.00")}
            if error == "MISSING_JB_MODIFIER":
                drug["modifiers"] = []
            elif error == "NOC_DRUG_NAME_MISSING":
                drug["hcpcs"], drug["units"] = "J7799", 1
            lines.append(drug)
        owed = ben.deductible.setdefault(day.year, rng.choice([Decimal("0.00")] * 3 + [Decimal("257.00")]))
        ben.deductible[day.year] = Decimal("0.00")  # the first claim of the year meets it
        reviewed = ben.plan_signed + timedelta(days=(day - ben.plan_signed).days // 60 * 60)
        therapy = THERAPIES[ben.category][4]
        return {
            "claim_id": f"SYN{self.seed}-{self.emitted:08d}",
            "received_date": (day + timedelta(days=rng.randint(1, 10))).isoformat(),
            "payer": "medicare-ffs",
            "supplier": supplier.as_json(),
            "beneficiary": {
                "mbi": ben.mbi, "part_b": [{"from": ben.part_b_from.isoformat(), "to": None}],
                "medicare_advantage": ([{"from": day.replace(day=1).isoformat(), "to": None}]
                                       if error == "MEDICARE_ADVANTAGE" else []),
                "institutional_stays": _stays(ben),
                "deductible_remaining": owed},
            "plan_of_care": {
                "established_by": {"npi": "1003000126", "role": "physician"},
                "care_provider_role": rng.choice(["physician", "nurse_practitioner", "physician_assistant"]),
                "therapy_type": therapy, "medication": ben.drug, "dosage": "per prescription",
                "frequency": "weekly" if ben.category == 2 else "per protocol", "duration": "per episode",
                "professional_services": ["nursing", "training", "monitoring"],
                "visit_frequency": "1 per week" if ben.category == 2 else "1-2 per week", "discipline": "RN",
                "signed_date": ben.plan_signed.isoformat(), "last_changed": ben.plan_signed.isoformat(),
                "last_reviewed": reviewed.isoformat()},
            "service_locality": ben.locality,
            "lines": lines,
            "extra": {"synthetic": True, "expected": [error] if error else []},
        }


def _stays(ben: _Beneficiary) -> list[dict]:
    return [{"from": stay[0].isoformat(), "to": stay[1].isoformat(), "kind": kind}
            for stay, kind in ((ben.stay, "hospital"), (ben.snf, "snf")) if stay is not None]


def _state(locality: str) -> str:
    if locality in KNOWN_STATES:
        return KNOWN_STATES[locality]
    from hitbenefit.rates.localities import locality_states  # bundled CMS locality file

    return locality_states()[locality]


def generate_claims(n: int, seed: int = 0, start: date = date(2025, 1, 1),
                    localities: list[str] = DEFAULT_LOCALITIES) -> Iterator[dict]:
    """Yield ``n`` SYNTHETIC contract claim dicts (not real data), reproducibly from ``seed``.

    Claims come in batch order (service date, then claim id). ``extra.expected`` lists the reason
    key of the error injected into the claim, if any (DUPLICATE_CATEGORY_DAY, MISSING_JB_MODIFIER,
    NOC_DRUG_NAME_MISSING, INITIAL_WITHIN_60_DAYS, NOT_INFUSION_DAY, MEDICARE_ADVANTAGE, NOT_HOME).
    """
    if n <= 0:
        return iter(())
    return _World(n, seed, start, localities).claims()
