from __future__ import annotations

import os
import re
import shutil
import tempfile

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


@pytest.fixture(scope="session")
def default_demo(tmp_path_factory):
    """`xlfactor demo` with every default, run once per test process and shared by the tests that read it
    (tests/test_cli.py, tests/test_defaults.py, tests/excel/test_memo.py; each marked ``xdist_group("demo")`` so that
    one worker runs it; it took four full demos). Run from empty caches with the core's expensive steps counted, then
    again with --force (test_memo: the second computes nothing). ``out`` holds the three workbooks it wrote, ``text``
    the first run's output, ``counts`` the steps computed after the first run and after the second, ``cached`` the
    caches' statistics after the first."""
    import contextlib
    import io
    from collections import Counter
    from types import SimpleNamespace

    from xlfactor import cli
    from xlfactor.core import penalized, premia_gmm, rolling
    from xlfactor.excel import memo

    out = tmp_path_factory.mktemp("demo") / "out"
    counts: Counter = Counter()
    runs = []
    with pytest.MonkeyPatch.context() as mp:
        for module, name in ((penalized, "score_path"), (rolling, "_estimate"), (premia_gmm, "_minimise")):
            real = getattr(module, name)

            def spy(*a, _real=real, _name=name, **k):
                counts[_name] += 1
                return _real(*a, **k)

            mp.setattr(module, name, spy)
        memo.clear_all()
        for argv in (["demo", "--out", str(out)], ["demo", "--out", str(out), "--force"]):
            with contextlib.redirect_stdout(io.StringIO()) as text:
                code = cli.main(argv)
            runs.append((code, text.getvalue(), dict(counts), {c.__name__: c.cache_info() for c in memo.CACHED}))
    return SimpleNamespace(
        out=out,
        codes=[r[0] for r in runs],
        text=runs[0][1],
        counts=[r[2] for r in runs],
        cached=runs[0][3],
    )


@pytest.fixture
def no_workbooks(monkeypatch):
    """`xlfactor demo` without writing its workbooks, for tests of what it prints (tests/test_cli.py's demo test and
    tests/workbook test the writing)."""
    from xlfactor.workbook import template

    monkeypatch.setattr(template, "build_all", lambda folder, *a, **k: [])


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


def _owner(config) -> bool:
    """The process that owns the session: pytest-xdist's controller, or the one pytest process without it."""
    return not RUNTIME and not hasattr(config, "workerinput")


def pytest_configure(config):
    if _owner(config):  # the runtime suites' output goes here (the workers inherit the variable)
        from tests import test_runtimes

        os.environ[test_runtimes.RESULTS] = tempfile.mkdtemp(prefix="xlfactor-runtimes-")


def _start_runtimes(config, nodeids) -> None:
    """Start the runtime suites among the collected tests, so they run beside the other tests."""
    from tests import test_runtimes

    if config.option.collectonly:
        return
    for nodeid in nodeids:
        found = re.search(r"test_runtimes\.py::test_runtime_suite\[(\w+)\]", nodeid)
        if found:
            test_runtimes.start(found[1])


def pytest_collection_finish(session):
    if _owner(session.config) and not session.config.pluginmanager.has_plugin("dsession"):
        _start_runtimes(session.config, (item.nodeid for item in session.items))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """pytest-xdist's controller: a worker's collection (all workers collect the same tests)."""
    _start_runtimes(node.config, ids)


def pytest_sessionfinish(session):
    if _owner(session.config):
        from tests import test_runtimes

        test_runtimes.stop()
        shutil.rmtree(os.environ[test_runtimes.RESULTS], ignore_errors=True)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the marks
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (pyproject: --dist loadgroup) the tests of a module that share a module-scoped fixture
    (a built workbook, a rendered PDF, a started server, a fitted model) run in one worker, so that the fixture is
    built once; the other tests are spread one by one. The runtime suites' tests go last: they only wait for their
    processes, started at collection."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/test_runtimes.py::"))  # stable: the rest keep order
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info and any(d.scope == "module" for defs in info.name2fixturedefs.values() for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
