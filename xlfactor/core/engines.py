"""Where chunks of independent work run: here, one after another (``"local"``, the default), or on a Dask
cluster (``"dask"``; the optional extra ``xlfactor[dask]``). The engine decides where, never what: a chunk
is a pure function of its arguments, so both engines return the same numbers.

Dask: ``scheduler`` is a ``dask.distributed.Client``, a scheduler address such as ``"tcp://10.0.0.5:8786"``
(start one with ``dask scheduler`` and workers with ``dask worker tcp://10.0.0.5:8786``, each with xlfactor
installed), or None for a ``LocalCluster`` on this machine for the duration of the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InputValueError
from . import _validation as v
from .options import DEFAULTS, ENGINES


def run_chunks(
    engine: str,
    scheduler: Any,
    fn: Callable[..., Any],
    args: list[tuple],
    progress: Callable[[int, int], object] | None = None,
) -> list:
    """Run ``[fn(*a) for a in args]``, in order, on the chosen engine.

    Parameters
    ----------
    engine : {"local", "dask"}
        Here, one chunk after another, or on a Dask cluster.
    scheduler : dask.distributed.Client or str or None
        The cluster for "dask" (None: a 2-process ``LocalCluster`` for the call); must be None for "local".
    fn : callable
        A pure function of its arguments (a chunk), picklable for Dask.
    args : list of tuple
        One argument tuple per chunk.
    progress : callable, optional
        ``progress(done, total)`` after each chunk.

    Returns
    -------
    list
        ``fn``'s results, in the order of ``args``.

    Raises
    ------
    InputValueError
        For an unknown engine, a scheduler with "local", or "dask" without Dask installed.

    Examples
    --------
    >>> from xlfactor.core.engines import run_chunks
    >>> run_chunks("local", None, pow, [(2, 3), (3, 2)])
    [8, 9]
    """
    engine = v.choose(engine, ENGINES, "engine", DEFAULTS["engine"])
    if engine == "local":
        if scheduler is not None:
            raise InputValueError("scheduler is for engine 'dask'; pass engine='dask' or drop the scheduler.")
        out = []
        for a in args:
            out.append(fn(*a))
            if progress is not None:
                progress(len(out), len(args))
        return out
    return _on_dask(scheduler, fn, args, progress)


def _on_dask(scheduler, fn, args, progress):
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # the extra is optional
        raise InputValueError("engine 'dask' needs Dask: pip install \"xlfactor[dask]\".") from exc
    own = None
    if scheduler is None:
        own = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
        client = own
    elif isinstance(scheduler, str):
        own = client = Client(scheduler)
    else:
        client = scheduler
    try:
        futures = [client.submit(fn, *a, pure=False) for a in args]
        if progress is not None:
            for done, _ in enumerate(as_completed(futures), 1):
                progress(done, len(futures))
        return client.gather(futures)
    finally:
        if own is not None:
            cluster = own.cluster
            own.close()
            if cluster is not None and scheduler is None:
                cluster.close()
