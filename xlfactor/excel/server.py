"""The web app `xlfactor serve` runs: xlwings Server's app behind a guard that also answers the function calls.

xlwings Server answers a call of an unknown function, or a body that is not the JSON its client
sends, with HTTP 500, which Excel's client retries three times and then shows as "An error
occurred."; and it parses each body on its event loop (twice, with the guard), where a 12.7 MB
CV_LAMBDA body held every other user's calls for half a second. So the guard answers
``/xlwings/custom-functions-call`` itself:

- on the event loop only the bytes are read, the caller authenticated (xlwings Server's own
  providers, ``authenticate``) and the answer sent;
- decoding (``decode.call``: ranges of numbers straight to float arrays with simdjson, else orjson or
  json), checking (``call_problem``, 4xx with one line), converting and computing run once, in
  ``answer``, off the loop: in a thread for a small body, in one of a few worker processes for a large
  one (a JSON decode holds the GIL for its whole length, so threads alone would still stall the fast
  calls), through xlwings' own ``custom_functions_call`` so that arguments and results convert exactly
  as xlwings Server converts them (a decoded array passes through it as a raw argument, for ``coerce``);
- a large body goes to its worker as bytes in memory, not through the pool's pipe: where the system has a
  memory file system (``/dev/shm``), each chunk is written to a file there as it arrives (by a thread beside
  the loop, ``_take``) and the worker reads it at once (``answer_spooled``); a 12.7 MB body through the pipe is pickled, copied four times and
  passed 64 KB at a time, each turn waiting for the other process to be scheduled. Only the small answer
  comes back through the pipe;
- a byte-identical repeat (Excel recalculating an unchanged large range) is answered from a small
  cache of encoded answers, keyed by the body's hash (``memo.hasher``: BLAKE3, or SHA-256; hashed chunk by
  chunk as the body arrives, so the key is ready soon after its last byte), without decoding it again;
- each worker process starts warm (``_worker_start``): its imports done and one small CV_LAMBDA computed, so
  that the first large call does not pay for lazily imported modules and finding BLAS's thread controls;
  one worker runs at the server's priority for a large call that comes alone, the others below it for large
  calls that come together (``workers``).

Everything else (manifest, task pane, meta, JavaScript) goes to xlwings Server unchanged. Import this
module only with xlwings Server's settings in the environment (``runtimes.server_settings``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import contextlib
import functools
import inspect
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import weakref
from collections import OrderedDict

if sys.platform != "emscripten":  # xlwings 0.37.8 tries `import pyodide` once per cell outside Pyodide
    sys.modules.setdefault("pyodide", None)  # type: ignore[arg-type]

import numpy as np

from ..core.engines import roomy_malloc
from . import decode, memo, udfs, workers
from .decode import orjson

logger = logging.getLogger(__name__)

CALL_PATH = "/xlwings/custom-functions-call"
MAX_BODY_MB = float(os.environ.get("XLFACTOR_MAX_REQUEST_MB", "256"))  # 2,520 x 500 cells are about 25 MB
LARGE_BODY_KB = float(os.environ.get("XLFACTOR_LARGE_REQUEST_KB", "256"))  # above: decoded in a worker process
LARGE_WORKERS = int(
    os.environ.get("XLFACTOR_LARGE_WORKERS", str(min(2, os.cpu_count() or 1)))
)  # niced; one more for a call alone
ANSWER_CACHE_MB = float(os.environ.get("XLFACTOR_ANSWER_CACHE_MB", "64"))
SPOOL_ROOT = "/dev/shm"  # a memory file system (Linux): large bodies reach their worker through a file here
TEXT, JSON = b"text/plain; charset=utf-8", b"application/json"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


# --- one call, off the event loop -----------------------------------------------------------------------------------


def _decode(body: bytes, fast: bool = True):
    """The call's JSON value, ranges of numbers as float arrays (``decode.call``), or why it is not JSON."""
    return decode.call(body, fast)


def _params(name: str) -> tuple[int, int]:
    """(required, total) number of arguments of function ``name``."""
    sig = inspect.signature(getattr(udfs, name))
    required = sum(p.default is inspect.Parameter.empty for p in sig.parameters.values())
    return required, len(sig.parameters)


def call_problem(data) -> str | None:
    """Why a decoded custom-functions-call body cannot be served, in one line; None when it can.

    On success the function name is normalised in ``data`` (lower case, as xlwings looks it up).
    """
    if not isinstance(data, dict):
        return "the request body must be a JSON object with func_name and args."
    name = data.get("func_name")
    if name is None:
        return "the request lacks 'func_name' (the function's name); Excel's xlwings client sends it."
    if not isinstance(name, str) or name.lower() not in udfs.__all__:
        shown = repr(name)[:60]
        return (
            f"unknown function {shown}; this server has xlfactor's functions "
            f"({', '.join(n.upper() for n in udfs.__all__)}). Reload the add-in if you renamed one."
        )
    low = name.lower()
    required, total = _params(low)
    args = data.get("args")
    if not isinstance(args, list) or len(args) > total:
        return f"{low.upper()}: args must be a list of at most {total} arguments."
    for k, arg in enumerate(args):
        if arg is not None and not (
            isinstance(arg, np.ndarray) or (isinstance(arg, list) and all(isinstance(r, list) for r in arg))
        ):  # an array: a block of numbers from decode.call
            return f"{low.upper()}: argument {k + 1} must be null or a list of rows (a 2-D range)."
    if len(args) < required:
        return f"{low.upper()}: {len(args)} arguments given; it needs at least {required}."
    for key in ("version", "client", "runtime"):
        if not isinstance(data.get(key), str):
            return f"the request lacks '{key}' (a string); Excel's xlwings client sends it."
    for key in ("date_format", "culture_info_name", "caller_address"):
        if data.get(key) is not None and not isinstance(data[key], str):
            return f"'{key}' must be a string or null; got {type(data[key]).__name__}."
    data["func_name"] = low
    return None


def _encode(value) -> bytes:
    if orjson is not None:
        return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    return json.dumps(value, separators=(",", ":")).encode()


def answer(body: bytes, fast: bool = True) -> tuple[int, bytes, bytes]:
    """(status, content, content type) for one custom-functions-call body: decoded, checked, computed.

    ``fast=False`` decodes every range to Python lists (as json does) instead of float arrays where it can.
    """
    import xlwings as xw
    import xlwings.server

    data = _decode(body, fast)
    if isinstance(data, tuple):
        return 400, data[0].encode(), TEXT
    problem = call_problem(data)
    if problem:
        return 400, problem.encode(), TEXT
    try:  # xlwings' own call: scalars, blanks to defaults, raw arguments, results converted as on xlwings Server
        result = asyncio.run(xlwings.server.custom_functions_call(data, udfs, None, typehint_to_value={}))
    except xw.XlwingsError as exc:  # our user errors (ExcelInputError) and xlwings' own refusals
        return 400, str(exc).encode(), TEXT
    except Exception:  # a bug: logged with its traceback, shown as xlwings Server shows one in production
        logger.exception("custom function %s failed", data["func_name"])
        return 500, b"An error occurred.", TEXT
    return 200, _encode({"result": result}), JSON


def _take(digest, spool, chunks: list[bytes]) -> None:
    """Hash (``digest``, unless None) and write to the file ``spool`` (unless None) the next chunks of a large body:
    in the spooler thread, while the event loop reads the chunks that follow (hashing and file writes let go of
    the GIL; on the loop they made its reading of a 12.7 MB body 39 ms instead of 16)."""
    if digest is not None:
        for chunk in chunks:
            digest.update(chunk)
    if spool is not None:
        spool.writelines(chunks)


def answer_spooled(path: str) -> tuple[int, bytes, bytes]:
    """``answer`` for a body the server wrote to the file ``path`` (in memory): read once, removed, answered."""
    with open(path, "rb") as f:
        body = f.read()
    os.unlink(path)
    return answer(body)


def _warm() -> bool:
    """Import and run what ``answer`` needs, once in each worker process as it starts: a small CV_LAMBDA call
    through the fast decoder (its lazily imported modules, BLAS's thread controls found: ~0.05 s otherwise
    paid by the first large call), then the caches emptied again."""
    import xlwings as xw

    from . import memo

    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.04, (60, 2)).round(6)
    y = x @ rng.normal(0.5, 0.5, (2, 3)) + rng.normal(0, 0.05, (60, 3)).round(6)
    args = [y.tolist(), x.tolist()]
    call = {"func_name": "cv_lambda", "args": args, "version": xw.__version__, "client": "Office.js", "runtime": "1.4"}
    status, content, _ = answer(json.dumps(call).encode())
    memo.clear_all()
    if status != 200:
        logger.warning("warming the worker process: %s", content.decode(errors="replace"))
    return status == 200


def _worker_start(parent: int, niceness: int) -> None:
    """In each worker process: run ``niceness`` below the server's priority where the system has ``os.nice``
    (``workers``: the first worker at the server's, the others below it, so that a small call answered in the
    server's process does not wait a scheduler time slice behind large calls that keep every core busy); exit
    when the server process is gone (killed, not shut down), never linger; warm up (``_warm``)."""
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)

    def watch():
        while os.getppid() == parent:
            threading.Event().wait(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="xlfactor-parent-watch").start()
    try:
        _warm()
    except Exception:  # a warm-up that fails must not break the pool: the calls then say what is wrong
        logger.exception("warming the worker process failed")


# --- the guard ------------------------------------------------------------------------------------------------------


class Answers:
    """Encoded answers by the hash of their request body (``memo.hasher``): least recently used first out, bounded in bytes."""

    def __init__(self, max_mb: float = ANSWER_CACHE_MB):
        self.max_bytes, self.size = int(max_mb * 2**20), 0
        self.items: OrderedDict[bytes, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: bytes) -> bytes | None:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            return None

    def put(self, key: bytes, content: bytes) -> None:
        if len(content) > self.max_bytes:
            return
        with self.lock:
            if key not in self.items:
                self.items[key] = content
                self.size += len(content)
            while self.size > self.max_bytes:
                self.size -= len(self.items.popitem(last=False)[1])


async def _plain(send, status: int, text: str | bytes, content_type: bytes = TEXT) -> None:
    body = text.encode() if isinstance(text, str) else text
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _host_of(scope) -> str:
    """The Host header without its port ('[::1]:8000' -> '::1')."""
    raw = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").strip().lower()
    if raw.startswith("["):
        return raw[1:].split("]")[0]
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


async def authenticate(scope) -> tuple[int, str] | None:
    """None when xlwings Server's configured auth provider accepts the caller; else (status, reason).

    The same code as xlwings Server's ``dep.User`` (providers, roles, authorisation); xlwings Server's
    placeholder ``custom`` provider (it accepts the fixed token 'test-token') is refused outright.
    """
    from fastapi import HTTPException
    from starlette.requests import Request
    from xlwings_server import dependencies as dep
    from xlwings_server.config import settings

    if not settings.auth_providers:
        return None
    from . import runtimes

    if "custom" in settings.auth_providers and not runtimes.custom_auth_written(settings.project_dir):
        return 401, runtimes.PLACEHOLDER_AUTH
    headers = Request(scope).headers
    try:
        user = await dep.authenticate(headers.get("authorization", ""), headers.get("auth-provider"))
        await dep.get_user(Request(scope), user)
    except HTTPException as exc:
        return exc.status_code, str(exc.detail)
    return None


class Guard:
    """ASGI middleware in front of xlwings Server.

    - Host: exactly one Host header, naming this server (loopback by default), so a web page cannot
      reach it through DNS rebinding;
    - paths with a '..' segment: refused (xlwings Server's static files must stay in their folder);
    - custom-function calls: bounded in size, then answered here (see the module docstring).
    """

    def __init__(
        self,
        app,
        max_body_mb: float = MAX_BODY_MB,
        allowed_hosts=LOOPBACK_HOSTS,
        large_body_kb: float = LARGE_BODY_KB,
        large_workers: int = LARGE_WORKERS,
    ):
        self.app, self.max_bytes = app, int(max_body_mb * 2**20)
        self.allowed_hosts = {h.strip().lower().strip("[]") for h in allowed_hosts if h.strip()}
        self.large_bytes, self.large_workers = int(large_body_kb * 1024), large_workers
        self.threads = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="xlfactor-call")
        self.spooler = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlfactor-spool")
        self.workers = workers.Workers(large_workers, _worker_start) if large_workers >= 1 else None
        self.answers = Answers()
        self._spool: str | None = None
        self.spooling = os.path.isdir(SPOOL_ROOT) and os.access(SPOOL_ROOT, os.W_OK)

    def spool_file(self):
        """A new file for a large body in this server's private folder in memory (made on first use, mode 0700,
        removed with the server)."""
        if self._spool is None:
            self._spool = tempfile.mkdtemp(prefix="xlfactor-serve-", dir=SPOOL_ROOT)
            weakref.finalize(self, shutil.rmtree, self._spool, True)
        fd, path = tempfile.mkstemp(dir=self._spool)
        return open(fd, "wb"), path  # closed by ``call`` when the body is complete

    def warm(self) -> None:
        """Start the worker processes now, and wait until they are warm (``_warm``; the server answers only then),
        rather than on the first large call."""
        if self.workers is not None:
            self.workers.warm()

    def close(self) -> None:
        """Stop the worker processes and remove the folder of large bodies (the server is shutting down)."""
        if self.workers is not None:
            self.workers.close()
        if self._spool is not None:
            shutil.rmtree(self._spool, ignore_errors=True)
            self._spool = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":

            async def shutting_down():
                message = await receive()
                if message["type"] == "lifespan.shutdown":
                    self.close()
                return message

            return await self.app(scope, shutting_down, send)
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        hosts = [v for k, v in scope.get("headers") or [] if k.lower() == b"host"]
        if len(hosts) > 1 or _host_of(scope) not in self.allowed_hosts:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            if len(hosts) > 1:
                return await _plain(send, 400, "the request has more than one Host header.")
            return await _plain(
                send,
                400,
                f"host '{_host_of(scope)}' is not served here; use {' or '.join(sorted(self.allowed_hosts))}.",
            )
        raw = scope.get("raw_path") or scope["path"].encode()
        if ".." in scope["path"].split("/") or b"%2e%2e" in raw.lower() or b"/../" in raw or raw.endswith(b"/.."):
            return await _plain(send, 404, "not found")
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(CALL_PATH):
            return await self.app(scope, receive, send)
        return await self.call(scope, receive, send)

    async def call(self, scope, receive, send):
        refused = await authenticate(scope)
        if refused:
            return await _plain(send, *refused)
        chunks: list[bytes] = []
        size, digest, spool, path = 0, memo.hasher(), None, None
        taken: list[concurrent.futures.Future] = []  # the chunks of a large body, hashed and spooled in order
        try:
            while True:  # a small body's chunks hashed here; a large body's in the spooler thread as they arrive
                message = await receive()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_bytes:
                    return await _plain(
                        send,
                        413,
                        f"the request is larger than {self.max_bytes / 2**20:g} MB; select "
                        "smaller ranges (or raise XLFACTOR_MAX_REQUEST_MB on the server).",
                    )
                if size <= self.large_bytes:
                    digest.update(chunk)
                    chunks.append(chunk)
                else:
                    if not taken and self.spooling:  # just became large: the chunks so far (hashed) to memory too
                        spool, path = self.spool_file()
                        taken.append(self.spooler.submit(_take, None, spool, chunks))
                        chunks = []
                    taken.append(self.spooler.submit(_take, digest, spool, [chunk]))
                    if spool is None:
                        chunks.append(chunk)
                if not message.get("more_body"):
                    break
            if taken:
                await asyncio.wrap_future(taken[-1])  # one thread, in order: every chunk is taken by now
                for done in taken:
                    done.result()  # an error writing to memory (full?) raised here
            if spool is not None:
                spool.close()
            return await self.reply(send, digest.digest(), size > self.large_bytes, b"".join(chunks), path)
        except OSError:  # the memory file system full (or gone): the server's condition, not a bad call
            logger.exception("keeping a large request in %s", SPOOL_ROOT)
            return await _plain(send, 503, f"the server has no room left in {SPOOL_ROOT}; select smaller ranges.")
        finally:
            if spool is not None:
                spool.close()
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)  # type: ignore[arg-type]  # read by now, or never to be (an error, a repeat)

    async def reply(self, send, key: bytes, large: bool, body: bytes, path: str | None) -> None:
        """Answer a call whose body is ``body`` (or the file ``path``) with the hash ``key``: from the cache of
        answers, or computed in a thread (small) or a worker process (large)."""
        cached = self.answers.get(key)
        if cached is not None:
            return await _plain(send, 200, cached, JSON)
        job = functools.partial(answer_spooled, path) if path is not None else functools.partial(answer, body)
        try:
            if large and self.workers is not None:
                status, content, kind = await self.workers.run(job)
            else:
                status, content, kind = await asyncio.get_running_loop().run_in_executor(self.threads, job)
        except concurrent.futures.process.BrokenProcessPool:  # a worker died (out of memory): started afresh
            return await _plain(send, 503, "the server's worker stopped (out of memory?); select smaller ranges.")
        if status == 200:
            self.answers.put(key, content)
        return await _plain(send, status, content, kind)


def create_app():
    """xlwings Server's app (reads the settings from the environment) behind the guard."""
    from xlwings_server.main import main_app

    # glibc by default maps each block above 128-256 KiB afresh and gives freed memory back at once: reading a
    # 12.7 MB body in uvicorn's 256 KB pieces then faulted in and zeroed new pages for every piece (a bare uvicorn
    # app: event loop CPU 21 ms for the body, 4.5 ms with memory kept for reuse; this server's loop 16 -> 11 ms;
    # 7 Dec 2026). Not in the worker processes: there the decode and the compute were 5-10% slower with it.
    roomy_malloc()
    hosts = os.environ.get("XLFACTOR_ALLOWED_HOSTS", ",".join(LOOPBACK_HOSTS)).split(",")
    guard = Guard(main_app, allowed_hosts=hosts)
    if os.environ.get("XLFACTOR_WARM_WORKERS") == "1":
        guard.warm()
    return guard
