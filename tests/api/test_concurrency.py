"""Many parallel clients against a real uvicorn server on a loopback port: initial visits for one
beneficiary on one day from several suppliers at once; exactly one is paid, the rest are rejected."""

from concurrent.futures import ThreadPoolExecutor
import threading

import httpx

from hitbenefit.api import Settings, create_app
from tests.api.conftest import ServerThread, auth, claim_json, dumps, new_mbi, unique

CLIENTS = 12


def test_parallel_initial_visits_exactly_one_paid(store, tables, keys):
    app = create_app(store=store, tables=tables, settings=Settings(rate_per_second=10_000, rate_burst=10_000,
                                                                   batch_worker=False))
    mbi = new_mbi()
    suppliers = [keys.supplier() for _ in range(CLIENTS)]
    bodies = [claim_json(unique("CC-"), mbi, npi, [("G0089", "2025-03-03")]) for i, (_, npi) in
              enumerate(suppliers)]
    barrier = threading.Barrier(CLIENTS)
    with ServerThread(app) as server:
        def one(i):
            key = suppliers[i][0]
            with httpx.Client(base_url=server.url, timeout=60) as c:
                barrier.wait()
                r = c.post("/v1/claims", content=dumps(bodies[i]), headers=auth(key, **{"Content-Type": "application/json"}))
                return r.status_code, r.json()["status"]

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(one, range(CLIENTS)))
    assert all(code == 201 for code, _ in results), results
    statuses = [s for _, s in results]
    assert statuses.count("paid") == 1, statuses
    # the look-back is backwards only, so one day for all: the first committed is paid, the rest are
    # rejected (initial visit within 60 days) or denied (second line of the category that day)
    assert all(s in ("rejected", "denied") for s in statuses if s != "paid")
