"""Which benefit pays for a home visit: HIT, home health (HH PPS), both with the time split, Part D
(the drug only), the Medicare Advantage plan, or none (FAQ 7, 8, 9, 18, 26; RULES HH, COV, INST).

Pure: ``which_benefit(situation, params)`` reads only the situation and the parameters. Each answer
carries a stable ``key``, the reason in words, its citations (FAQ question, manual or statute,
RULES.md id) and the confidence label of RULES.md §0 for the weakest step it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from hitbenefit.care import fields as f
from hitbenefit.claims.model import ClaimLine
from hitbenefit.parameters.model import Parameters
from hitbenefit.rules.drugs import drug_category, drug_kind
from hitbenefit.rules.facts import EXCLUDED_DRUG, HIT_DRUG, NOC_DRUG

HIT, HH_PPS, BOTH_SPLIT, PART_D, MEDICARE_ADVANTAGE, NOT_COVERED = (
    "HIT", "HH_PPS", "BOTH_SPLIT", "PART_D", "MEDICARE_ADVANTAGE", "NOT_COVERED")
BENEFITS = (HIT, HH_PPS, BOTH_SPLIT, PART_D, MEDICARE_ADVANTAGE, NOT_COVERED)
STAYS = ("hospital", "cah", "snf")


@dataclass(frozen=True, slots=True)
class Situation:
    """One home visit and the patient's situation on its date.

    ``drug_code`` (and ``drug_name`` for J7799/J7999) is looked up in the home infusion drug list;
    without a code, ``home_infusion_drug`` says whether the drug is on it. ``through_dme_pump`` False
    or ``self_administered`` True take a listed drug out of the definition (FAQ 15).
    """

    service_date: date
    drug_code: str | None = None
    drug_name: str | None = None
    home_infusion_drug: bool | None = None
    through_dme_pump: bool = True
    self_administered: bool = False
    in_person: bool = True
    drug_administered: bool = True
    hit_minutes: int | None = None
    home_health_minutes: int = 0
    part_b: bool = True
    medicare_advantage: bool = False
    institutional_stay: str | None = None  # hospital | cah | snf, on the date
    under_home_health_plan: bool = False
    homebound: bool | None = None
    furnished_by_hha: bool = False
    qualified_hit_supplier: bool = True  # the furnishing agency is enrolled as a HIT supplier (D6)


@dataclass(frozen=True, slots=True)
class Answer:
    """Which benefit pays, why, where it is written, and how sure that is (RULES §0 labels)."""

    benefit: str
    key: str
    reason: str
    citations: tuple[str, ...]
    confidence: str
    hit_minutes: int | None = None
    home_health_minutes: int | None = None
    notice: str | None = None
    notice_reference: str | None = None
    drug_category: int | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def hit_billable(self) -> bool:
        """The HIT services claim (837P) is the place for this visit's HIT time."""
        return self.benefit in (HIT, BOTH_SPLIT)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"benefit": self.benefit, "key": self.key, "reason": self.reason,
                               "citations": list(self.citations), "confidence": self.confidence,
                               "minutes": {"hit": self.hit_minutes, "home_health": self.home_health_minutes},
                               "drug_category": self.drug_category, "notes": list(self.notes)}
        if self.notice is not None:
            out["notice"] = {"text": self.notice, "reference": self.notice_reference}
        return out


def _drug(s: Situation, params: Parameters) -> tuple[bool | None, int | None, str, bool]:
    """Is the drug a home infusion drug, its payment category, what the list says, and whether the
    statute excludes it (insulin pump systems, SAD list) (FAQ 15-17)."""
    if s.drug_code is None:
        if s.home_infusion_drug is None:
            return None, None, "no drug was named", False
        return s.home_infusion_drug, None, f"the drug is {'' if s.home_infusion_drug else 'not '}a home infusion drug", False
    line = ClaimLine(1, s.drug_code.upper(), Decimal(1), s.service_date, Decimal(0), drug_name=s.drug_name)
    kind = drug_kind(line, params)
    if kind == EXCLUDED_DRUG:
        return False, None, f"{line.hcpcs}: {params.excluded_drugs[line.hcpcs].what}", True
    if kind not in (HIT_DRUG, NOC_DRUG):
        return False, None, f"{line.hcpcs} is not on the home infusion drug list (for example most IV antibiotics)", False
    category = drug_category(line, kind, params)
    if kind == HIT_DRUG and category is None:
        return False, None, f"{line.hcpcs} is not on the home infusion drug list on {s.service_date}", False
    if kind == NOC_DRUG:
        entry = params.noc_category(s.drug_name) if s.drug_name else None
        if entry is not None and entry.category is None:
            return False, None, f"{s.drug_name!r} ({line.hcpcs}) is excluded ({entry.reference})", True
        if category is None:
            return True, None, (f"{line.hcpcs} {s.drug_name or '(unnamed)'} is a NOC drug whose payment category "
                                "the contractor assigns (FAQ 17)"), False
    return True, category, f"{line.hcpcs} is a payment category {category} home infusion drug", False


def which_benefit(s: Situation, params: Parameters) -> Answer:
    """The benefit that pays for this visit, with the reason, citations and confidence."""
    home_infusion, category, drug_said, excluded = _drug(s, params)
    if s.medicare_advantage:
        return Answer(MEDICARE_ADVANTAGE, "MEDICARE_ADVANTAGE",
                      "The patient is in a Medicare Advantage plan on this date. The plan must cover every Part B "
                      "benefit, home infusion therapy services included, under its own rules: bill the plan, "
                      "not original Medicare; ask the plan about its coverage and any Part D drug coverage.",
                      ("FAQ 26", "SSA §1861(s)(2)(GG)", "RULES COV-1"), "S", drug_category=category)
    if not s.part_b:
        return Answer(NOT_COVERED, "NOT_PART_B", "HIT services are a Part B benefit; the patient has no Part B "
                      "on this date.", ("FAQ 6", "BPM 15 §320.4", "RULES ELIG-1"), "P", drug_category=category)
    start = params.entry("benefit_start", s.service_date)
    if start is None or s.service_date < start.value:
        return Answer(NOT_COVERED, "BEFORE_BENEFIT", "The HIT services benefit pays for dates of service from "
                      f"{start.value if start else 'the start of the benefit'}.",
                      ("FAQ 8", "SSA §1861(iii)", "RULES TTP-1"), "P")
    if s.institutional_stay is not None:
        return Answer(NOT_COVERED, "NOT_HOME", f"A {s.institutional_stay} inpatient or resident is not in a home: "
                      "HIT services cannot be furnished there; the stay's own benefit covers the care.",
                      ("FAQ 1", "FAQ 20", "SSA §1861(iii)(3)(B)", "RULES DEF-4, INST-1"), "P", drug_category=category)
    if home_infusion and (not s.through_dme_pump or s.self_administered):
        home_infusion = False
        drug_said += (", but it is not given through a DME pump" if not s.through_dme_pump
                      else ", but it is self-administered (SAD list)")
    if home_infusion is False:
        return _other_drug(s, drug_said, excluded)
    return _home_infusion_drug(s, params, category, drug_said)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _other_drug(s: Situation, drug_said: str, excluded: bool) -> Answer:
    """FAQ 7 ¶1 and FAQ 18: a drug that is not a home infusion drug."""
    if excluded and not s.self_administered:
        return Answer(NOT_COVERED, "NOT_HOME_INFUSION_DRUG",
                      f"{_sentence(drug_said)}. It is excluded from the home infusion drugs by statute, so the HIT "
                      "services benefit does not pay for its administration; the pump and the drug stay under the "
                      "DME benefit.", ("FAQ 15", "SSA §1861(iii)(3)(C)", "42 CFR 486.505", "RULES DEF-1, ELIG-7"), "P")
    hh_eligible = s.under_home_health_plan and s.homebound is not False
    if hh_eligible:
        return Answer(HH_PPS, "HH_NOT_HOME_INFUSION_DRUG",
                      f"{_sentence(drug_said)}. The professional services for giving it stay covered under the "
                      "home health benefit (HH PPS, billed on the home health claim) for a patient eligible for "
                      "home health; the drug itself may be covered under Part D.",
                      ("FAQ 7", "FAQ 18", "BPM 15 §320.4.1", "RULES COV-3, HH-3"), "S",
                      home_health_minutes=(s.hit_minutes or 0) + s.home_health_minutes)
    why = ("not under a home health plan of care" if not s.under_home_health_plan
           else "not homebound, so not eligible for home health")
    return Answer(PART_D, "NOT_HOME_INFUSION_DRUG",
                  f"{_sentence(drug_said)}. The HIT services benefit does not pay for its administration; the "
                  f"drug may be covered under Part D (drug only: no nursing, equipment or supplies), and the patient "
                  f"is {why}. A Medicare Advantage plan may cover more.",
                  ("FAQ 15", "FAQ 18", "SSA §1861(iii)(3)(C)", "RULES COV-2, ELIG-6"), "S")


def _home_infusion_drug(s: Situation, params: Parameters, category: int | None, drug_said: str) -> Answer:
    hit, hh = s.hit_minutes, s.home_health_minutes
    notes = () if s.homebound is not False else ("Not homebound: HIT does not require it (RULES ELIG-5).",)
    if s.furnished_by_hha and not hit and hh:
        return Answer(HH_PPS, "HH_VISIT_UNRELATED",
                      "The visit furnished home health services only, unrelated to giving the home infusion drug: "
                      "HH PPS pays, on the home health claim.",
                      ("FAQ 7", "BPM 15 §320.4.1", "RULES HH-3"), "P", None, hh, drug_category=category)
    if s.furnished_by_hha and not s.qualified_hit_supplier:
        notice = params.entry("hha_not_enrolled_notice", s.service_date)
        hh_part = f" The {hh} home health minutes stay under HH PPS." if hh else ""
        return Answer(HH_PPS if hh else NOT_COVERED, "HHA_NOT_HIT_SUPPLIER",
                      "Since 2021-01-01 home health services exclude home infusion therapy, and this HHA is not "
                      "enrolled as a qualified HIT supplier: neither benefit pays it for the infusion services. It "
                      "must tell the patient so and offer care from a qualified HIT supplier." + hh_part,
                      ("FAQ 8", "FAQ 9", "SSA §1861(m)", "RULES HH-1, HH-2"), "P", None, hh or None,
                      notice.value if notice else None, notice.reference if notice else None, category, notes)
    if not s.qualified_hit_supplier:
        return Answer(NOT_COVERED, "NOT_QUALIFIED_SUPPLIER",
                      "Only a qualified home infusion therapy supplier (accredited, enrolled with specialty D6) "
                      "can bill HIT services.", ("FAQ 3", "BPM 15 §320.3", "RULES SUP-1, SUP-2"), "P",
                      drug_category=category)
    if not s.in_person or not s.drug_administered:
        what = "a remote contact" if not s.in_person else "an in-person visit with no drug given"
        return Answer(NOT_COVERED, "NOT_INFUSION_DAY",
                      f"This was {what}: not an infusion drug administration calendar day. Remote monitoring and "
                      "services on other days are bundled into the payment for the infusion days; never billed alone.",
                      ("FAQ 14", "FAQ 19", "FAQ 20", "FAQ 21", "BPM 15 §320.8.2", "RULES CLM-10, PAY-2"), "P",
                      drug_category=category, notes=notes)
    if hh:
        if not hit:
            return Answer(BOTH_SPLIT, "HH_TIME_NOT_SEPARATED",
                          "The visit furnished home health and HIT services: record the HIT minutes separately "
                          "from the home health minutes before billing either claim.",
                          ("FAQ 7", "BPM 15 §320.4.1", "RULES HH-3"), "P", None, hh, drug_category=category)
        return Answer(BOTH_SPLIT, "HH_AND_HIT_SPLIT",
                      f"One visit, two benefits: {hit} minutes of HIT services on the HIT claim (837P) and {hh} "
                      "minutes of home health services on the home health claim (HH PPS); the agency is also a "
                      "qualified HIT supplier and keeps the times apart.",
                      ("FAQ 7", "BPM 15 §320.4.1", "RULES HH-2, HH-3"), "P", hit, hh, drug_category=category,
                      notes=notes)
    also = (" The patient is also under a home health plan of care; a visit only for the home infusion drug is "
            "billed as HIT alone (FAQ 7).") if s.under_home_health_plan or s.furnished_by_hha else ""
    return Answer(HIT, "HIT", f"{_sentence(drug_said)}, given in person in the home: the HIT services benefit "
                  f"pays one unit per payment category for the day.{also}",
                  ("FAQ 1", "FAQ 7", "FAQ 19", "FAQ 20", "BPM 15 §320.8", "RULES DEF-5, PAY-2"), "P", hit, None,
                  drug_category=category, notes=notes)


_SITUATION_FIELDS = {name for name in Situation.__slots__}


def situation_from_json(data: Any) -> Situation:
    """A ``Situation`` from a JSON object of its fields; ``CareInputError`` names a bad field."""
    data = f.obj("", data, _SITUATION_FIELDS, ("service_date",))
    flags = {}
    for name in ("through_dme_pump", "self_administered", "in_person", "drug_administered", "part_b",
                 "medicare_advantage", "under_home_health_plan", "furnished_by_hha", "qualified_hit_supplier",
                 "home_infusion_drug", "homebound"):
        if name in data and data[name] is not None:
            if not isinstance(data[name], bool):
                raise f.CareInputError(name, f"expected true or false, found {f.kind(data[name])}")
            flags[name] = data[name]
    code = f.text("drug_code", data.get("drug_code"), optional=True, limit=5)
    return Situation(
        service_date=f.day("service_date", data["service_date"]),
        drug_code=code.upper() if code else None,
        drug_name=f.text("drug_name", data.get("drug_name"), optional=True, limit=80),
        hit_minutes=f.whole("hit_minutes", data.get("hit_minutes"), optional=True),
        home_health_minutes=f.whole("home_health_minutes", data.get("home_health_minutes"), optional=True) or 0,
        institutional_stay=f.one_of("institutional_stay", data.get("institutional_stay"), STAYS, optional=True),
        **flags)


def situation_of_visit(visit: Any, drug: Any | None, **patient: Any) -> Situation:
    """The situation of a recorded visit (``care.visits.Visit``) for one drug given, plus what is
    known of the patient and the agency (``medicare_advantage``, ``under_home_health_plan``, ...)."""
    return Situation(service_date=visit.visit_date, drug_code=drug.hcpcs if drug else None,
                     drug_name=drug.name if drug else None,
                     in_person=visit.in_person, drug_administered=visit.drug_administered,
                     hit_minutes=visit.hit_minutes, home_health_minutes=visit.home_health_minutes, **patient)
