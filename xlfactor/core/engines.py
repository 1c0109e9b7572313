"""Where chunks of independent work run: here, one after another (``"local"``, the default), or on a Dask
cluster (``"dask"``; the optional extra ``xlfactor[dask]``). The engine decides where, never what: a chunk
is a pure function of its arguments, so both engines return the same numbers for the same chunks.

Dask: ``scheduler`` is a ``dask.distributed.Client``, a scheduler address such as ``"tcp://10.0.0.5:8786"``
(start one with ``dask scheduler`` and workers with ``dask worker tcp://10.0.0.5:8786``, each with xlfactor
installed), or None for a ``LocalCluster`` on this machine for the duration of the call. The data every chunk
reads (``shared``) is sent to each worker once (scattered), not with every task; a caller sizes its chunks by
``Runner.slots`` (the tasks the cluster runs at once) so that every worker gets several. Workers of a cluster you
start compute faster without Dask's sampling profiler (``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``): it
samples on a clock, so on a busy machine it takes a growing share of the CPU a worker gets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import InputValueError
from . import _validation as v
from .options import DEFAULTS, ENGINES

TASKS_PER_SLOT = 4  # chunks per worker thread on Dask: the last chunks to finish leave a worker idle for a
# quarter of its share at most, and a chunk's fixed cost (a path step) is paid 4 times, not once per window


class Runner:
    """Runs chunks on one engine; ``slots`` is how many run at once (1 here; the cluster's threads on Dask)."""

    def __init__(self, client: Any = None):
        self.client = client
        self.slots = 1 if client is None else max(1, sum(client.nthreads().values()))
        self._tuned = False

    @property
    def remote(self) -> bool:
        return self.client is not None

    def map(
        self,
        fn: Callable[..., Any],
        args: list[tuple],
        shared: tuple = (),
        progress: Callable[[int, int], object] | None = None,
    ) -> list:
        """``[fn(*shared, *a) for a in args]`` in order; on Dask ``shared`` goes to each worker once."""
        if self.client is None:
            out = []
            for a in args:
                out.append(fn(*shared, *a))
                if progress is not None:
                    progress(len(out), len(args))
            return out
        from dask.distributed import as_completed

        if not self._tuned:
            self.client.run(malloc_as_by_default)
            self._tuned = True
        on_workers = self.client.scatter(list(shared), broadcast=True, hash=False) if shared else []
        futures = [self.client.submit(fn, *on_workers, *a, pure=False) for a in args]
        try:
            if progress is not None:
                for done, _ in enumerate(as_completed(futures), 1):
                    progress(done, len(futures))
            return self.client.gather(futures)
        finally:
            for f in [*futures, *on_workers]:
                f.release()


def malloc_as_by_default() -> bool:
    """On a Dask worker, glibc's memory thresholds as a plain process ends up with: large temporaries reused, not
    mapped and zeroed again on every use. Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``,
    which also fixes the mmap threshold at 128 KiB; every array above it is then a fresh mapping whose pages fault
    in again (measured on a chunk of the daily rolling lasso: 0.7 s of system time against 0.1 s, half the work
    again). Sets the thresholds glibc's own dynamic rule tops out at (``roomy_malloc``); only where that variable
    is set (a worker started otherwise is left alone). True when changed."""
    import os

    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    return roomy_malloc()


def roomy_malloc() -> bool:
    """glibc's memory thresholds at the values its own dynamic rule tops out at (mmap 32 MiB, trim 64 MiB): blocks
    up to 32 MiB come from the heap and freed memory is kept for reuse, instead of each large block being a fresh
    mapping whose pages fault in (and are zeroed) again. True when set; False where the C library is not glibc."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
        return bool(libc.mallopt(m_mmap_threshold, 32 * 2**20)) and bool(libc.mallopt(m_trim_threshold, 64 * 2**20))
    except (OSError, AttributeError):  # not glibc: nothing to undo
        return False


@contextmanager
def runner(engine: str, scheduler: Any = None) -> Iterator[Runner]:
    """A ``Runner`` for ``engine`` ("local" or "dask"), open for the ``with`` block (see ``run_chunks``).

    Raises
    ------
    InputValueError
        For an unknown engine, a scheduler with "local", or "dask" without Dask installed.
    """
    engine = v.choose(engine, ENGINES, "engine", DEFAULTS["engine"])
    if engine == "local":
        if scheduler is not None:
            raise InputValueError("scheduler is for engine 'dask'; pass engine='dask' or drop the scheduler.")
        yield Runner()
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # the extra is optional
        raise InputValueError("engine 'dask' needs Dask: pip install \".[dask]\" in the xlfactor folder.") from exc
    if scheduler is None:
        import dask

        with (
            dask.config.set({"distributed.worker.profile.enabled": False}),  # a sampling profiler: 2-4% of the work
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield Runner(client)
    elif isinstance(scheduler, str):
        with Client(scheduler) as client:
            yield Runner(client)
    else:
        yield Runner(scheduler)


def run_chunks(
    engine: str,
    scheduler: Any,
    fn: Callable[..., Any],
    args: list[tuple],
    progress: Callable[[int, int], object] | None = None,
    shared: tuple = (),
) -> list:
    """Run ``[fn(*shared, *a) for a in args]``, in order, on the chosen engine.

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
    shared : tuple, optional
        Leading arguments of every chunk (e.g. the data), sent to each Dask worker once.

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
    with runner(engine, scheduler) as run:
        return run.map(fn, args, shared, progress)
