"""Local and Spark agree on a large SYNTHETIC input (issue 7: 100,000 claims), byte for byte."""

from __future__ import annotations

import json

import pytest
import simplejson

from hitbenefit.synth import generate_claims
from tests.batch.conftest import OUTPUTS

N_LARGE = 100_000


@pytest.fixture(scope="module")
def large_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("large") / "claims.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for claim in generate_claims(N_LARGE, seed=7):
            handle.write(simplejson.dumps(claim, use_decimal=True, separators=(",", ":")) + "\n")
    return str(path)


def test_local_and_spark_agree_on_100000_claims(tmp_path, large_file):
    pytest.importorskip("pyspark")
    from hitbenefit.batch import run_batch

    local = run_batch([large_file], tmp_path / "local", workers=2)
    spark = run_batch([large_file], tmp_path / "spark", engine="spark")
    assert local.claims == spark.claims == N_LARGE
    assert local.partitions == spark.partitions > 1
    for name in OUTPUTS:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "spark" / name).read_bytes(), name
    summary = json.loads((tmp_path / "local" / "summary.json").read_text())
    assert summary["claims"] == N_LARGE and summary["lines_by_reason"]["NOT_HOME"] > 0
