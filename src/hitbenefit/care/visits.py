"""A home visit by the qualified home infusion therapy supplier, as recorded on the day.

One ``Visit`` is one clinician's visit (or remote contact) with one patient on one date:

- ``visit_date``; ``supplier_npi`` (the qualified HIT supplier) and ``mbi`` (the patient);
  ``plan_id`` the store's plan of care it follows, when known;
- ``clinician_name``, ``clinician_npi`` (optional: an RN or LPN often has none) and ``discipline``
  (``DISCIPLINES``; the plan's orders name the discipline that furnishes each service, FAQ 10 B);
- ``mode``: ``in_person`` or ``remote``. Only an in-person visit in the home is a HIT visit the
  G-codes pay for; remote contacts are monitoring, bundled into the infusion drug administration
  calendar day (FAQ 14, 20; BPM 15 §320.6.2);
- ``hit_minutes`` and ``home_health_minutes``: the time spent on HIT services and, for an HHA that
  is also a HIT supplier, the time on separate home health services in the same visit, which it
  must keep apart (FAQ 7; RULES HH-3);
- ``drugs``: the home infusion drugs given (``DrugGiven``: HCPCS, name, payment category when
  known, FAQ 16, 22);
- ``services``: the professional services furnished (``SERVICES``, FAQ 12 A-C);
- ``training_topics``: the patient training and education given (``TRAINING_TOPICS``, FAQ 13;
  the dated list with its reference is the parameter ``care/training_topics.yaml``). Training
  topics imply the ``training`` service.

Field names are stable: the claim builder reads them (``line_visit()`` gives a claim line's
``visit`` object of CONTRACT §1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Mapping

from hitbenefit.care import fields as f
from hitbenefit.care.fields import CareInputError
from hitbenefit.claims.model import Visit as LineVisit
from hitbenefit.parameters.model import Parameters

MODES = ("in_person", "remote")
DISCIPLINES = ("RN", "LPN", "pharmacist", "physician", "NP", "PA", "dietitian")
SERVICES = ("nursing", "drug_administration", "training", "monitoring")
TRAINING_TOPICS = ("vascular_access_device_care", "medication", "disease_management", "storage_and_safety",
                   "self_monitoring")
"""FAQ 13's topics; ``care/training_topics.yaml`` holds them dated, with reference and confidence."""
_HCPCS = re.compile(r"[A-Z][0-9]{4}")
_FIELDS = ("visit_date", "supplier_npi", "mbi", "plan_id", "clinician_name", "clinician_npi", "discipline", "mode",
           "hit_minutes", "home_health_minutes", "drugs", "services", "training_topics", "note")


@dataclass(frozen=True, slots=True)
class DrugGiven:
    """A home infusion drug administered during the visit (FAQ 15-17, 22)."""

    hcpcs: str
    name: str | None = None
    category: int | None = None  # payment category 1-3, when known

    def to_json(self) -> dict[str, Any]:
        return {"hcpcs": self.hcpcs, "name": self.name, "category": self.category}


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit or remote contact (see the module docstring for every field)."""

    visit_date: date
    supplier_npi: str
    mbi: str
    clinician_name: str
    discipline: str
    mode: str = "in_person"
    hit_minutes: int = 0
    home_health_minutes: int = 0
    clinician_npi: str | None = None
    plan_id: int | None = None
    drugs: tuple[DrugGiven, ...] = ()
    services: tuple[str, ...] = ()
    training_topics: tuple[str, ...] = ()
    note: str | None = None

    def __post_init__(self) -> None:
        check_visit(self)

    @property
    def in_person(self) -> bool:
        return self.mode == "in_person"

    @property
    def drug_administered(self) -> bool:
        """A drug was given (FAQ 20, 24: a visit on an infusion drug administration calendar day)."""
        return bool(self.drugs) or "drug_administration" in self.services

    def line_visit(self) -> LineVisit:
        """The claim line's ``visit`` object (CONTRACT §1): in person, drug given, HIT minutes,
        home health minutes of the same visit (FAQ 7)."""
        return LineVisit(in_person=self.in_person, drug_administered=self.drug_administered,
                         minutes=self.hit_minutes, hh_minutes=self.home_health_minutes)

    def to_json(self) -> dict[str, Any]:
        return {"visit_date": self.visit_date.isoformat(), "supplier_npi": self.supplier_npi, "mbi": self.mbi,
                "plan_id": self.plan_id, "clinician_name": self.clinician_name,
                "clinician_npi": self.clinician_npi, "discipline": self.discipline, "mode": self.mode,
                "hit_minutes": self.hit_minutes, "home_health_minutes": self.home_health_minutes,
                "drugs": [d.to_json() for d in self.drugs], "services": list(self.services),
                "training_topics": list(self.training_topics), "note": self.note}


def check_visit(v: Visit) -> None:
    """Raise ``CareInputError`` naming the first field that is not acceptable."""
    f.day("visit_date", v.visit_date)
    f.npi("supplier_npi", v.supplier_npi)
    f.text("mbi", v.mbi, limit=32)
    f.text("clinician_name", v.clinician_name)
    f.npi("clinician_npi", v.clinician_npi, optional=True)
    f.one_of("discipline", v.discipline, DISCIPLINES)
    f.one_of("mode", v.mode, MODES)
    f.whole("hit_minutes", v.hit_minutes)
    f.whole("home_health_minutes", v.home_health_minutes)
    if v.hit_minutes + v.home_health_minutes > 1440:
        raise CareInputError("home_health_minutes", "HIT and home health minutes exceed a day")
    if v.mode == "remote" and v.home_health_minutes:
        raise CareInputError("home_health_minutes", "a remote contact is not a home health visit (FAQ 7, 14)")
    if v.plan_id is not None:
        f.whole("plan_id", v.plan_id, 1, 2**31 - 1)
    for i, drug in enumerate(v.drugs):
        where = f"drugs[{i}]"
        if not isinstance(drug, DrugGiven):
            raise CareInputError(where, "expected a drug given (hcpcs, name, category)")
        if not isinstance(drug.hcpcs, str) or not _HCPCS.fullmatch(drug.hcpcs):
            raise CareInputError(f"{where}.hcpcs", f"expected a HCPCS code such as J1559, found {f.kind(drug.hcpcs)}")
        f.text(f"{where}.name", drug.name, optional=True)
        if drug.category is not None and drug.category not in (1, 2, 3):
            raise CareInputError(f"{where}.category", f"must be 1, 2 or 3, not {f.kind(drug.category)}")
    if v.drugs and v.mode == "remote":
        raise CareInputError("drugs", "drugs are given in person, not in a remote contact")
    for i, service in enumerate(v.services):
        f.one_of(f"services[{i}]", service, SERVICES)
    for i, topic in enumerate(v.training_topics):
        f.one_of(f"training_topics[{i}]", topic, TRAINING_TOPICS)
    if len(set(v.services)) != len(v.services):
        raise CareInputError("services", "a service is listed twice")
    if len(set(v.training_topics)) != len(v.training_topics):
        raise CareInputError("training_topics", "a topic is listed twice")
    if v.training_topics and "training" not in v.services:
        raise CareInputError("services", "training topics were given: list the 'training' service too (FAQ 13)")
    f.text("note", v.note, optional=True, limit=2000)


def visit_from_json(data: Any, *, supplier_npi: str | None = None) -> Visit:
    """A ``Visit`` from its JSON object (``to_json``'s shape). ``supplier_npi``, when given (a
    supplier's own key), fills in or must equal the object's. Training topics add the ``training``
    service when it is missing."""
    data = f.obj("", data, _FIELDS, ("visit_date", "mbi", "clinician_name", "discipline"))
    npi = data.get("supplier_npi")
    if supplier_npi is not None:
        if npi is not None and npi != supplier_npi:
            raise CareInputError("supplier_npi", f"a supplier records only its own visits ({supplier_npi})")
        npi = supplier_npi
    if npi is None:
        raise CareInputError("supplier_npi", "required")
    drugs = []
    raw_drugs = data.get("drugs") or []
    if not isinstance(raw_drugs, list):
        raise CareInputError("drugs", f"expected a list, found {f.kind(raw_drugs)}")
    for i, raw in enumerate(raw_drugs):
        where = f"drugs[{i}]"
        if isinstance(raw, str):
            raw = {"hcpcs": raw}
        raw = f.obj(where, raw, ("hcpcs", "name", "category"), ("hcpcs",))
        category = raw.get("category")
        if category is not None:
            category = f.whole(f"{where}.category", category, 1, 3)
        drugs.append(DrugGiven(raw["hcpcs"], raw.get("name"), category))
    services = f.texts("services", data.get("services"))
    topics = f.texts("training_topics", data.get("training_topics"))
    if topics and "training" not in services:
        services = services + ("training",)
    return Visit(
        visit_date=f.day("visit_date", data["visit_date"]), supplier_npi=npi, mbi=data["mbi"],
        clinician_name=data["clinician_name"], discipline=data["discipline"],
        mode=data.get("mode", "in_person"), hit_minutes=data.get("hit_minutes", 0),
        home_health_minutes=data.get("home_health_minutes", 0), clinician_npi=data.get("clinician_npi"),
        plan_id=data.get("plan_id"), drugs=tuple(drugs), services=services, training_topics=topics,
        note=data.get("note"))


def with_drug_categories(v: Visit, params: Parameters) -> Visit:
    """The visit with each drug's payment category filled in from the home infusion drug list in
    force on the visit date, where the list has the code (FAQ 16, 22)."""
    drugs = []
    for drug in v.drugs:
        found = params.home_infusion_drug(drug.hcpcs, v.visit_date) if drug.category is None else None
        drugs.append(replace(drug, category=found.category, name=drug.name or found.name) if found else drug)
    return replace(v, drugs=tuple(drugs))


def training_topics_in_force(params: Parameters, on: date) -> Mapping[str, str]:
    """FAQ 13's training topics in force on a date: key -> wording (parameter ``care_training_topics``)."""
    return dict(params.value("care_training_topics", on))
