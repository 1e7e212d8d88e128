"""Read FHIR R4 ``Claim`` resources (alone or in a ``Bundle``) into contract claims (docs/fhir.md).

Two steps. First the resource is parsed with the ``fhir.resources.R4B`` models, so anything that is
not valid FHIR R4 is refused (an R5-only element such as ``Claim.traceNumber`` included). Then the
facts the contract needs are picked out of it into a contract claim object, and that object goes
through the same strict intake as contract JSON (``claim_from_json``): one set of rules for dates,
money, localities and plan fields whichever format a claim comes in. Every error names the source,
the claim id, the item sequence (as ``line``) and the FHIR path (as ``field``), e.g.
``Claim.item[0].servicedDate`` (FHIRPath: item indexes count from 0, the sequence is the line).

Money is ``Decimal`` throughout: parse JSON with ``parse_float=Decimal`` (``read_fhir`` does), and
the R4B models keep ``Decimal`` values as they are.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

from pydantic import ValidationError

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.claim import Claim as FhirClaim

from hitbenefit.claims.model import Claim
from hitbenefit.claims.read_json import ClaimInputError, claim_from_json, iter_json_records, read_records
from hitbenefit.fhir import codes
from hitbenefit.money import CENT

_CLAIM_FIELDS = {codes.EXT_PAYER: "payer", codes.EXT_SERVICE_LOCALITY: "service_locality",
                 codes.EXT_DEDUCTIBLE_REMAINING: "beneficiary.deductible_remaining"}


PARTY_TYPES = {"patient": ("Patient",), "provider": ("Organization", "Practitioner"), "coverage": ("Coverage",)}


def is_fhir(value: Any) -> bool:
    """A parsed JSON value that is a FHIR resource (has ``resourceType``), not a contract claim."""
    return isinstance(value, dict) and "resourceType" in value


def looks_like_fhir_text(text: str, source: str = "<input>") -> bool:
    """True when the first JSON record of ``text`` is a FHIR resource (for choosing a reader)."""
    try:
        for _, value in iter_json_records(text, source):
            return is_fhir(value)
    except ClaimInputError:
        return False
    return False


def read_fhir(text: str, source: str = "<input>") -> tuple[list[Claim], list[ClaimInputError]]:
    """Every claim in a FHIR JSON text: one Claim or Bundle, a JSON array of them, or NDJSON (one a line).

    Like ``read_claims``: a bad record is reported and the good ones are kept.
    """
    return read_records(text, source, claims_from_fhir)


def claims_from_fhir(value: dict, source: str = "<input>", record: int | None = None) -> list[Claim]:
    """The contract claims in one FHIR ``Claim`` or ``Bundle`` (parsed JSON), or ``ClaimInputError``.

    A Bundle is read all or nothing: its first bad Claim raises.
    """
    if not is_fhir(value):
        raise ClaimInputError("expected a FHIR resource (an object with resourceType): a Claim or a Bundle",
                              source, record)
    kind = value["resourceType"]
    if kind == "Claim":
        model = _validate(FhirClaim, value, source, record)
        return [_Reader(source, record, {}).claim(model, value, "Claim")]
    if kind == "Bundle":
        bundle = _validate(Bundle, value, source, record)
        if bundle.type not in codes.BUNDLE_TYPE:
            raise ClaimInputError(f"not a Bundle type of FHIR R4: {bundle.type!r}", source, record,
                                  field="Bundle.type")
        entries = list(bundle.entry or ())
        raw_entries = value.get("entry") or []
        index = _index(entries)
        reader = _Reader(source, record, index)
        out = [reader.claim(entry.resource, raw_entries[i].get("resource", {}), f"Bundle.entry[{i}].resource")
               for i, entry in enumerate(entries)
               if entry.resource is not None and entry.resource.get_resource_type() == "Claim"]
        if not out:
            raise ClaimInputError("the Bundle holds no Claim resource", source, record, field="Bundle.entry")
        return out
    raise ClaimInputError(f"a FHIR {kind} is not a claim: expected a Claim or a Bundle of Claims",
                          source, record, field=f"{kind}.resourceType" if isinstance(kind, str) else "resourceType")


# ---------------------------------------------------------------------------------------------------
# Step 1: valid FHIR R4

def _validate(model: type, value: dict, source: str, record: int | None) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first.get("loc") or ())
        path, claim_id, line = _locate(value, loc)
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ClaimInputError(f"not valid FHIR R4: {first.get('msg')}{more}", source, record, claim_id, line,
                              path) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # e.g. an unknown resourceType inside
        raise ClaimInputError(f"not valid FHIR R4: {exc}", source, record,
                              field=str(value.get("resourceType"))) from None


def _locate(value: dict, loc: list) -> tuple[str, str | None, int | None]:
    """A pydantic error location as a FHIRPath, with the claim id and item sequence it falls in."""
    path, node = str(value.get("resourceType")), value
    claim, line = (value if value.get("resourceType") == "Claim" else None), None
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part and part != "root" and part.replace("_", "").isalnum():
            path += f".{part}"
        else:
            continue
        node = _step(node, part)
        if isinstance(node, dict) and node.get("resourceType") == "Claim":
            claim = node
        if claim is not None and part != "item" and line is None and isinstance(node, dict) and path.endswith("]") \
                and ".item[" in path and isinstance(node.get("sequence"), int):
            line = node["sequence"]
    return path, _raw_claim_id(claim) if claim else None, line


def _step(node: Any, part: Any) -> Any:
    if isinstance(part, int):
        return node[part] if isinstance(node, list) and 0 <= part < len(node) else None
    return node.get(part) if isinstance(node, dict) else None


def _raw_claim_id(claim: dict) -> str | None:
    identifiers = claim.get("identifier")
    if isinstance(identifiers, list) and identifiers and isinstance(identifiers[0], dict):
        if isinstance(identifiers[0].get("value"), str):
            return identifiers[0]["value"]
    return claim.get("id") if isinstance(claim.get("id"), str) else None


def _index(entries: list) -> dict[str, Any]:
    """Bundle resources by fullUrl and by ``Type/id``, for resolving references."""
    index: dict[str, Any] = {}
    for entry in entries:
        resource = entry.resource
        if resource is None:
            continue
        if entry.fullUrl:
            index[entry.fullUrl] = resource
        if resource.id:
            index.setdefault(f"{resource.get_resource_type()}/{resource.id}", resource)
    return index


# ---------------------------------------------------------------------------------------------------
# Step 2: the contract's facts

class _Reader:
    def __init__(self, source: str, record: int | None, index: dict[str, Any]) -> None:
        self.source, self.record, self.index = source, record, index

    def claim(self, model: Any, raw: dict, root: str) -> Claim:
        self.root, self.claim_id, self.model = root, None, model
        self.paths: dict[tuple[int | None, str], str] = {}
        claim_id, where = self._claim_id(model)
        self.claim_id = claim_id
        self.paths[(None, "claim_id")] = where
        self._check_kind(model)
        for i, _ in enumerate(model.modifierExtension or ()):
            raise self.error(f"{root}.modifierExtension[{i}]", "a modifier extension this reader does not "
                             "understand: the claim cannot be read safely (FHIR R4 §2.4.1)")
        out: dict[str, Any] = {"claim_id": claim_id, "supplier": self._supplier(model),
                               "beneficiary": self._beneficiary(model)}
        created = self._date_value(model.created)
        out["received_date"] = created
        self.paths[(None, "received_date")] = f"{root}.created"
        payer = self._single(model.extension, codes.EXT_PAYER, "valueCode", root)
        if payer is not None:
            out["payer"] = payer
        locality = self._single(model.extension, codes.EXT_SERVICE_LOCALITY, "valueString", root)
        if locality is not None:
            out["service_locality"] = locality
        deductible = self._single(model.extension, codes.EXT_DEDUCTIBLE_REMAINING, "valueMoney", root)
        if deductible is not None:
            out["beneficiary"]["deductible_remaining"] = self._money(
                deductible, self.paths[(None, "beneficiary.deductible_remaining")])
        plan = self._plan(model)
        if plan is not None:
            out["plan_of_care"] = plan
        out["lines"] = self._lines(model)
        try:
            return claim_from_json(out, self.source, self.record or 1)
        except ClaimInputError as exc:
            raise self._translate(exc) from None

    # -- errors ------------------------------------------------------------------------------------

    def error(self, path: str, problem: str, line: int | None = None) -> ClaimInputError:
        return ClaimInputError(problem, self.source, self.record, self.claim_id, line, path)

    def _translate(self, exc: ClaimInputError) -> ClaimInputError:
        """A contract-intake error re-said with the FHIR path of the value it is about."""
        field = exc.field or ""
        path = None
        probe = field
        while probe:
            path = self.paths.get((exc.line, probe)) or self.paths.get((None, probe))
            if path:
                break
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return ClaimInputError(exc.problem, self.source, self.record, exc.claim_id or self.claim_id, exc.line,
                               path or self.root)

    # -- claim header ------------------------------------------------------------------------------

    def _claim_id(self, model: Any) -> tuple[str, str]:
        for i, identifier in enumerate(model.identifier or ()):
            if identifier.value:
                return identifier.value, f"{self.root}.identifier[{i}].value"
        if model.id:
            return model.id, f"{self.root}.id"
        raise self.error(f"{self.root}.identifier", "no claim id: give Claim.identifier (its value is the "
                         "claim_id) or Claim.id")

    def _check_kind(self, model: Any) -> None:
        root = self.root
        if model.status not in codes.CLAIM_STATUS:
            raise self.error(f"{root}.status", f"not a Claim status of FHIR R4: {model.status!r} "
                             f"(one of {', '.join(codes.CLAIM_STATUS)})")
        if model.status != "active":
            raise self.error(f"{root}.status", f"only an active claim is adjudicated, this one is {model.status!r}")
        if model.use not in codes.CLAIM_USE:
            raise self.error(f"{root}.use", f"not a Claim use of FHIR R4: {model.use!r} "
                             f"(one of {', '.join(codes.CLAIM_USE)})")
        if model.use != "claim":
            raise self.error(f"{root}.use", f"only use 'claim' is adjudicated, this one is {model.use!r}")
        kinds = [(c.system, c.code) for c in (model.type.coding or ())]
        if (codes.CLAIM_TYPE, "professional") not in kinds:
            found = ", ".join(f"{s}#{c}" for s, c in kinds) or "no coding"
            raise self.error(f"{root}.type", f"expected {codes.CLAIM_TYPE}#professional (a 837P claim), "
                             f"found {found}")

    def _resolve(self, ref: Any, path: str, kinds: tuple[str, ...]) -> Any:
        """The resource a Reference points to (contained or in the Bundle), or None if not there."""
        if ref is None or not ref.reference:
            return None
        target = ref.reference
        found = None
        if target.startswith("#"):
            for resource in self.model.contained or ():
                if resource.id == target[1:]:
                    found = resource
                    break
            if found is None:
                raise self.error(f"{path}.reference", f"{target!r} names no contained resource")
        else:
            found = self.index.get(target)
            if found is None and "/" in target and not target.startswith("urn:"):
                found = self.index.get("/".join(target.rstrip("/").split("/")[-2:]))
        if found is not None and found.get_resource_type() not in kinds:
            raise self.error(f"{path}.reference", f"{target!r} is a {found.get_resource_type()}, "
                             f"expected {' or '.join(kinds)}")
        return found

    @staticmethod
    def _identifier(identifiers: Iterable[Any] | None, system: str) -> tuple[int, Any] | None:
        for i, identifier in enumerate(identifiers or ()):
            if identifier.system == system and identifier.value:
                return i, identifier
        return None

    def _party_path(self, resource: Any, ref_path: str) -> str:
        """A FHIRPath for a referenced resource: ``Claim.contained[1]`` or ``Bundle.entry[n].resource``."""
        for i, contained in enumerate(self.model.contained or ()):
            if contained is resource:
                return f"{self.root}.contained[{i}]"
        return f"{ref_path}.resolve()"

    # -- supplier ----------------------------------------------------------------------------------

    def _supplier(self, model: Any) -> dict:
        path = f"{self.root}.provider"
        provider = self._resolve(model.provider, path, PARTY_TYPES["provider"])
        out: dict[str, Any] = {}
        logical = self._identifier([model.provider.identifier] if model.provider.identifier else [], codes.NPI)
        if provider is not None:
            base = self._party_path(provider, path)
            hit = self._identifier(provider.identifier, codes.NPI)
            if hit:
                out["npi"] = hit[1].value
                self.paths[(None, "supplier.npi")] = f"{base}.identifier[{hit[0]}].value"
            specialty = self._single(provider.extension, codes.EXT_SPECIALTY, "valueCode", base, "supplier.specialty")
            if specialty is not None:
                out["specialty"] = specialty
            expires = self._single(provider.extension, codes.EXT_ACCREDITATION_EXPIRES, "valueDate", base,
                                   "supplier.accreditation_expires")
            if expires is not None:
                out["accreditation_expires"] = expires
            states = self._many(provider.extension, codes.EXT_LICENSED_STATE, "valueCode", base,
                                "supplier.licensed_states")
            if states:
                out["licensed_states"] = states
        if "npi" not in out and logical:
            out["npi"] = logical[1].value
            self.paths[(None, "supplier.npi")] = f"{path}.identifier.value"
        if "npi" not in out:
            raise self.error(path, f"no billing supplier NPI: Claim.provider must be (or reference) an "
                             f"Organization or Practitioner with an identifier of system {codes.NPI}")
        self.paths[(None, "supplier")] = path
        return out

    # -- beneficiary -------------------------------------------------------------------------------

    def _beneficiary(self, model: Any) -> dict:
        path = f"{self.root}.patient"
        self.paths[(None, "beneficiary")] = path
        self.paths[(None, "beneficiary.deductible_remaining")] = \
            f"{self.root}.extension('{codes.EXT_DEDUCTIBLE_REMAINING}').valueMoney"
        patient = self._resolve(model.patient, path, PARTY_TYPES["patient"])
        out: dict[str, Any] = {}
        if patient is not None:
            base = self._party_path(patient, path)
            hit = self._identifier(patient.identifier, codes.MBI)
            if hit:
                out["mbi"] = hit[1].value
                self.paths[(None, "beneficiary.mbi")] = f"{base}.identifier[{hit[0]}].value"
            for field, url in (("part_b", codes.EXT_PART_B), ("medicare_advantage", codes.EXT_MEDICARE_ADVANTAGE)):
                periods = self._periods(patient.extension, url, base, f"beneficiary.{field}")
                if periods:
                    out[field] = periods
            stays = self._stays(patient.extension, base)
            if stays:
                out["institutional_stays"] = stays
        if "mbi" not in out and model.patient.identifier is not None \
                and model.patient.identifier.system == codes.MBI and model.patient.identifier.value:
            out["mbi"] = model.patient.identifier.value
            self.paths[(None, "beneficiary.mbi")] = f"{path}.identifier.value"
        if "mbi" not in out:
            for i, insurance in self._insurances(model):
                coverage = self._resolve(insurance.coverage, f"{self.root}.insurance[{i}].coverage",
                                         PARTY_TYPES["coverage"])
                if coverage is not None and coverage.subscriberId:
                    out["mbi"] = coverage.subscriberId
                    self.paths[(None, "beneficiary.mbi")] = \
                        f"{self._party_path(coverage, f'{self.root}.insurance[{i}].coverage')}.subscriberId"
                    break
        if "mbi" not in out:
            raise self.error(path, f"no Medicare Beneficiary Identifier: give the Patient an identifier of "
                             f"system {codes.MBI}, or the Coverage a subscriberId")
        return out

    @staticmethod
    def _insurances(model: Any) -> list[tuple[int, Any]]:
        """Claim.insurance, the focal one first."""
        pairs = list(enumerate(model.insurance or ()))
        return sorted(pairs, key=lambda pair: not pair[1].focal)

    def _periods(self, extensions: Any, url: str, base: str, field: str) -> list[dict]:
        out = []
        for n, (i, ext) in enumerate(self._matching(extensions, url)):
            path = f"{base}.extension[{i}]"
            period = self._value(ext, "valuePeriod", path)
            self.paths[(None, f"{field}[{n}]")] = f"{path}.valuePeriod"
            self.paths[(None, f"{field}[{n}].from")] = f"{path}.valuePeriod.start"
            self.paths[(None, f"{field}[{n}].to")] = f"{path}.valuePeriod.end"
            out.append({"from": self._date_value(period.start), "to": self._date_value(period.end)})
        if out:
            self.paths[(None, field)] = f"{base}.extension('{url}')"
        return out

    def _stays(self, extensions: Any, base: str) -> list[dict]:
        out = []
        for n, (i, ext) in enumerate(self._matching(extensions, codes.EXT_INSTITUTIONAL_STAY)):
            path = f"{base}.extension[{i}]"
            field = f"beneficiary.institutional_stays[{n}]"
            period = self._single(ext.extension, "period", "valuePeriod", path, field)
            kind = self._single(ext.extension, "kind", "valueCode", path, f"{field}.kind")
            stay: dict[str, Any] = {"kind": kind}
            if period is not None:
                stay["from"], stay["to"] = self._date_value(period.start), self._date_value(period.end)
                self.paths[(None, f"{field}.from")] = f"{path}.extension('period').valuePeriod.start"
                self.paths[(None, f"{field}.to")] = f"{path}.extension('period').valuePeriod.end"
            self.paths[(None, field)] = path
            out.append(stay)
        return out

    # -- plan of care ------------------------------------------------------------------------------

    def _plan(self, model: Any) -> dict | None:
        found = list(self._matching(model.extension, codes.EXT_PLAN_OF_CARE))
        if not found:
            return None
        if len(found) > 1:
            raise self.error(f"{self.root}.extension[{found[1][0]}]", "the plan-of-care extension appears twice")
        i, ext = found[0]
        path = f"{self.root}.extension[{i}]"
        self.paths[(None, "plan_of_care")] = path
        plan: dict[str, Any] = {}
        by: dict[str, Any] = {}
        for field, url, kind in codes.PLAN_FIELDS:
            contract = f"plan_of_care.{field}"
            if field == "professional_services":
                values = self._many(ext.extension, url, kind, path, contract)
                if values:
                    plan[field] = values
                continue
            value = self._single(ext.extension, url, kind, path, contract)
            if value is None:
                continue
            if field.startswith("established_by."):
                by[field.split(".", 1)[1]] = value
            else:
                plan[field] = value
        plan["established_by"] = by
        self.paths[(None, "plan_of_care.established_by")] = path
        return plan

    # -- lines -------------------------------------------------------------------------------------

    def _lines(self, model: Any) -> list[dict]:
        items = model.item or []
        if not items:
            raise self.error(f"{self.root}.item", "a claim needs at least one item (line)")
        lines = []
        for i, item in enumerate(items):
            path = f"{self.root}.item[{i}]"
            seq = item.sequence
            lines.append(self._line(item, path, seq))
        return lines

    def _line(self, item: Any, path: str, seq: int) -> dict:
        p = lambda field, fhir: self.paths.__setitem__((seq, field), f"{path}.{fhir}")  # noqa: E731
        p("line", "sequence")
        for j, _ in enumerate(item.modifierExtension or ()):
            raise self.error(f"{path}.modifierExtension[{j}]", "a modifier extension this reader does not "
                             "understand: the claim cannot be read safely (FHIR R4 §2.4.1)", seq)
        out: dict[str, Any] = {"line": seq}
        # procedure code
        coding = [(j, c) for j, c in enumerate(item.productOrService.coding or ())
                  if c.system in codes.PROCEDURE_SYSTEMS and c.code]
        if not coding:
            raise self.error(f"{path}.productOrService", f"no HCPCS/CPT code: expected a coding of system "
                             f"{' or '.join(codes.PROCEDURE_SYSTEMS)}", seq)
        out["hcpcs"] = coding[0][1].code
        p("hcpcs", f"productOrService.coding[{coding[0][0]}].code")
        if item.productOrService.text:
            out["drug_name"] = item.productOrService.text
            p("drug_name", "productOrService.text")
        # modifiers
        modifiers = []
        for j, concept in enumerate(item.modifier or ()):
            codes_ = [c.code for c in (concept.coding or ()) if c.code]
            if not codes_:
                raise self.error(f"{path}.modifier[{j}]", "a modifier without a coding code", seq)
            modifiers.append(codes_[0])
            p(f"modifiers[{j}]", f"modifier[{j}]")
        if modifiers:
            out["modifiers"] = modifiers
        p("modifiers", "modifier")
        # units
        if item.quantity is None or item.quantity.value is None:
            raise self.error(f"{path}.quantity.value", "required: the units of service", seq)
        units = item.quantity.value
        out["units"] = units if isinstance(units, Decimal) else Decimal(str(units))
        p("units", "quantity.value")
        # service date
        if item.servicedDate is not None:
            out["service_date"] = self._date_value(item.servicedDate)
            p("service_date", "servicedDate")
        elif item.servicedPeriod is not None and item.servicedPeriod.start is not None:
            out["service_date"] = self._date_value(item.servicedPeriod.start)
            p("service_date", "servicedPeriod.start")
        else:
            raise self.error(f"{path}.servicedDate", "required: servicedDate (or servicedPeriod.start)", seq)
        # place of service
        if item.locationCodeableConcept is not None:
            pos = [(j, c) for j, c in enumerate(item.locationCodeableConcept.coding or ())
                   if c.system in codes.POS_SYSTEMS and c.code]
            if not pos:
                raise self.error(f"{path}.locationCodeableConcept", "no CMS place-of-service code: expected a "
                                 f"coding of system {codes.POS}", seq)
            out["place_of_service"] = pos[0][1].code
            p("place_of_service", f"locationCodeableConcept.coding[{pos[0][0]}].code")
        elif item.locationAddress is not None or item.locationReference is not None:
            where = "locationAddress" if item.locationAddress is not None else "locationReference"
            raise self.error(f"{path}.{where}", "the place of service must be a CMS place-of-service code in "
                             "locationCodeableConcept (an address or a Location is not one)", seq)
        # charge
        out["charge"] = self._charge(item, path, seq)
        # visit
        visit = self._visit(item, path, seq)
        if visit is not None:
            out["visit"] = visit
        return out

    def _charge(self, item: Any, path: str, seq: int) -> Decimal:
        if item.net is not None:
            self.paths[(seq, "charge")] = f"{path}.net.value"
            return self._money(item.net, f"{path}.net", seq)
        if item.unitPrice is not None:
            self.paths[(seq, "charge")] = f"{path}.unitPrice.value"
            price = self._money(item.unitPrice, f"{path}.unitPrice", seq)
            factor = item.factor if item.factor is not None else Decimal(1)
            amount = price * Decimal(str(item.quantity.value)) * Decimal(str(factor))
            return amount.quantize(CENT) if amount == amount.quantize(CENT) else amount
        raise self.error(f"{path}.net", "required: the line charge (net, or unitPrice with quantity)", seq)

    def _visit(self, item: Any, path: str, seq: int) -> dict | None:
        found = list(self._matching(item.extension, codes.EXT_VISIT))
        if not found:
            return None
        if len(found) > 1:
            raise self.error(f"{path}.extension[{found[1][0]}]", "the visit extension appears twice", seq)
        i, ext = found[0]
        base = f"{path}.extension[{i}]"
        self.paths[(seq, "visit")] = base
        visit = {}
        for field, url, kind in codes.VISIT_FIELDS:
            value = self._single(ext.extension, url, kind, base, None, seq)
            if value is not None:
                visit[field] = value
                self.paths[(seq, f"visit.{field}")] = f"{base}.extension('{url}').{kind}"
        return visit

    # -- values ------------------------------------------------------------------------------------

    @staticmethod
    def _matching(extensions: Any, url: str) -> Iterable[tuple[int, Any]]:
        return [(i, ext) for i, ext in enumerate(extensions or ()) if ext.url == url]

    def _value(self, ext: Any, kind: str, path: str, line: int | None = None) -> Any:
        value = getattr(ext, kind, None)
        if value is None:
            raise self.error(path, f"extension {ext.url} needs a {kind}", line)
        return value

    def _single(self, extensions: Any, url: str, kind: str, base: str, field: str | None = None,
                line: int | None = None) -> Any:
        """The value of an extension that may appear once, as the contract intake wants it."""
        found = self._matching(extensions, url)
        if not found:
            return None
        if len(found) > 1:
            raise self.error(f"{base}.extension[{found[1][0]}]", f"extension {url} appears more than once", line)
        i, ext = found[0]
        path = f"{base}.extension[{i}]"
        value = self._value(ext, kind, path, line)
        key = field or _CLAIM_FIELDS.get(url)
        if key:
            self.paths[(None, key)] = f"{path}.{kind}"
        return self._date_value(value) if kind == "valueDate" else value

    def _many(self, extensions: Any, url: str, kind: str, base: str, field: str) -> list:
        out = []
        for n, (i, ext) in enumerate(self._matching(extensions, url)):
            path = f"{base}.extension[{i}]"
            out.append(self._value(ext, kind, path))
            self.paths[(None, f"{field}[{n}]")] = f"{path}.{kind}"
        if out:
            self.paths[(None, field)] = f"{base}.extension('{url}')"
        return out

    def _money(self, money: Any, path: str, line: int | None = None) -> Any:
        if money.currency is not None and money.currency != "USD":
            raise self.error(f"{path}.currency", f"amounts are in US dollars, found {money.currency!r}", line)
        if money.value is None:
            raise self.error(f"{path}.value", "required: an amount", line)
        value = money.value
        return value if isinstance(value, (Decimal, int)) else Decimal(str(value))

    @staticmethod
    def _date_value(value: Any) -> Any:
        """A FHIR date/dateTime as ``YYYY-MM-DD`` text; a partial date stays as it is, so the contract
        intake refuses it with its usual message."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return value
