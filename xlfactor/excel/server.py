"""The web app `xlfactor serve` runs: xlwings Server's app behind a thin guard.

xlwings Server answers a call of an unknown function, or a body that is not the JSON its client
sends, with HTTP 500, which Excel's client retries three times and then shows as "An error
occurred.". The guard answers those with 4xx and one line saying what is wrong, and only lets
xlfactor's own functions be called (xlwings looks the name up with ``getattr`` on the module).

Import this module only with xlwings Server's settings in the environment (``runtimes.server_settings``):
``create_app`` imports ``xlwings_server.main``, which reads them.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os

from . import udfs

CALL_PATH = "/xlwings/custom-functions-call"
MAX_BODY_MB = float(os.environ.get("XLFACTOR_MAX_REQUEST_MB", "256"))  # 2,520 x 500 cells are about 25 MB


def _params(name: str) -> int:
    return len(getattr(udfs, name).__xlfunc__["args"])


def call_problem(body: bytes) -> str | None:
    """Why a custom-functions-call body cannot be served, in one line; None when it can."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"the request body is not JSON ({exc.msg}); Excel's xlwings client sends JSON."
    if not isinstance(data, dict):
        return "the request body must be a JSON object with func_name and args."
    name = data.get("func_name")
    if not isinstance(name, str) or name.lower() not in udfs.__all__:
        shown = repr(name)[:60]
        return (f"unknown function {shown}; this server has xlfactor's functions "
                f"({', '.join(n.upper() for n in udfs.__all__)}). Reload the add-in if you renamed one.")
    args = data.get("args")
    if not isinstance(args, list) or len(args) > _params(name.lower()):
        return f"{name.upper()}: args must be a list of at most {_params(name.lower())} arguments."
    for k, arg in enumerate(args):
        if arg is not None and not (isinstance(arg, list) and all(isinstance(r, list) for r in arg)):
            return f"{name.upper()}: argument {k + 1} must be null or a list of rows (a 2-D range)."
    for key in ("version", "client"):
        if not isinstance(data.get(key), str):
            return f"the request lacks '{key}'; Excel's xlwings client sends it."
    data["func_name"] = name.lower()
    return None


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _host_of(scope) -> str:
    """The Host header without its port ('[::1]:8000' -> '::1')."""
    raw = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").strip().lower()
    if raw.startswith("["):
        return raw[1:].split("]")[0]
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


class Guard:
    """ASGI middleware in front of xlwings Server.

    - Host: only the names this server is meant to be reached by (loopback by default), so a web page
      cannot reach it through DNS rebinding;
    - paths with a '..' segment: refused (xlwings Server's static files must stay in their folder);
    - custom-function calls: checked (``call_problem``) and bounded in size before xlwings Server sees them.
    """

    def __init__(self, app, max_body_mb: float = MAX_BODY_MB, allowed_hosts=LOOPBACK_HOSTS):
        self.app, self.max_bytes = app, int(max_body_mb * 2**20)
        self.allowed_hosts = {h.strip().lower().strip("[]") for h in allowed_hosts if h.strip()}

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if _host_of(scope) not in self.allowed_hosts:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await _plain(send, 400, f"host '{_host_of(scope)}' is not served here; use "
                                           f"{' or '.join(sorted(self.allowed_hosts))}.")
        raw = scope.get("raw_path") or scope["path"].encode()
        if ".." in scope["path"].split("/") or b"%2e%2e" in raw.lower() or b"/../" in raw or raw.endswith(b"/.."):
            return await _plain(send, 404, "not found")
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(CALL_PATH):
            return await self.app(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await _plain(send, 413, f"the request is larger than {self.max_bytes / 2**20:g} MB; select "
                                                "smaller ranges (or raise XLFACTOR_MAX_REQUEST_MB on the server).")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        problem = call_problem(body)
        if problem:
            return await _plain(send, 400, problem)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


def threaded(func):
    """``func`` as a coroutine computing in a worker thread: xlwings Server runs plain functions on its
    event loop, where one slow call would hold every other user's calls until it finishes."""

    @functools.wraps(func)  # keeps the signature and __xlfunc__ that xlwings reads
    async def run(*args):
        return await asyncio.to_thread(func, *args)

    return run


def threaded_functions() -> dict:
    """xlfactor's Excel functions for xlwings Server's ``custom_functions`` package, each off the event loop."""
    return {name: threaded(getattr(udfs, name)) for name in udfs.__all__}


def create_app():
    """xlwings Server's app (reads the settings from the environment) behind the guard."""
    from xlwings_server.main import main_app

    hosts = os.environ.get("XLFACTOR_ALLOWED_HOSTS", ",".join(LOOPBACK_HOSTS)).split(",")
    return Guard(main_app, allowed_hosts=hosts)
