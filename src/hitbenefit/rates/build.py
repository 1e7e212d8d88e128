"""Build the bundled estimate tables (``data/<year>/``) from the copied PFS inputs.

``hitbenefit rates build-estimates`` runs :func:`write_estimates`; a test checks that the bundled
files equal a fresh run, so they cannot drift from the inputs. Every number here is either read
from a file in ``data/pfs/`` or is a conversion factor with its source stated; where a year lacks
an input, the nearest year's input is used and named under ``substitutions`` (the table stays an
estimate). 42 CFR 414.1550; RULES PAY-4, PAY-5, PAY-6, PAY-9.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from hitbenefit.rates import estimate as est
from hitbenefit.rates.pfs import PFS_DIR, read_gpci, read_pprrvu, read_rvu_extract

BUNDLED_DIR = Path(__file__).parent / "data"

PSUN = "github Psuncode/RVU-Calculator, commit 524aec04f156bb24f7ee013a3995d504d525046d"
GMILLS = "github Gmills21/Agentic-Medical-Biller, commit da08e893353384e1d17c4cf85301ecc8a3dd7397"
NIEVES = "github chrisnieves60/Syntra-TakeHome, commit 47932d25e6a9ad4a2affbecbf2a744552cabb0a7"

#: input file -> (kind, origin)
INPUTS: dict[str, tuple[str, str]] = {
    "rvu_data_2021_extract.csv": ("derived", f"{PSUN}, app/data/processed/rvu_data_2021.json (built by the repo's "
                                  "scripts/process_all_rvu_data.py from CMS PPRRVU21_OCT.csv); 15 entries copied"),
    "PPRRVU22_JAN_infusion_extract.csv": ("cms", f"{PSUN}, app/data/raw/PPRRVU22_JAN.csv (CMS 2022 National PFS "
                                          "Relative Value File January Release, released 12/15/2021); 10 title "
                                          "lines + 15 rows copied"),
    "PPRRVU23_JAN_infusion_extract.csv": ("cms", f"{NIEVES}, PPRRVU23_JAN.csv (CMS 2023 National PFS Relative "
                                          "Value File January Release, released 01/30/2023); extract"),
    "rvu_data_2024_extract.csv": ("derived", f"{PSUN}, app/data/processed/rvu_data_2024.json (built from CMS "
                                  "PPRRVU24_OCT.csv); 15 entries copied"),
    "PPRRVU25_JAN1_infusion_extract.csv": ("cms", f"{GMILLS}, PPRRVU25_JAN1.csv (CMS 2025 National PFS Relative "
                                           "Value File January Release, released 12/23/2024); extract"),
    "gpci_data_2021_extract.csv": ("derived", f"{PSUN}, app/data/processed/gpci_data_2021.json; 112 localities"),
    "GPCI2022.csv": ("cms", f"{PSUN}, app/data/raw/GPCI2022.csv (CMS Addendum E, final CY 2022 GPCIs); 112 "
                     "localities"),
    "gpci_data_2023_extract.csv": ("derived", f"{PSUN}, app/data/processed/gpci_data_2023.json; 112 localities"),
    "gpci_data_2024_extract.csv": ("derived", f"{PSUN}, app/data/processed/gpci_data_2024.json; 109 localities"),
    "GPCI2025.csv": ("cms", f"{GMILLS}, GPCI2025.csv (CMS Addendum E, final CY 2025 GPCIs); 109 localities"),
}


@dataclass(frozen=True)
class YearInputs:
    """What one year's estimate is made of."""

    year: int
    rvu_file: str
    cf: Decimal
    cf_source: str
    gpci_file: str
    substitutions: tuple[str, ...] = ()
    confidence: str = "low"
    notes: tuple[str, ...] = field(default=())


YEARS: dict[int, YearInputs] = {y.year: y for y in (
    YearInputs(2021, "rvu_data_2021_extract.csv", Decimal("34.8931"),
               "CY 2021 PFS conversion factor after the Consolidated Appropriations Act, 2021 (SECONDARY: "
               "McDermott+ 'CMS updates CY 2022 physician CF 34.6062'; AAPM&R PFS page; per "
               "research/rates_findings.md §2.4)", "gpci_data_2021_extract.csv",
               notes=("CY 2021 is the year 42 CFR 414.1550(c) prices from the PFS; CMS recalculated the CY 2021 "
                      "HIT rates after the CAA 2021 changed the PFS (RULES PAY-10); 34.8931 is the post-CAA factor.",
                      "RVUs and GPCIs are a third party's JSON built from CMS files (October release), not the "
                      "CMS files themselves; non-facility totals are work + non-facility PE + MP as stored.")),
    YearInputs(2022, "PPRRVU22_JAN_infusion_extract.csv", Decimal("34.6062"),
               "CONV FACTOR column of CMS PPRRVU22_JAN.csv (the file itself); also McDermott+ and AAPM&R",
               "GPCI2022.csv", confidence="low-medium"),
    YearInputs(2023, "PPRRVU23_JAN_infusion_extract.csv", Decimal("33.8872"),
               "CONV FACTOR column of CMS PPRRVU23_JAN.csv (the file itself)", "gpci_data_2023_extract.csv",
               notes=("GPCIs are a third party's JSON built from CMS files, not the CMS file itself.",)),
    YearInputs(2024, "rvu_data_2024_extract.csv", Decimal("33.2875"),
               "CY 2024 PFS conversion factor for services from 2024-03-09 after the Consolidated "
               "Appropriations Act, 2024 (SECONDARY: test fixture RELEASES rvu24ar-d = 33.2875; ECG Management "
               "Consultants '$33.29'; per research/rates_findings.md §2.4). Chosen over 32.7442 (2024-01-01 to "
               "2024-03-08) because the RVUs are from the October release, which goes with 33.2875, and it "
               "applied to most of the year.", "gpci_data_2024_extract.csv",
               notes=("RVUs and GPCIs are a third party's JSON built from CMS files (October release), not the "
                      "CMS files themselves; non-facility totals are work + non-facility PE + MP as stored.",
                      "With 32.7442 (2024-01-01 to 2024-03-08) every amount would be about 1.6% lower.")),
    YearInputs(2025, "PPRRVU25_JAN1_infusion_extract.csv", Decimal("32.3465"),
               "CONV FACTOR column of CMS PPRRVU25_JAN1.csv (the file itself); also Part B News",
               "GPCI2025.csv", confidence="low-medium"),
    YearInputs(2026, "PPRRVU25_JAN1_infusion_extract.csv", Decimal("33.4009"),
               "CY 2026 PFS conversion factor for non-qualifying APM participants (SECONDARY: Part B News; per "
               "research/rates_findings.md §2.4; 33.5675 for qualifying APM participants not used)",
               "GPCI2025.csv",
               substitutions=("RVUs: CY 2026 RVUs not available; CY 2025 RVUs (PPRRVU25_JAN1) used with the CY 2026 "
                              "conversion factor. Any CY 2026 revaluation of the infusion or E/M codes is not "
                              "reflected.",
                              "GPCIs: CY 2026 GPCIs not available; CY 2025 GPCIs (GPCI2025) used."),
               confidence="very low"),
)}

METHOD = ("42 CFR 414.1550(c) as applied to CY 2021, re-priced from each year's PFS: category base = "
          "non-facility PFS amount of 5 hours of infusion in a physician office (cat 1: 96365 + 4 x 96366; "
          "cat 2: 96369 + 4 x 96370; cat 3: 96413 + 4 x 96415), each code's amount = total RVUs x CF rounded "
          "half up to cents; p = sum RVU(99202-99205) / sum RVU(99212-99215) - 1; subsequent = base / (1 + s x p), "
          "initial = subsequent x (1 + p), each rounded half up to cents (RULES PAY-4, PAY-5). NOTE: for CY 2022 on "
          "the statute updates the prior year's amount by CPI-U less productivity (RULES PAY-9); those "
          "percentages were not found, so later years are PFS re-pricings, not the statutory update.")
GAF_METHOD = ("GAF = 0.50866 x work GPCI + 0.44839 x PE GPCI + 0.04295 x MP GPCI, rounded half up to 3 decimals "
              "(PFS cost-share weights; confidence U: not confirmed for HIT, RULES PAY-6)")
ASSUMPTIONS = {
    "initial_visit_share": {
        "value": str(est.INITIAL_VISIT_SHARE),
        "label": "ASSUMPTION (not published by CMS): share s of HIT visit days that are initial visits, "
                 "used to make the initial/subsequent split budget neutral",
    },
    "gaf_weights": {
        "work": str(est.GAF_WEIGHTS["work"]), "pe": str(est.GAF_WEIGHTS["pe"]), "mp": str(est.GAF_WEIGHTS["mp"]),
        "label": "ASSUMPTION (confidence U): PFS cost-share weights used to combine the GPCIs into a GAF",
    },
}


@dataclass(frozen=True)
class BuiltYear:
    year: int
    national: dict[str, Decimal]
    gafs: dict[str, Decimal]
    provenance: dict


def build_year(year: int) -> BuiltYear:
    """Compute one year's estimate table and its provenance from the inputs."""
    spec = YEARS[year]
    if INPUTS[spec.rvu_file][0] == "cms":
        rvus, file_cf = read_pprrvu(PFS_DIR / spec.rvu_file, est.METHOD_CODES)
        if file_cf != spec.cf and not spec.substitutions:
            raise ValueError(f"{year}: conversion factor {spec.cf} differs from {spec.rvu_file} ({file_cf})")
        total_note = "CMS NON-FACILITY TOTAL column (checked = work + non-facility PE + MP)"
    else:
        rvus = read_rvu_extract(PFS_DIR / spec.rvu_file, est.METHOD_CODES)
        total_note = "work_rvu + pe_rvu_nonfac + mp_rvu as stored (no CMS total column in the source)"
    result = est.estimate_national(rvus, spec.cf)
    gafs = {g.locality: est.gaf(g.work, g.pe, g.mp) for g in read_gpci(PFS_DIR / spec.gpci_file)}
    provenance = {
        "year": year,
        "status": "estimate",
        "source": f"hitbenefit estimate (42 CFR 414.1550 method) for CY {year} from PFS inputs "
                  f"{spec.rvu_file}, CF {spec.cf}, {spec.gpci_file}"
                  + (" (with substitutions)" if spec.substitutions else ""),
        "method": METHOD,
        "gaf_method": GAF_METHOD,
        "confidence": spec.confidence,
        "inputs": {
            "rvus": {"file": f"pfs/{spec.rvu_file}", "origin": INPUTS[spec.rvu_file][1],
                     "kind": INPUTS[spec.rvu_file][0], "non_facility_total": total_note,
                     "values": {c: str(rvus[c]) for c in est.METHOD_CODES}},
            "conversion_factor": {"value": str(spec.cf), "source": spec.cf_source},
            "gpci": {"file": f"pfs/{spec.gpci_file}", "origin": INPUTS[spec.gpci_file][1],
                     "kind": INPUTS[spec.gpci_file][0], "localities": len(gafs)},
        },
        "assumptions": ASSUMPTIONS,
        "substitutions": list(spec.substitutions),
        "results": {
            "p": str(result.p.quantize(Decimal("0.000001"))) + " (shown to 6 decimals; unrounded in the method)",
            "category_base": {f"category_{c}": str(v) for c, v in result.bases.items()},
            "national": {c: str(v) for c, v in result.national.items()},
        },
        "notes": list(spec.notes) + [
            "Not a CMS publication. Import CMS's published HIT rate file with `hitbenefit rates import` "
            "to replace this estimate with official rates."],
    }
    return BuiltYear(year, result.national, gafs, provenance)


def render(built: BuiltYear) -> dict[str, str]:
    """The three files of a year's table as text: rates.csv, gaf.csv, provenance.yaml."""
    rates = "year,locality,hcpcs,amount\n" + "".join(
        f"{built.year},national,{code},{amount}\n" for code, amount in built.national.items())
    gaf = "year,locality,gaf\n" + "".join(
        f"{built.year},{loc},{value}\n" for loc, value in sorted(built.gafs.items()))
    prov = ("# Generated by `hitbenefit rates build-estimates`; do not edit by hand.\n"
            + yaml.safe_dump(built.provenance, sort_keys=False, allow_unicode=True, width=100))
    return {"rates.csv": rates, "gaf.csv": gaf, "provenance.yaml": prov}


def write_estimates(out_dir: Path = BUNDLED_DIR, years: list[int] | None = None) -> list[Path]:
    """Regenerate ``out_dir/<year>/`` for every estimate year; returns the folders written."""
    written = []
    for year in years or sorted(YEARS):
        folder = Path(out_dir) / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in render(build_year(year)).items():
            (folder / name).write_text(text, encoding="utf-8")
        written.append(folder)
    return written
