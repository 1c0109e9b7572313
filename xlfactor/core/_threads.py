"""BLAS threads inside the penalised solvers: one.

A penalised fit or cross-validation is thousands of small linear-algebra calls (K x K systems, K x P products)
and one larger product per block of rows (the moments ``X'y``). Multi-threaded BLAS does not pay on any of them:
on a small matrix its threads cost more to wake and join than the work, and on a busy machine (other processes on
the cores, as on an analyst's laptop) a thread that is not scheduled holds up the others at every call. Measured
on the 2-core benchmark machine under load (about 8 runnable processes per core): ``X'y`` of 2520 x 10 by
2520 x 500 in six row blocks took 0.46 s of wall time on OpenBLAS's 2 threads and 0.0016 s on one; even the largest
benchmark's (5040 x 20 x 3000) is about 0.05 s on one thread. So a public entry runs single-threaded
(``single_threaded``), and its numbers no longer depend on the machine's core count (OpenBLAS's rounding of
``X'y`` does: on 2 threads the loadings differed from one thread's by up to one unit in the last place).

Without threadpoolctl (e.g. in Pyodide, which has no threaded BLAS) it is a no-op. The limit is the process's
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
