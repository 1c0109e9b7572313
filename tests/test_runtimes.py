"""Run each Excel runtime's suite in its own pytest process (xlwings binds its decorators at import)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "classic": {},
    # xlwings PRO code path (PolyForm Noncommercial): fine for this open-source project's tests
    "officejs": {"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"},
}


@pytest.mark.parametrize("runtime", sorted(ENV))
def test_runtime_suite(runtime):
    env = {**os.environ, "XLFACTOR_RUNTIME": runtime, **ENV[runtime]}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"tests/runtimes/{runtime}"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    print(f"{runtime}: {summary}")
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-4000:]
    assert " passed" in summary and "failed" not in summary
