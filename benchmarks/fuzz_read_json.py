"""Coverage-guided fuzzing of the contract claim reader with atheris (not part of the test suite).

    .venv/bin/pip install atheris==3.0.0     # not in requirements.lock
    .venv/bin/python benchmarks/fuzz_read_json.py -atheris_runs=2000000 -max_len=8192 [corpus_dir]

Seeds are the example claims (examples/claims) and synthetic claims (hitbenefit.synth), also when a corpus
directory is given. A finding is any exception other than ClaimInputError from ``claim_from_text`` or
``read_claims``, or, for an input that is JSON, a claim or error from the fast reading (orjson, remembered
parts) that differs from the exact one (``loads_exact`` then ``claim_from_json``) or from a second reading.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

with atheris.instrument_imports():
    from hitbenefit.claims.read_json import ClaimInputError, claim_from_json, claim_from_text, read_claims
    from hitbenefit.money import loads_exact


def _outcome(read) -> object:
    try:
        claim = read()
    except ClaimInputError as exc:
        return str(exc)
    return claim, repr(claim)


def test_one_input(data: bytes) -> None:
    fast = _outcome(lambda: claim_from_text(data, "fuzz.jsonl", 1))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    read_claims(text, "fuzz.json")
    try:
        value = loads_exact(text)
    except ValueError:
        return
    exact = _outcome(lambda: claim_from_json(value, "fuzz.jsonl", 1))
    again = _outcome(lambda: claim_from_text(data, "fuzz.jsonl", 1))
    if not fast == exact == again:
        raise AssertionError(f"the readings differ:\n fast  {fast}\n exact {exact}\n again {again}")


def main() -> None:
    import simplejson

    from hitbenefit.synth import generate_claims

    args = list(sys.argv)
    seeds = Path(tempfile.mkdtemp(prefix="fuzz_json_"))
    for sample in (ROOT / "examples/claims").glob("*.json*"):
        (seeds / sample.name).write_bytes(sample.read_bytes()[:8192])
    for n, claim in enumerate(generate_claims(200, seed=1)):
        (seeds / f"synth-{n}.json").write_text(simplejson.dumps(claim, use_decimal=True))
    args.append(str(seeds))  # after a corpus directory given: libFuzzer adds new inputs to the first one
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
