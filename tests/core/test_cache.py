"""The result cache of the expensive core functions: hits, a bound in bytes, thread safety."""

import threading

import numpy as np

from xlfactor.core import _cache, cv
from tests.conftest import synthetic


def test_repeat_is_a_hit_and_results_are_read_only():
    calls = []

    @_cache.memoize()
    def f(a, k=1):
        calls.append(1)
        return a * k

    x = np.arange(4.0)
    first = f(x, k=2)
    assert f(x.copy(), k=2) is first and len(calls) == 1  # same numbers, same options: the cached result
    f(x, k=3)
    assert len(calls) == 2


def test_bounded_by_bytes_and_count():
    @_cache.memoize(maxsize=100, max_bytes=2**20)
    def big(seed):
        return np.full(50_000, float(seed))  # 400 kB each

    for seed in range(10):
        big(seed)
    assert big.cache_bytes() <= 2**20 and big.cache_size() == 2  # 10 results would be 4 MB
    assert big(9)[0] == 9.0 and big.cache_size() == 2  # the newest are kept

    @_cache.memoize(max_bytes=1000)
    def huge():
        return np.zeros(10_000)

    huge()
    assert huge.cache_size() == 0  # larger than the bound: returned, not kept


def test_cross_validation_cache_stays_within_its_bound():
    cv.cross_validate.cache_clear()
    y, x, _, _ = synthetic(t=300, k=4, n=40)
    for n in range(12):
        cv.cross_validate(y[:, : 20 + n], x)
    assert cv.cross_validate.cache_size() <= 8 and cv.cross_validate.cache_bytes() <= _cache.MAX_BYTES


def test_concurrent_calls_never_fail():
    @_cache.memoize(maxsize=2)
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
