"""BLAS threads chosen per operation.

A penalised fit or cross-validation is thousands of small linear-algebra calls (K x K systems, K x P products)
and one large one per block of rows (the moments ``X'y`` over its rows and all assets). Multi-threaded BLAS only
pays on the large one: on a small matrix its threads cost more to wake and join than the work, and on a busy
machine (other processes on the cores, as on an analyst's laptop) a thread that is not scheduled holds up the
others at every call. So a public entry runs single-threaded (``single_threaded``) and gives BLAS its usual
threads back for the moments (``usual_threads``).

The moments keep the usual threads whatever their size because their rounding depends on the thread count
(OpenBLAS splits the sums of ``X'y`` among its threads): on one thread the loadings moved by up to 1e-15 (one
unit in the last place of the largest), so this keeps every number what it was. The small products round the same
on any number of threads (benchmarks/record_numbers.py agrees to 0).

Without threadpoolctl (e.g. in Pyodide, which has no threaded BLAS) both are no-ops. The limit is the process's
(BLAS has one thread count), so calls running at once in threads share it: the first in sets it, the last out
restores it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

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
def usual_threads() -> Iterator[None]:
    """BLAS on its usual threads inside (inside ``single_threaded``; elsewhere nothing changes)."""
    ctl = _blas()
    if not ctl or not _state["depth"]:
        yield
        return
    _set(ctl, _state["threads"])
    try:
        yield
    finally:
        with _lock:
            _set(ctl, 1 if _state["depth"] else _state["threads"])
