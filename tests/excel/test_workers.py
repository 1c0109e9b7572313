"""`xlfactor serve`'s worker processes for large calls (excel/workers.py): one at the server's priority for a large
call that comes alone, the niced ones for calls that come together, in order; a cancelled or failed call frees its
worker. Scheduling is tested with a thread standing in for each worker process (named after it)."""

import asyncio
import concurrent.futures
import concurrent.futures.process
import os
import threading
import time

import pytest

from xlfactor.excel import workers


def _threads(monkeypatch, n):
    """Workers (w0 alone, n niced) whose pool k is a thread named w<k>; each job returns the name of its worker."""
    w = workers.Workers(n, start=None)  # type: ignore[arg-type]  # never started: threads stand in
    pools = [concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"w{k}") for k in range(n + 1)]
    monkeypatch.setattr(w, "pool", lambda k: pools[k])
    w.pools = list(pools)  # type: ignore[arg-type]
    return w


def _job(seconds=0.0, running=None):
    def job():
        if running is not None:
            running.append(1)
            assert len(running) <= running.limit  # never more jobs at once than workers
        time.sleep(seconds)
        if running is not None:
            running.pop()
        return threading.current_thread().name.split("_")[0]

    return job


class _Running(list):
    limit = 3


def test_one_worker_runs_at_the_servers_priority_the_others_below(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert workers.Workers(2, start=None).niceness == [0, workers.NICENESS, workers.NICENESS]  # type: ignore[arg-type]
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # one core: a worker at full priority would halve the server's
    assert workers.Workers(1, start=None).niceness == [workers.NICENESS] * 2  # type: ignore[arg-type]


def test_a_call_alone_runs_at_full_priority_calls_together_niced_in_order(monkeypatch):
    w = _threads(monkeypatch, 2)

    async def main():
        alone = [await w.run(_job()) for _ in range(3)]  # one at a time: always the un-niced first worker
        running = _Running()
        together = await asyncio.gather(*(w.run(_job(0.05, running)) for _ in range(7)))
        return alone, together

    alone, together = asyncio.run(main())
    assert alone == ["w0", "w0", "w0"]  # one at a time: always the worker at the server's priority
    assert together[:3] == ["w0", "w1", "w2"]  # the first came alone; the others while it was in flight: niced
    assert set(together[3:]) == {"w1", "w2"}  # w0 free again takes none of the calls that came together
    assert w.busy == [False, False, False] and not w.waiting
    w.busy = [False, True, False]  # another large call in flight on w1, w0 free: a new one still runs niced
    assert asyncio.run(w.run(_job())) == "w2"


def test_a_cancelled_or_failed_call_frees_its_worker(monkeypatch):
    w = _threads(monkeypatch, 1)

    def broken():
        raise concurrent.futures.process.BrokenProcessPool("a worker died")

    async def main():
        first = asyncio.ensure_future(w.run(_job(0.1)))  # alone: w0
        await asyncio.sleep(0.01)
        second = asyncio.ensure_future(w.run(_job(0.1)))  # together: w1
        await asyncio.sleep(0.01)
        waiting = asyncio.ensure_future(w.run(_job()))  # waits for the niced worker
        await asyncio.sleep(0.01)
        waiting.cancel()
        assert [await first, await second] == ["w0", "w1"]
        with pytest.raises(asyncio.CancelledError):
            await waiting
        with pytest.raises(concurrent.futures.process.BrokenProcessPool):
            await w.run(broken)  # alone again: on w0, which dies
        return await w.run(_job())

    assert asyncio.run(main()) == "w0"  # the workers came free after the cancelled and the failed call
    assert w.busy == [False, False] and not w.waiting
    assert w.pools[0] is None  # the failed worker's pool is dropped: started afresh on the next call


def test_a_call_cancelled_just_as_it_is_handed_a_worker_passes_the_worker_on(monkeypatch):
    w = _threads(monkeypatch, 1)

    async def main():
        w.busy = [True, True]  # both workers are computing other calls
        late = asyncio.ensure_future(w.run(_job()))
        await asyncio.sleep(0)  # waiting now
        w._release(1)  # a call ends: the niced worker is handed to the waiting one...
        late.cancel()  # ...whose client goes away before it resumes
        with pytest.raises(asyncio.CancelledError):
            await late
        return await asyncio.wait_for(w.run(_job()), 10)  # not waiting forever for a worker nobody holds

    assert asyncio.run(main()) == "w1" and w.busy == [True, False] and not w.waiting
