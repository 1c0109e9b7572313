"""The Excel layer's result caches: hits, bounds, thread safety, one hash per input; the core caches nothing."""

import threading
from collections import Counter

import numpy as np
import pytest

from tests.conftest import synthetic
from xlfactor.core import backtest, cv, rolling
from xlfactor.excel import memo, udfs


def test_repeat_is_a_hit_and_results_are_read_only():
    calls = []

    @memo.memoize()
    def f(a, k=1):
        calls.append(1)
        return {"out": a * k, "parts": (a + k,)}

    x = np.arange(4.0)
    first = f(x, k=2)
    assert f(x.copy(), k=2) is first and len(calls) == 1  # same numbers, same options: the cached result
    assert f(x, 2) is first and len(calls) == 1  # spelled positionally: the same call
    f(x, k=3)
    assert len(calls) == 2 and f.cache_info() == {"hits": 2, "misses": 2, "bytes": f.cache_bytes(), "size": 2}
    for a in (first["out"], first["parts"][0]):  # nested arrays too: a caller cannot corrupt the cache
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 1.0


def test_a_default_spelled_out_shares_the_entry():
    calls = []

    @memo.memoize(ignore=("progress",))
    def f(a, *, scale=1.0, progress=None):
        calls.append(1)
        return a * scale

    x = np.ones(3)
    assert f(x) is f(x, scale=1.0) is f(x, scale=1.0, progress=print) and len(calls) == 1
    f(x, scale=2.0)
    assert len(calls) == 2


def test_bounded_by_bytes_and_count():
    @memo.memoize(maxsize=100, max_bytes=2**20)
    def big(seed):
        return np.full(50_000, float(seed))  # 400 kB each

    for seed in range(10):
        big(seed)
    assert big.cache_bytes() <= 2**20 and big.cache_size() == 2  # 10 results would be 4 MB
    assert big(9)[0] == 9.0 and big.cache_size() == 2  # the newest are kept

    @memo.memoize(max_bytes=1000)
    def huge():
        return np.zeros(10_000)

    huge()
    assert huge.cache_size() == 0  # larger than the bound: returned, not kept


def test_cross_validation_cache_stays_within_its_bound():
    memo.cross_validate.cache_clear()
    y, x, _, _ = synthetic(t=300, k=4, n=40)
    for n in range(12):
        memo.cross_validate(y[:, : 20 + n], x)
    assert memo.cross_validate.cache_size() <= 8 and memo.cross_validate.cache_bytes() <= memo.MAX_BYTES


def test_concurrent_calls_never_fail():
    @memo.memoize(maxsize=2)
    def f(k):
        return np.array([float(k)])

    errors = []

    def hammer(offset):
        try:
            for i in range(5000):
                k = (i + offset) % 5
                assert f(k)[0] == k
        except Exception as exc:  # a KeyError from a racy check-then-read
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_core_returns_fresh_writable_results():
    """No cache in core: two calls give two results, and a caller may change its own."""
    y, x, _, _ = synthetic(t=120, k=2, n=3)
    for call in (
        lambda: cv.cross_validate(y, x, folds=3),
        lambda: rolling.rolling(y, x, 60, step=30),
        lambda: backtest.backtest(y, x, 60, step=30, models=("ols",)),
    ):
        first, second = call(), call()
        assert first is not second
        arrays = list(memo._arrays(first))
        assert arrays and all(a.flags.writeable for a in arrays)
        floats = next(a for a in arrays if a.dtype == float and np.isfinite(a).any())
        floats[...] = np.nan  # the caller's own copy: the next call is unaffected
        again = next(a for a in memo._arrays(call()) if a.shape == floats.shape and a.dtype == float)
        assert np.isfinite(again).any()
    assert not any(hasattr(f, "cache_clear") for f in (cv.cross_validate, rolling.rolling, backtest.backtest))


def _hashes(monkeypatch) -> Counter:
    """Bytes hashed per key part (each of memo.hasher's hash objects), by size."""
    seen: Counter = Counter()
    real = memo.hasher

    class Counted:
        def __init__(self):
            self.digest = real()

        def update(self, data):
            seen[memoryview(data).nbytes] += 1
            self.digest.update(data)

        def hexdigest(self):
            return self.digest.hexdigest()

    monkeypatch.setattr(memo, "hasher", Counted)
    return seen


@pytest.mark.parametrize("fast", [True, False], ids=["blake3", "sha256"])
def test_a_key_part_changes_with_any_cell_and_shape(monkeypatch, fast):
    """Array keys hash the bytes (BLAKE3 where installed, else SHA-256): one cell changed in the last row, a sign
    of zero, or another shape of the same bytes is another key; equal arrays, however made, are one key."""
    if fast and memo.blake3 is None:
        pytest.skip("blake3 not installed")
    if not fast:
        monkeypatch.setattr(memo, "blake3", None)
    assert type(memo.hasher()).__name__ == ("blake3" if fast else "HASH")
    a = np.random.default_rng(1).normal(size=(2520, 50))
    key = memo._key_part(a)
    assert memo._key_part(a.copy()) == key and memo._key_part(np.asfortranarray(a)) == key
    assert memo._key_part(a.tolist()) == key
    changed = a.copy()
    changed[-1, -1] = np.nextafter(changed[-1, -1], np.inf)
    zero = np.zeros((3, 2))
    assert memo._key_part(changed) != key
    assert memo._key_part(a.reshape(1260, 100)) != key
    assert memo._key_part(-zero) != memo._key_part(zero)


@pytest.mark.parametrize("func", ["cv_lambda", "rolling_loadings", "backtest"])
def test_a_spreadsheet_call_hashes_its_returns_once_and_repeats_from_the_cache(monkeypatch, func):
    y, x, _, _ = synthetic(t=90, k=2, n=3, seed=4)
    args = {
        "cv_lambda": (y.tolist(), x.tolist()),
        "rolling_loadings": (y.tolist(), x.tolist(), 60, "lasso", 15),
        "backtest": (y.tolist(), x.tolist(), 60, 15, "ols"),
    }[func]
    memo.clear_all()
    seen = _hashes(monkeypatch)
    first = getattr(udfs, func)(*args)
    assert seen[y.nbytes] == 1  # the returns, hashed once by the one cache on this call path
    assert sum(c.cache_info()["misses"] for c in memo.CACHED) == 1
    assert getattr(udfs, func)(*args) == first  # a recalculation: the cached result
    assert seen[y.nbytes] == 2 and sum(c.cache_info()["hits"] for c in memo.CACHED) == 1


@pytest.mark.xdist_group("demo")
def test_demo_computes_each_model_once(default_demo):
    """`xlfactor demo` prints the procedure and writes the workbooks' cached values: both need the same
    cross-validations, fits, rolling windows and backtest; each is computed once (through memo's caches). The demo
    runs from empty caches, twice, in the shared fixture (tests/conftest.py), with these steps counted."""
    assert default_demo.codes == [0, 0]
    computed = default_demo.cached
    assert computed["cross_validate"]["hits"] >= 2 and computed["backtest"]["hits"] >= 1  # the workbook reused them
    first, second = default_demo.counts
    # 7 cross-validations and 6 rolling chunks measured on 2026-12-04 with the core's caches (before the move)
    assert first["score_path"] <= 7 and first["_estimate"] <= 6
    # GMM (two steps, one minimisation each) once per call path: the Macro example's and RISK_PREMIA's, shared by
    # every flavour (it was three times a flavour: the example, RISK_PREMIA's premia and its tests)
    assert first["_minimise"] == 2 * 2
    assert second == first  # the second demo computes nothing: every model came from the caches


def test_a_cached_backtest_never_answers_a_call_with_an_argument_its_method_refuses():
    """The backtest's key once left out what the chosen methods ignored (a half-life under sample, budgets under
    erc), so a cached answer could stand in for a call the core refuses (issue 23.4): the core is asked each time."""
    from xlfactor.errors import InputValueError

    y, x, _, _ = synthetic(t=90, k=2, n=3, seed=4)
    memo.clear_all()
    memo.backtest(y, x, 60, step=15, models=("ols",), cov_method="sample")
    for extra in ({"halflife": 36.0}, {"budgets": [1.0, 2.0, 3.0]}, {"target_vol": 0.05}):
        with pytest.raises(InputValueError, match="does not use"):
            memo.backtest(y, x, 60, step=15, models=("ols",), cov_method="sample", **extra)
