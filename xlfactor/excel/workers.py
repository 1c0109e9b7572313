"""The worker processes that compute `xlfactor serve`'s large calls: the first at the server's priority, the others
below it.

A large call (a 12.7 MB CV_LAMBDA body) is decoded and computed in a worker process, so that the server's own
process stays free for the small calls (issue 23 item 7). A worker below the server's priority (``nice``) keeps a
small call fast while large calls fill every core: CAPM_BETA's p99 under 16 large calls went from 25.8x to 8.7x its
median alone with all workers at nice 10. But a niced worker also yields its core to anything else the machine
runs, at a tenth of the share: with other processes busy, one cold CV_LAMBDA waited several times its CPU time
(measured under load 9, 7 Dec 2026: 7.9 s for one large call while a client kept calling CAPM_BETA). So here one
worker runs at the server's priority and takes a large call whenever it is free; the others run niced and take
the calls that arrive while it is busy, and calls beyond the workers wait their turn in order. One large call at a
time (a recalculation) therefore never runs below anyone; with many in flight one core computes at full priority
and the others are the server's whenever it needs them. On a machine with one core every worker is niced.

This module does not import xlwings; ``Workers`` is told what to run in each new process (``start``).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import concurrent.futures.process
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

NICENESS = 10  # the workers after the first: below the server, which answers the small calls


class Workers:
    """``n`` single-process pools (spawned: they start clean of the server's threads), each started by
    ``start(parent_pid, niceness)``; ``run`` computes a job in the first free one, in order of arrival."""

    def __init__(self, n: int, start: Callable[[int, int], None]):
        first = 0 if (os.cpu_count() or 1) > 1 else NICENESS
        self.niceness = [first] + [NICENESS] * (n - 1)
        self.start = start
        self.pools: list[concurrent.futures.ProcessPoolExecutor | None] = [None] * n
        self.busy = [False] * n
        self.waiting: collections.deque[asyncio.Future] = collections.deque()

    def pool(self, k: int) -> concurrent.futures.ProcessPoolExecutor:
        pool = self.pools[k]
        if pool is None:
            pool = self.pools[k] = concurrent.futures.ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=self.start,
                initargs=(os.getpid(), self.niceness[k]),
            )
        return pool

    def warm(self) -> None:
        """Start every worker now and wait until each has run ``start`` (it takes a job only then)."""
        for future in [self.pool(k).submit(os.getpid) for k in range(len(self.pools))]:
            future.result()

    def close(self) -> None:
        """Stop the workers (the server is shutting down)."""
        for pool in self.pools:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self.pools = [None] * len(self.pools)

    async def run(self, job: Callable[[], Any]) -> Any:
        """``job()`` in a worker: the first free one (the un-niced first when it is free), or the next to come free
        after the calls already waiting. A worker that died (``BrokenProcessPool``, raised) is started afresh next
        time."""
        loop = asyncio.get_running_loop()
        if self.waiting or all(self.busy):
            waiter = loop.create_future()
            self.waiting.append(waiter)
            try:
                k = await waiter  # a worker handed over by the call that finished on it
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed a worker, then cancelled: pass it on
                    self._release(waiter.result())
                raise
        else:
            k = self.busy.index(False)
            self.busy[k] = True
        try:
            return await loop.run_in_executor(self.pool(k), job)
        except concurrent.futures.process.BrokenProcessPool:
            self.pools[k] = None
            raise
        finally:
            self._release(k)

    def _release(self, k: int) -> None:
        """Worker ``k`` is done: hand it to the first call still waiting, else mark it free."""
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(k)
                return
        self.busy[k] = False
