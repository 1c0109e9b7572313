from __future__ import annotations

import os

# BLAS on one thread in the test processes (set before numpy loads; subprocesses inherit it): the suite is thousands
# of small products, on which OpenBLAS's threads cost more than they give, and on a busy machine a thread that is not
# scheduled stalls the others at every call (multistart SLSQP of tests/core/test_risk.py: 23 s of CPU on 2 threads
# under load, 2.7 s on one). Parallelism comes from the test processes instead (pytest-xdist, pyproject's addopts).
# tests/core/test_threads.py gives BLAS the machine's threads back for its own tests.
USUAL_BLAS_THREADS = os.cpu_count() or 1
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from xlfactor.data import load_french  # noqa: E402


@pytest.fixture(scope="session")
def french():
    return load_french()


@pytest.fixture(scope="session")
def french_xy(french):
    """All 30 portfolios' excess returns (819 x 30) and the four French factors (819 x 4)."""
    y = french.portfolios.sub(french.rf, axis=0).to_numpy()
    x = french.factors.to_numpy()
    return y, x


def synthetic(t=600, k=3, n=20, seed=0, noise=0.02):
    """Seeded factor-model data with known alphas and loadings."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.005, 0.04, size=(t, k))
    b = rng.normal(0.8, 0.4, size=(n, k))
    a = rng.normal(0.0, 0.002, size=n)
    y = a + x @ b.T + rng.normal(0, noise, size=(t, n))
    return y, x, a, b


# Each Excel runtime binds xlwings' decorators at import, so its suite runs in a pytest process of
# its own (tests/test_runtimes.py starts them with XLFACTOR_RUNTIME set).
RUNTIME = os.environ.get("XLFACTOR_RUNTIME")
collect_ignore_glob = (
    ["runtimes/*"] if not RUNTIME else [f"runtimes/{d}" for d in ("classic", "officejs") if d != RUNTIME]
)


def pytest_collection_finish(session):
    """Start the runtime suites collected in this session, so they run beside the other tests."""
    runtimes = {
        item.callspec.params["runtime"]
        for item in session.items
        if item.originalname == "test_runtime_suite" and hasattr(item, "callspec")
    }
    if runtimes and not RUNTIME:
        from tests import test_runtimes

        for runtime in sorted(runtimes):
            test_runtimes.start(runtime)
