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


def _post(url, payload):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    folder = tmp_path_factory.mktemp("served")
    proc = subprocess.Popen([sys.executable, "-m", "xlfactor.cli", "serve", "--dir", str(folder / "proj"),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/manifest", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stdout.read())
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("xlfactor serve did not answer within 90 s")
    yield base
    proc.terminate()
    proc.wait(timeout=20)


def body(name, args):
    return {"client": "Office.js", "func_name": name, "args": args, "caller_address": "A1", "version": "0.37.8",
            "runtime": "1.4"}


def test_served_functions_answer(server):
    r = [[0.01], [0.03], [0.0], [0.02], [-0.01]]
    m = [[0.011], [0.02], [0.004], [0.015], [-0.012]]
    status, text = _post(server + "/xlwings/custom-functions-call", body("capm_beta", [r, m, None, None, None]))
    assert status == 200, text
    assert 0.5 < json.loads(text)["result"][0][0] < 2
    status, text = _post(server + "/xlwings/custom-functions-call", body("capm_beta", [[["x"]] + r[1:], m, None, None, None]))
    assert status == 400 and "CAPM_BETA: returns row 1, column 1 is text 'x'" in text
    status, text = _post(server + "/xlwings/custom-functions-call", body("hello", []))
    assert status == 400 and "unknown function 'hello'" in text
    with urllib.request.urlopen(server + "/manifest", timeout=10) as m:
        assert "<DisplayName DefaultValue=\"xlfactor\" />" in m.read().decode()


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
    time.sleep(0.8)  # past reading its 7 MB body: it is computing now
    under = []
    while thread.is_alive() and len(under) < 20:
        under.append(timed())
    thread.join(timeout=120)
    print(f"CAPM_BETA alone: median {statistics.median(alone) * 1e3:.0f} ms; while CV_CURVE ran "
          f"({slow['seconds']:.1f} s): median {statistics.median(under) * 1e3:.0f} ms, max {max(under) * 1e3:.0f} ms "
          f"over {len(under)} calls")
    assert slow["status"] == 200 and len(under) >= 3  # the calls did overlap the slow one
    assert max(under) < 1.0  # before: each waited for the whole slow call
