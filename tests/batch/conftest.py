"""Shared fixtures: 2,000 SYNTHETIC claims, and one local batch over them (reused by several tests)."""

from __future__ import annotations

import simplejson
import pytest

from hitbenefit.synth import generate_claims

N_CLAIMS = 2000


@pytest.fixture(scope="session")
def synth_claims() -> list[dict]:
    return list(generate_claims(N_CLAIMS, seed=42))


@pytest.fixture(scope="session")
def synth_file(tmp_path_factory, synth_claims) -> str:
    path = tmp_path_factory.mktemp("synth") / "claims.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for claim in synth_claims:
            handle.write(simplejson.dumps(claim, use_decimal=True) + "\n")
    return str(path)


@pytest.fixture(scope="session")
def local_out(tmp_path_factory, synth_file):
    from hitbenefit.batch import run_batch

    out = tmp_path_factory.mktemp("local")
    run_batch([synth_file], out, workers=2, partitions=8)
    return out


OUTPUTS = ("decisions.jsonl", "decisions.parquet", "summary.json", "summary.html")
