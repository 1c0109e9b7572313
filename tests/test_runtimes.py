"""Run each Excel runtime's suite in its own pytest process (xlwings binds its decorators at import).

The two processes start when the session has collected them (``conftest.pytest_collection_finish``) and run
beside the rest of the suite; each test here waits for its process and reports it. (Queued one after the other
they finished 100 s after the main suite: side by side, the three processes keep both cores busy to the end.)
"""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "classic": {},
    # xlwings PRO code path (PolyForm Noncommercial): fine for this open-source project's tests
    "officejs": {"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"},
}
TIMEOUT = 900
_RUNNING: dict = {}
_POOL = ThreadPoolExecutor(max_workers=len(ENV), thread_name_prefix="runtime-suites")


def start(runtime: str) -> None:
    """Start a runtime's suite in the background (once)."""
    if runtime in _RUNNING:
        return
    env = {
        **os.environ,
        "XLFACTOR_RUNTIME": runtime,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        **ENV[runtime],
    }
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"tests/runtimes/{runtime}"]
    _RUNNING[runtime] = _POOL.submit(
        subprocess.run, cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )


@pytest.mark.parametrize("runtime", sorted(ENV))
def test_runtime_suite(runtime):
    start(runtime)
    try:
        proc = _RUNNING[runtime].result(timeout=TIMEOUT)
    except (subprocess.TimeoutExpired, TimeoutError):
        pytest.fail(f"{runtime} suite still running after {TIMEOUT} s")
    stdout, stderr = proc.stdout, proc.stderr
    summary = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    print(f"{runtime}: {summary}")
    assert proc.returncode == 0, stdout[-8000:] + stderr[-4000:]
    assert " passed" in summary and not re.search(r"\b\d+ failed", summary)  # "1 xfailed" is no failure
