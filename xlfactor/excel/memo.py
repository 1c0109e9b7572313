"""Result caches of the Excel layer: an unchanged recalculation costs one hash of its inputs.

Excel recalculates a formula whenever a precedent changes, and often when nothing did. The spreadsheet
functions therefore call the expensive core functions through the caches below, keyed on their CONVERTED
inputs (the arrays ``coerce`` made of the cells, and the resolved options): one cache per call path, so
each input is hashed once per call. The core itself never caches; it returns fresh, writable results.

The demo's procedure (``workbook.procedure``) calls the same cached entry points, so ``xlfactor demo``
computes each model once although both the printout and the workbook's cached values need it.
Arguments are bound to the function's signature with its defaults before hashing, so a call spelling a
default out and one leaving it off share an entry. Cached results are read-only (a caller cannot corrupt
the cache). This module does not import xlwings: it also serves the workbook layer and Lite.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

try:  # BLAKE3 (the ``server`` extra installs it): 2.3x SHA-256 on this machine, 3.0 vs 6.8 ms for 2,520 x 500 floats
    import blake3
except ImportError:  # SHA-256 then (hardware-accelerated here; blake2b is slower: 12-16 ms)
    blake3 = None  # type: ignore[assignment]

from ..core import backtest as walkforward
from ..core import cv, penalized, premia, premia_gmm, rolling, statistical

MAX_BYTES = 256 * 2**20  # per cached function; a 2,520 x 500 cross-validation result is about 5 MB


def hasher():
    """A new hash object for cache keys (``update``, ``digest``, ``hexdigest``): BLAKE3 where installed, else
    SHA-256. Both are cryptographic: equal keys mean equal bytes, also for inputs made to collide."""
    return blake3.blake3() if blake3 is not None else hashlib.sha256()


def _key_part(x: Any) -> tuple:
    """A hashable stand-in for one argument: arrays (and numeric lists) by shape and SHA-256 of their bytes."""
    if isinstance(x, (list, tuple)) and not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x, dtype=float)
        except (TypeError, ValueError):  # names, or a ragged mixture: part by part
            return ("sequence", tuple(_key_part(item) for item in x))
    if isinstance(x, np.ndarray):
        a = np.ascontiguousarray(x, dtype=float)
        digest = hasher()
        digest.update(a.data.cast("B"))  # no copy
        return ("array", a.shape, digest.hexdigest())
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_)):
        return ("number", float(x))  # 12 and 12.0 (a count from a cell) are the same option
    return ("value", repr(x))


def _arrays(result: Any):
    """Every numpy array a result holds: dataclass fields, dict values and sequences, recursively."""
    if isinstance(result, np.ndarray):
        yield result
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        for f in dataclasses.fields(result):
            yield from _arrays(getattr(result, f.name))
    elif isinstance(result, dict):
        for value in result.values():
            yield from _arrays(value)
    elif isinstance(result, (list, tuple)):
        for value in result:
            yield from _arrays(value)


def _freeze(result: Any) -> int:
    """Make the result's arrays read-only; the bytes they hold (at least 1 KiB for the object itself)."""
    size = 1024
    for a in _arrays(result):
        a.flags.writeable = False
        size += a.nbytes
    return size


def memoize(
    maxsize: int = 8,
    max_bytes: int = MAX_BYTES,
    ignore: tuple[str, ...] = (),
) -> Callable:
    """Least-recently-used cache of at most ``maxsize`` results and ``max_bytes`` of their arrays.

    Parameters
    ----------
    maxsize : int
        Results kept at most.
    max_bytes : int
        Bytes of result arrays kept at most; a larger result is returned but not kept.
    ignore : tuple of str
        Parameters that are not part of the key (e.g. a progress callback).

    Returns
    -------
    Callable
        A decorator. The wrapped function has ``cache_clear()``, ``cache_size()``, ``cache_bytes()`` and
        ``cache_info()`` (a dict of hits, misses and size).

    Notes
    -----
    Thread-safe (xlwings Server runs calls in threads): lookups and updates hold a lock, the computation
    does not, so two threads may compute the same result once each.

    Examples
    --------
    >>> calls = []
    >>> @memoize()
    ... def total(values, scale=1.0):
    ...     calls.append(1)
    ...     return np.asarray(values).sum() * scale
    >>> total(np.arange(3.0)), total(np.arange(3.0), scale=1.0), len(calls)
    (3.0, 3.0, 1)
    """

    def decorator(func: Callable) -> Callable:
        signature = inspect.signature(func)
        store: OrderedDict = OrderedDict()  # key -> (result, bytes)
        lock = threading.Lock()
        stats = {"hits": 0, "misses": 0, "bytes": 0}

        def key_of(args, kwargs) -> tuple:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return tuple((name, _key_part(value)) for name, value in bound.arguments.items() if name not in ignore)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            key = key_of(args, kwargs)
            with lock:
                hit = store.get(key)
                if hit is not None:
                    store.move_to_end(key)
                    stats["hits"] += 1
                    return hit[0]
                stats["misses"] += 1
            result = func(*args, **kwargs)
            size = _freeze(result)
            with lock:
                if size <= max_bytes and key not in store:
                    store[key] = (result, size)
                    stats["bytes"] += size
                    while len(store) > maxsize or stats["bytes"] > max_bytes:
                        stats["bytes"] -= store.popitem(last=False)[1][1]
            return result

        def cache_clear() -> None:
            with lock:
                store.clear()
                stats.update(hits=0, misses=0, bytes=0)

        wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
        wrapper.cache_size = lambda: len(store)  # type: ignore[attr-defined]
        wrapper.cache_bytes = lambda: stats["bytes"]  # type: ignore[attr-defined]
        wrapper.cache_info = lambda: {**stats, "size": len(store)}  # type: ignore[attr-defined]
        return wrapper

    return decorator


# --- the cached entry points: the spreadsheet functions and the demo's procedure call these -----------------------


def _uncached(func: Callable) -> Callable:
    """The core function itself while a core cache still wraps it (penalized.fit until h-pen's branch lands)."""
    return func.__wrapped__ if hasattr(func, "cache_clear") else func  # type: ignore[attr-defined]


fit = memoize()(_uncached(penalized.fit))
cross_validate = memoize()(cv.cross_validate)
rolling_windows = memoize()(rolling.rolling)


# every argument is part of the key: one the chosen methods do not read is refused by the core, never skipped here
backtest = memoize(maxsize=4, ignore=("progress",))(walkforward.backtest)
pca = memoize()(statistical.pca)
factor_count = memoize()(statistical.factor_count)
latent_vs_named = memoize()(statistical.latent_vs_named)
# RISK_PREMIA: its outputs (premia, tests, betas, ...) and every flavour's cached values share one estimate
risk_premia = memoize()(premia.estimate)
# the Macro sheet's and the demo's example (workbook.macro): GMM once for every flavour and the printout
gmm = memoize()(premia_gmm.gmm)
CACHED = (fit, cross_validate, rolling_windows, backtest, pca, factor_count, latent_vs_named, risk_premia, gmm)


def clear_all() -> None:
    """Empty every cache above (benchmarks time computations, not lookups)."""
    for cached in CACHED:
        cached.cache_clear()
