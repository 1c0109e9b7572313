"""BLAS threads in the penalised solvers (core/_threads.py): one thread inside a public call, restored afterwards,
so the numbers do not depend on the caller's (or the machine's) thread count."""

import contextlib

import numpy as np
import pytest

from tests.conftest import USUAL_BLAS_THREADS, synthetic
from xlfactor.core import _threads, cv, penalized

threadpoolctl = pytest.importorskip("threadpoolctl")


@pytest.fixture(autouse=True)
def usual_threads(monkeypatch):
    """BLAS with the machine's threads, as outside the test suite (tests/conftest.py runs it on one); _threads
    learns the count anew, as in a fresh process."""
    monkeypatch.setitem(_threads._state, "controller", None)
    monkeypatch.setitem(_threads._state, "threads", 1)
    with threadpoolctl.threadpool_limits(USUAL_BLAS_THREADS, user_api="blas"):
        yield


def blas_threads() -> int:
    return max(p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")


def test_one_thread_inside_a_public_call_and_the_usual_ones_after(monkeypatch):
    seen = []
    moments = penalized.problems._moments

    def spy(*args, **kw):  # X'y: the largest product of a call
        seen.append(blas_threads())
        return moments(*args, **kw)

    monkeypatch.setattr(penalized.problems, "_moments", spy)
    usual = blas_threads()
    y, x, _, _ = synthetic(t=150, k=4, n=6, seed=3)
    penalized.lasso(y, x, [1e-4, 1e-5])
    cv.cross_validate(y, x, folds=3)
    assert seen and set(seen) == {1}
    assert blas_threads() == usual


def test_nested_and_failing_calls_restore_the_threads():
    usual = blas_threads()
    with _threads.single_threaded():
        with _threads.single_threaded():
            assert blas_threads() == 1
        assert blas_threads() == 1
    assert blas_threads() == usual
    with pytest.raises(ValueError):
        cv.cross_validate(np.ones((20, 2)), np.full((20, 2), np.nan))
    assert blas_threads() == usual


def test_numbers_do_not_depend_on_the_callers_thread_count():
    if blas_threads() < 2:
        pytest.skip("one BLAS thread here: nothing to compare")
    y, x, _, _ = synthetic(t=1260, k=10, n=100, seed=5)  # a size where X'y rounds differently on 2 threads

    def run():
        return (penalized.lasso(y, x).loadings, cv.cross_validate(y, x, folds=4, scheme="walkforward").fold_mse)

    usual = run()
    with threadpoolctl.threadpool_limits(1):
        one = run()
    for a, b in zip(usual, one, strict=True):
        np.testing.assert_array_equal(a, b)


def test_without_threadpoolctl_nothing_changes(monkeypatch):
    monkeypatch.setitem(_threads._state, "controller", False)
    usual = blas_threads()
    with _threads.single_threaded():
        assert blas_threads() == usual
    assert isinstance(_threads.single_threaded(), contextlib.AbstractContextManager)
