"""Run each Excel runtime's suite in its own pytest process (xlwings binds its decorators at import).

The two processes start as soon as the session has collected them and run beside the rest of the suite; each
test here waits for its process and reports it. (Queued one after the other they finished 100 s after the main
suite: side by side, they keep the cores busy to the end.) The process that owns the session starts them: under
pytest-xdist the controller (``conftest.pytest_xdist_node_collection_finished``), otherwise the one pytest process
(``conftest.pytest_collection_finish``). Their output and exit code go to files in a folder of the session
(``XLFACTOR_RUNTIME_RESULTS``), which the test reads in whichever worker runs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "classic": {},
    # xlwings PRO code path (PolyForm Noncommercial): fine for this open-source project's tests
    "officejs": {"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"},
}
TIMEOUT = 1800  # s of wall time: a net for a hung suite, not a speed check (under load 20 a suite took 15 min)
RESULTS = "XLFACTOR_RUNTIME_RESULTS"  # environment variable: the session's folder of the suites' output
_RUNNING: dict[str, subprocess.Popen] = {}


def _folder() -> Path:
    return Path(os.environ[RESULTS])


def start(runtime: str) -> None:
    """Start a runtime's suite in the background (once); a thread writes its exit code when it ends."""
    if runtime in _RUNNING:
        return
    env = {
        **os.environ,
        "XLFACTOR_RUNTIME": runtime,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        **ENV[runtime],
    }
    # -n 0: one process per suite (the session's workers already share the cores)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        "0",
        f"tests/runtimes/{runtime}",
    ]
    folder = _folder()
    with open(folder / f"{runtime}.out", "w") as out, open(folder / f"{runtime}.err", "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
    _RUNNING[runtime] = proc

    def wait() -> None:
        try:
            code = str(proc.wait(timeout=TIMEOUT))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = "timeout"
        try:
            (folder / f"{runtime}.rc.part").write_text(code)
            (folder / f"{runtime}.rc.part").replace(folder / f"{runtime}.rc")  # whole or absent
        except OSError:  # the session ended first and removed the folder (stop)
            pass

    threading.Thread(target=wait, name=f"runtime-suite-{runtime}", daemon=True).start()


def stop() -> None:
    """End the suites still running (a session stopped early, e.g. by -x or Ctrl-C)."""
    for proc in _RUNNING.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _result(runtime: str) -> tuple[str, str, str]:
    """(exit code, stdout, stderr) of a suite, once its process has ended."""
    rc = _folder() / f"{runtime}.rc"
    deadline = time.monotonic() + TIMEOUT + 60
    while not rc.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{runtime} suite: no exit code after {TIMEOUT + 60} s")
        time.sleep(0.5)
    read = lambda ext: (_folder() / f"{runtime}.{ext}").read_text(errors="replace")  # noqa: E731
    return rc.read_text(), read("out"), read("err")


@pytest.mark.parametrize("runtime", sorted(ENV))
def test_runtime_suite(runtime):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        start(runtime)  # without xdist, when the session did not start it (e.g. a run of this test alone)
    code, stdout, stderr = _result(runtime)
    if code == "timeout":
        pytest.fail(f"{runtime} suite still running after {TIMEOUT} s")
    summary = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    print(f"{runtime}: {summary}")
    assert code == "0", stdout[-8000:] + stderr[-4000:]
    assert " passed" in summary and not re.search(r"\b\d+ failed", summary)  # "1 xfailed" is no failure
