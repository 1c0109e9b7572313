"""`xlfactor serve` for real: uvicorn on a free loopback port, called over HTTP (bounded, loopback only)."""

import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

# find_spec, not importorskip: importing xlwings_server sets XLWINGS_ON_SERVER in this process
pytestmark = pytest.mark.skipif(importlib.util.find_spec("xlwings_server") is None, reason="needs xlfactor[server]")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url, payload, timeout=120):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    folder = tmp_path_factory.mktemp("served")
    log = open(folder / "serve.log", "w")  # noqa: SIM115 - a file, not a pipe: a full pipe would block the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "xlfactor.cli", "serve", "--dir", str(folder / "proj"), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/manifest", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail((folder / "serve.log").read_text())
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("xlfactor serve did not answer within 90 s")
    yield base
    proc.terminate()
    proc.wait(timeout=20)


def body(name, args):
    return {
        "client": "Office.js",
        "func_name": name,
        "args": args,
        "caller_address": "A1",
        "version": "0.37.8",
        "runtime": "1.4",
    }


def test_served_functions_answer(server):
    r = [[0.01], [0.03], [0.0], [0.02], [-0.01]]
    m = [[0.011], [0.02], [0.004], [0.015], [-0.012]]
    status, text = _post(server + "/xlwings/custom-functions-call", body("capm_beta", [r, m, None, None, None]))
    assert status == 200, text
    assert 0.5 < json.loads(text)["result"][0][0] < 2
    status, text = _post(
        server + "/xlwings/custom-functions-call", body("capm_beta", [[["x"]] + r[1:], m, None, None, None])
    )
    assert status == 400 and "CAPM_BETA: returns row 1, column 1 is text 'x'" in text
    status, text = _post(server + "/xlwings/custom-functions-call", body("hello", []))
    assert status == 400 and "unknown function 'hello'" in text
    with urllib.request.urlopen(server + "/manifest", timeout=10) as m:
        assert '<DisplayName DefaultValue="xlfactor" />' in m.read().decode()


def test_fast_calls_keep_their_latency_while_a_slow_one_runs(server):
    """A slow CV_CURVE computes in a worker thread: CAPM_BETA calls meanwhile answer as fast as alone."""
    import statistics
    import threading

    import numpy as np

    url = server + "/xlwings/custom-functions-call"
    r = [[0.01], [0.03], [0.0], [0.02], [-0.01], [0.015]]
    m = [[0.011], [0.02], [0.004], [0.015], [-0.012], [0.01]]
    fast = body("capm_beta", [r, m, None, None, None])

    def timed():
        t = time.perf_counter()
        status, _ = _post(url, fast)
        assert status == 200
        return time.perf_counter() - t

    alone = [timed() for _ in range(5)]
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.04, (1500, 10))
    y = x @ rng.normal(0.5, 0.5, (10, 200)) + rng.normal(0, 0.05, (1500, 200))
    slow_body = body("cv_curve", [y.tolist(), x.tolist(), [["lasso"]], [[60]], [["walkforward"]], None, None])
    slow = {}

    def run_slow():
        t = time.perf_counter()
        slow["status"], _ = _post(url, slow_body)
        slow["seconds"] = time.perf_counter() - t

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.2)  # past sending its 7 MB body (0.9 s of computing follow, on a quiet machine)
    under = []
    while thread.is_alive() and len(under) < 20:
        under.append(timed())
    thread.join(timeout=120)
    assert slow["status"] == 200 and len(under) >= 3  # the calls did overlap the slow one
    print(
        f"CAPM_BETA alone: median {statistics.median(alone) * 1e3:.0f} ms; while CV_CURVE ran "
        f"({slow['seconds']:.1f} s): median {statistics.median(under) * 1e3:.0f} ms, max {max(under) * 1e3:.0f} ms "
        f"over {len(under)} calls"
    )
    assert max(under) < 1.0  # before: each waited for the whole slow call


# --- the real JavaScript client (issue 23 item 13) --------------------------------------------------------------------

HARNESS = __import__("pathlib").Path(__file__).parent / "js" / "office_harness.mjs"


def _node() -> str:
    import os
    import shutil

    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("Node.js is missing: .ci/run installs it (apt-get install nodejs)")
        pytest.skip("needs Node.js (apt-get install nodejs) to run xlwings Server's JavaScript client")
    return node


def _run_client(server, calls):
    proc = subprocess.run(
        [_node(), str(HARNESS), server],
        input=json.dumps(calls),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_xlwings_javascript_client_registers_calls_and_shows_errors(server):
    """xlwings Server's custom-functions JavaScript, unmodified, under Node.js with a minimal Office runtime."""
    import numpy as np

    from xlfactor.core import regression

    with urllib.request.urlopen(server + "/xlwings/custom-functions-meta", timeout=30) as r:
        meta = json.loads(r.read())
    params = {f["name"]: len(f["parameters"]) for f in meta["functions"]}
    r6 = [[0.01], [0.03], [0.0], [0.02], [-0.01], [0.015]]
    m6 = [[0.011], [0.02], [0.004], [0.015], [-0.012], [0.01]]

    def args(name, given):
        return given + [None] * (params[name] - len(given))  # Excel passes null for each omitted argument

    out = _run_client(
        server,
        [
            {"name": "CAPM_BETA", "args": args("CAPM_BETA", [r6, m6])},
            {"name": "FACTOR_R2", "args": args("FACTOR_R2", [[a + b for a, b in zip(r6, m6, strict=True)], m6])},
            {"name": "CAPM_BETA", "args": args("CAPM_BETA", [[["x"]] + r6[1:], m6])},
        ],
    )
    assert sorted(out["registered"]) == sorted(params)  # every function the server lists registers
    assert len(params) >= 29
    beta = regression.capm(np.array(r6), np.array(m6)[:, 0]).beta
    assert out["results"][0]["value"][0][0] == pytest.approx(beta[0], rel=1e-12)
    assert 0 <= out["results"][1]["value"][0][0] <= 1
    error = out["results"][2]
    assert error["error"]["code"] == "#VALUE!"
    assert error["error"]["message"].startswith("CAPM_BETA: returns row 1, column 1 is text 'x'")
    assert error["requests"] == 1  # a 4xx: shown after one attempt, not retried


# --- a fast call under large ones (issue 23 item 7) -------------------------------------------------------------------


def test_fast_calls_stay_fast_while_large_bodies_are_decoded(server):
    """16 large calls in flight (about 3 MB each, decoded in worker processes): CAPM_BETA's p99 stays near its median
    alone. The target is 10x; on a shared 2-core machine the guard is 25x and 1 s (benchmarks/bench_serve.py
    measures the 10x with 12.7 MB bodies)."""
    import statistics
    import threading

    import numpy as np

    url = server + "/xlwings/custom-functions-call"
    rng = np.random.default_rng(1)
    fast = body(
        "capm_beta", [rng.normal(0, 0.05, (120, 5)).round(6).tolist(), rng.normal(0, 0.04, (120, 1)).round(6).tolist()]
    )

    def timed():
        t = time.perf_counter()
        status, _ = _post(url, fast)
        assert status == 200
        return time.perf_counter() - t

    for _ in range(3):
        timed()
    alone = statistics.median([timed() for _ in range(30)])
    x = rng.normal(0, 0.04, (600, 5)).round(6)
    large = [
        body(
            "factor_r2",
            [(x @ rng.normal(0.5, 0.5, (5, 200)) + rng.normal(0, 0.05, (600, 200))).round(6).tolist(), x.tolist()],
        )
        for _ in range(16)
    ]
    done = []
    threads = [threading.Thread(target=lambda b=b: done.append(_post(url, b)[0])) for b in large]
    for t in threads:
        t.start()
    under = []
    while any(t.is_alive() for t in threads) or len(under) < 20:
        under.append(timed())
    for t in threads:
        t.join()
    p99 = float(np.percentile(under, 99))
    print(
        f"CAPM_BETA alone {alone * 1e3:.1f} ms; under 16 large calls p99 {p99 * 1e3:.1f} ms ({p99 / alone:.1f}x), "
        f"{len(under)} calls"
    )
    assert done == [200] * 16
    assert p99 < max(25 * alone, 1.0)
