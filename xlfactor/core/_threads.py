"""BLAS threads chosen per operation size.

A penalised fit or cross-validation is thousands of small linear-algebra calls (K x K systems, K x P products)
and a few large ones (the moments ``X'y`` over all rows and assets). Multi-threaded BLAS only pays on the large
ones: on a small matrix its threads cost more to wake and join than the work, and on a busy machine (other
processes on the cores, as on an analyst's laptop) a thread that is not scheduled holds up the others at every
call. So a public entry runs single-threaded (``single_threaded``) and lets BLAS use its threads again only for
an operation of at least ``PARALLEL_FLOPS`` floating-point operations (``threads_for``).

Without threadpoolctl (e.g. in Pyodide, which has no threaded BLAS) both are no-ops. The limit is the process's
(BLAS has one thread count), so calls running at once in threads share it: the first in sets it, the last out
restores it. Threads change no number here: OpenBLAS's GEMM splits the output among threads, not the sums
(benchmarks/record_numbers.py agrees to 0 with and without).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

# an operation below this runs on one thread: 2 T K N of X'y at T=1260, K=10, N=100 (the smallest benchmark) is
# 2.5e6; at 5040 x 20 x 3000 it is 6e8, where two threads took 0.06 s against 0.10 s on a quiet machine
PARALLEL_FLOPS = 5e7

_lock = threading.Lock()
_state: dict[str, Any] = {"depth": 0, "controller": None, "threads": 1}


def _blas() -> Any:
    """threadpoolctl's controller of the BLAS libraries, made on first use (finding them takes ~50 ms); False
    without threadpoolctl."""
    if _state["controller"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - Pyodide
            _state["controller"] = False
        else:
            ctl = ThreadpoolController().select(user_api="blas")
            _state["threads"] = max([lib.num_threads for lib in ctl.lib_controllers] + [1])
            _state["controller"] = ctl
    return _state["controller"]


def _set(ctl: Any, n: int) -> None:
    for lib in ctl.lib_controllers:
        lib.set_num_threads(n)


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS on one thread inside; nested and concurrent calls share the limit, the last out restores it."""
    ctl = _blas()
    if not ctl:
        yield
        return
    with _lock:
        if _state["depth"] == 0:
            _set(ctl, 1)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                _set(ctl, _state["threads"])


@contextlib.contextmanager
def threads_for(flops: float) -> Iterator[None]:
    """BLAS on its usual threads inside if the operation has at least ``PARALLEL_FLOPS`` flops (else as it is)."""
    ctl = _blas()
    if not ctl or flops < PARALLEL_FLOPS or not _state["depth"]:
        yield
        return
    _set(ctl, _state["threads"])
    try:
        yield
    finally:
        with _lock:
            _set(ctl, 1 if _state["depth"] else _state["threads"])
