"""The worker processes that compute `xlfactor serve`'s large calls: one at the server's priority for a large call
that comes alone, the others below it for large calls that come together.

A large call (a 12.7 MB CV_LAMBDA body) is decoded and computed in a worker process, so that the server's own
process stays free for the small calls (issue 23 item 7). A worker below the server's priority (``nice``) keeps a
small call fast while large calls fill every core: CAPM_BETA's p99 under 16 large calls went from 25.8x to 8.7x its
median alone with all workers at nice 10. But a niced worker also yields its core to anything else the machine
runs, at a tenth of the share: with other processes busy, one cold CV_LAMBDA waited several times its CPU time
(measured under load 9, 7 Dec 2026: 7.9 s for one large call while a client kept calling CAPM_BETA). So one more
worker runs at the server's priority and takes a large call that arrives when no other is in flight (a
recalculation of one large formula: it never runs below anyone); a call that arrives while another is in flight
goes to the niced workers, in order of arrival, whether or not that first worker is free again. A worker at full
priority computing one large call after another kept CAPM_BETA's p99 under 16 large calls at 12-14x its median
alone (load 3-5); every call after the first now runs niced, as before. On a machine with one core every worker is
niced.

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
    """Single-process pools (spawned: they start clean of the server's threads), each started by
    ``start(parent_pid, niceness)``: number 0 at the server's priority for a large call that comes alone, then
    ``n`` niced ones; ``run`` computes a job in one of them."""

    def __init__(self, n: int, start: Callable[[int, int], None]):
        first = 0 if (os.cpu_count() or 1) > 1 else NICENESS
        self.niceness = [first] + [NICENESS] * n
        self.start = start
        self.pools: list[concurrent.futures.ProcessPoolExecutor | None] = [None] * (n + 1)
        self.busy = [False] * (n + 1)
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
        """``job()`` in a worker: number 0 when no other large call is in flight, else the first free niced one, or
        the next niced one to come free after the calls already waiting. A worker that died (``BrokenProcessPool``,
        raised) is started afresh next time."""
        loop = asyncio.get_running_loop()
        if not self.waiting and not any(self.busy):
            k = 0
            self.busy[0] = True
        elif self.waiting or all(self.busy[1:]):
            waiter = loop.create_future()
            self.waiting.append(waiter)
            try:
                k = await waiter  # a worker handed over by the call that finished on it
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed a worker, then cancelled: pass it on
                    self._release(waiter.result())
                raise
        else:
            k = self.busy.index(False, 1)
            self.busy[k] = True
        try:
            return await loop.run_in_executor(self.pool(k), job)
        except concurrent.futures.process.BrokenProcessPool:
            self.pools[k] = None
            raise
        finally:
            self._release(k)

    def _release(self, k: int) -> None:
        """Worker ``k`` is done: hand it (a niced one) to the first call still waiting, else mark it free."""
        while k and self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(k)
                return
        self.busy[k] = False
