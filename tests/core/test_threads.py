"""BLAS threads per operation (core/_threads.py): one thread inside a penalised public call, the usual ones for
the moments X'y, restored afterwards; the numbers are those of the usual threads throughout."""

import numpy as np
import pytest

from tests.conftest import synthetic
from xlfactor.core import _threads, cv, penalized

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads() -> int:
    return max(p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")


def test_one_thread_inside_a_public_call_the_usual_ones_for_the_moments_and_after(monkeypatch):
    import contextlib

    seen = {}
    usual_threads = penalized.problems.usual_threads

    @contextlib.contextmanager
    def spy():  # the threads while X'y is computed
        with usual_threads():
            seen.setdefault("moments", blas_threads())
            yield

    real = penalized.api.fit_path

    def spy_path(*args, **kw):
        seen.setdefault("path", blas_threads())
        return real(*args, **kw)

    monkeypatch.setattr(penalized.problems, "usual_threads", spy)
    monkeypatch.setattr(penalized.api, "fit_path", spy_path)
    usual = blas_threads()
    y, x, _, _ = synthetic(t=150, k=4, n=6, seed=3)
    penalized.lasso(y, x, [1e-4, 1e-5])
    assert seen == {"moments": usual, "path": 1}
    assert blas_threads() == usual


def test_nested_and_failing_calls_restore_the_threads():
    usual = blas_threads()
    with _threads.single_threaded():
        with _threads.single_threaded():
            assert blas_threads() == 1
        assert blas_threads() == 1
        with _threads.usual_threads():
            assert blas_threads() == usual
        assert blas_threads() == 1
    assert blas_threads() == usual
    with pytest.raises(ValueError):
        cv.cross_validate(np.ones((20, 2)), np.full((20, 2), np.nan))
    assert blas_threads() == usual


def test_the_thread_policy_changes_no_number(monkeypatch):
    y, x, _, _ = synthetic(t=1260, k=10, n=100, seed=5)  # a size where X'y rounds differently on one thread

    def run():
        return (penalized.lasso(y, x).loadings, cv.cross_validate(y, x, folds=4, scheme="walkforward").fold_mse)

    with_policy = run()
    monkeypatch.setitem(_threads._state, "controller", False)  # as without threadpoolctl: BLAS as it is
    for a, b in zip(with_policy, run(), strict=True):
        np.testing.assert_array_equal(a, b)
