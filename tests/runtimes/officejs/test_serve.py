"""`xlfactor serve`: the real xlwings Server app with xlfactor's project folder, called in-process over ASGI."""

import asyncio
import json
import re

import httpx
import pytest
import xlwings as xw

from tests.excel.fuzz import OFFICE_ERROR
from xlfactor.excel import runtimes


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = runtimes.write_server_project(tmp_path_factory.mktemp("server"))
    mp = pytest.MonkeyPatch()
    for key, value in runtimes.server_settings().items():
        mp.setenv(key, value)
    mp.setenv("XLWINGS_PROJECT_DIR", str(folder))
    from xlfactor.excel import server  # xlwings Server's app reads the settings and the project at import

    yield server.create_app()
    mp.undo()


def request(app, method, path, **kw):
    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            return await client.request(method, path, **kw)

    return asyncio.run(go())


def body(name, args):
    return {
        "client": "Office.js",
        "func_name": name,
        "args": args,
        "caller_address": "[Book1]Sheet1!B2",
        "version": xw.__version__,
        "runtime": "1.4",
    }


R6 = [[0.01], [0.03], [0.0], [0.02], [-0.01], [0.04]]
M6 = [[0.011], [0.02], [0.004], [0.015], [-0.012], [0.03]]
CALL = body("capm_beta", [R6, M6, None, None, None])


def test_meta_endpoint_lists_xlfactor_functions(app):
    meta = request(app, "GET", "/xlwings/custom-functions-meta").json()
    names = {f["name"] for f in meta["functions"]}
    assert {"CAPM_BETA", "FACTOR_R2", "RIDGE_LOADINGS", "LASSO_LOADINGS", "CV_LAMBDA", "RISK_ALLOC"} <= names
    assert not any(n.startswith(("HELLO", "XLWINGS")) for n in names)  # no example functions


def test_call_endpoint_and_user_errors(app):
    r = [[0.01], [0.03], [None], [0.02], [-0.01], [0.04]]
    m = [[0.011], [0.02], [0.004], [None], [-0.012], [0.03]]
    ok = request(app, "POST", "/xlwings/custom-functions-call", json=body("capm_beta", [r, m, None, None, None]))
    assert ok.status_code == 200
    beta = ok.json()["result"][0][0]
    assert 0.5 < beta < 2
    bad = request(
        app, "POST", "/xlwings/custom-functions-call", json=body("capm_beta", [[["x"]] + r[1:], m, None, None, None])
    )
    assert bad.status_code == 400  # shown to the user, not retried
    assert "CAPM_BETA: returns row 1, column 1 is text 'x'" in bad.text
    error_cell = request(
        app,
        "POST",
        "/xlwings/custom-functions-call",
        json=body("capm_beta", [r, m[:3] + [[OFFICE_ERROR]] + m[4:], None, None, None]),
    )
    assert error_cell.status_code == 400
    assert "CAPM_BETA: market row 4, column 1 is an error value (#N/A)" in error_cell.text


def test_functions_code_lets_excel_cache_unchanged_calls(app):
    code = request(app, "GET", "/xlwings/custom-functions-code").text
    assert 'funcName:"cv_lambda"' in code.replace(" ", "") and "isCached:true" in code.replace(" ", "")


def test_manifest_has_no_namespace(app):
    manifest = request(app, "GET", "/manifest")
    assert manifest.status_code == 200
    assert "<Namespace" not in manifest.text


def test_manifest_reads_as_excel_reads_it(app):
    """xlfactor's own identity, every resource it points at defined, elements in the schema's order, no dead button."""
    import uuid
    import xml.etree.ElementTree as ET

    text = request(app, "GET", "/manifest").text
    root = ET.fromstring(text.encode())
    ns = {
        "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
        "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
        "v": "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
    }
    assert str(uuid.UUID(root.find("o:Id", ns).text)) == runtimes.MANIFEST_ID != "4f342d85-3a49-41cb-90a5-37b1f2219040"
    assert root.find("o:ProviderName", ns).text == "xlfactor"
    assert root.find("o:DisplayName", ns).get("DefaultValue") == "xlfactor"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", root.find("o:Version", ns).text)
    order = [
        "Id",
        "Version",
        "ProviderName",
        "DefaultLocale",
        "DisplayName",
        "Description",
        "IconUrl",
        "HighResolutionIconUrl",
        "SupportUrl",
        "AppDomains",
        "Hosts",
        "Requirements",
        "DefaultSettings",
        "Permissions",
        "VersionOverrides",
    ]
    assert [child.tag.split("}")[1] for child in root] == order
    defined = {e.get("id"): e for e in root.iter() if e.tag.split("}")[1] in ("Url", "String", "Image") and e.get("id")}
    used = {e.get("resid") for e in root.iter() if e.get("resid")}
    assert used <= set(defined), used - set(defined)
    for e in root.iterfind(".//bt:ShortStrings/bt:String", ns):
        assert len(e.get("DefaultValue")) <= 125
    for e in root.iterfind(".//bt:LongStrings/bt:String", ns):
        assert len(e.get("DefaultValue")) <= 250
    assert len(root.find("o:Description", ns).get("DefaultValue")) <= 250
    actions = [e.get("{http://www.w3.org/2001/XMLSchema-instance}type") for e in root.iterfind(".//v:Action", ns)]
    assert actions == ["ShowTaskpane"]  # no ExecuteFunction button calling a function that does not exist
    assert not re.search(r"MyGroup|Hello|xlwings Server", re.sub(r"<!--.*?-->", "", text, flags=re.S))
    for e in root.iter():
        url = e.get("DefaultValue", "")
        if url.startswith("http"):
            assert url.startswith("http://127.0.0.1:8000"), url  # everything from this server, nothing from elsewhere
    pane = request(app, "GET", "/taskpane.html")
    assert pane.status_code == 200 and "CAPM_BETA" in pane.text and "custom-functions-code" in pane.text


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        (b"{not json", 400, "the request body is not JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        (
            json.dumps({k: v for k, v in CALL.items() if k != "func_name"}).encode(),
            400,
            "the request lacks 'func_name'",
        ),
        (
            json.dumps({"func_name": "no_such_function", "args": []}).encode(),
            400,
            "unknown function 'no_such_function'",
        ),
        (
            json.dumps({"func_name": "excel_errors", "args": []}).encode(),
            400,
            "unknown function",
        ),  # not a function of ours
        (
            json.dumps({"func_name": "capm_beta", "args": "x", "version": "1", "client": "Office.js"}).encode(),
            400,
            "CAPM_BETA: args must be a list of at most 7",
        ),
        (
            json.dumps({"func_name": "capm_beta", "args": [[1, 2]], "version": "1", "client": "Office.js"}).encode(),
            400,
            "CAPM_BETA: argument 1 must be null or a list of rows",
        ),
        (json.dumps({"func_name": "capm_beta", "args": [None, None]}).encode(), 400, "the request lacks 'version'"),
        # 23.6: each of these was an HTTP 500 (and a reset connection) from xlwings Server
        (b'{"func_name": "capm_beta", "args": [[["\xff\xfe"]]]}', 400, "the request body is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "the request body"),
        (json.dumps({**CALL, "func_name": "CAPM_BETA"}).encode(), 200, '"result"'),
        (
            json.dumps({**CALL, "args": [[[1]], [[2]]]}).encode().replace(b"[[1]]", b"[[" + b"1" * 401 + b"]]"),
            400,
            "CAPM_BETA: returns row 1, column 1 is a number too large for Excel",
        ),
        (json.dumps({k: v for k, v in CALL.items() if k != "runtime"}).encode(), 400, "the request lacks 'runtime'"),
        (json.dumps({**CALL, "date_format": 5}).encode(), 400, "'date_format' must be a string or null; got int"),
        (
            json.dumps({**CALL, "args": [[[0.01], [0.02]]]}).encode(),
            400,
            "CAPM_BETA: 1 arguments given; it needs at least 2",
        ),
    ],
)
def test_malformed_calls_get_4xx_with_a_reason(app, payload, status, message):
    answer = request(
        app, "POST", "/xlwings/custom-functions-call", content=payload, headers={"content-type": "application/json"}
    )
    assert answer.status_code == status and message in answer.text


def test_oversized_requests_are_refused(app):
    from xlfactor.excel.server import Guard

    small = Guard(app.app, max_body_mb=0.001)
    r = [[0.01]] * 200
    answer = request(small, "POST", "/xlwings/custom-functions-call", json=body("capm_beta", [r, r, None, None, None]))
    assert answer.status_code == 413 and "larger than" in answer.text


def test_serve_prints_how_to_connect(tmp_path, capsys):
    message = runtimes.serve(tmp_path / "proj", port=8123, run=False)
    assert "http://127.0.0.1:8123/manifest" in message and "PolyForm Noncommercial" in message
    assert (tmp_path / "proj" / "custom_functions" / "__init__.py").read_text() == runtimes.FUNCTIONS_INIT


def test_only_loopback_host_names_are_served(app):
    ok = request(app, "GET", "/manifest", headers={"host": "localhost:8000"})
    assert ok.status_code == 200
    rebound = request(app, "GET", "/manifest", headers={"host": "attacker.example:8000"})
    assert rebound.status_code == 400 and "host 'attacker.example' is not served here" in rebound.text
    call = request(
        app,
        "POST",
        "/xlwings/custom-functions-call",
        headers={"host": "attacker.example"},
        json=body("capm_beta", [[[0.01]], [[0.02]], None, None, None]),
    )
    assert call.status_code == 400


@pytest.mark.parametrize(
    "raw",
    [b"/static/../config.py", b"/static/%2e%2e/custom_functions/__init__.py", b"/static/..%2Fconfig.py", b"/static/.."],
)
def test_paths_leaving_a_folder_are_refused(raw):
    from xlfactor.excel.server import Guard

    reached = []

    async def inner(scope, receive, send):
        reached.append(scope["path"])

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    path = raw.decode().replace("%2e", ".").replace("%2F", "/")
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": raw, "headers": [(b"host", b"127.0.0.1:8000")]}
    asyncio.run(Guard(inner)(scope, receive, send))
    assert not reached and sent[0]["status"] == 404


def test_project_has_no_static_folder(tmp_path):
    folder = runtimes.write_server_project(tmp_path / "p")
    assert not (folder / "static").exists()  # xlwings Server serves a project static/ folder; we never make one


def test_excel_data_type_cells_are_read_as_their_value(app):
    """Cells holding Excel data types arrive as {"type": "Double", "basicValue": ...}: unwrapped as xlwings does."""
    url = "/xlwings/custom-functions-call"
    plain = request(app, "POST", url, json=CALL).json()["result"]
    typed = [[{"type": "Double", "basicValue": r[0]}] for r in R6]
    formatted = [[{"type": "FormattedNumber", "basicValue": m[0], "numberFormat": "0.0%"}] for m in M6]
    answer = request(
        app,
        "POST",
        url,
        json=body(
            "capm_beta",
            [
                typed,
                formatted,
                [[{"type": "Double", "basicValue": 0}]],
                [[{"type": "Boolean", "basicValue": False}]],
                None,
            ],
        ),
    )
    assert answer.status_code == 200 and answer.json()["result"] == plain
    error = [[{"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}]] + R6[1:]
    refused = request(app, "POST", url, json=body("capm_beta", [error, M6, None, None, None]))
    assert refused.status_code == 400 and "returns row 1, column 1 is an error value (#N/A)" in refused.text


def test_two_host_headers_are_a_400(app):
    from xlfactor.excel.server import Guard

    sent = []

    async def send(message):
        sent.append(message)

    async def inner(scope, receive, send):
        raise AssertionError("reached xlwings Server")

    headers = [(b"host", b"127.0.0.1:8000"), (b"host", b"localhost:8000")]  # each allowed alone
    scope = {"type": "http", "method": "GET", "path": "/manifest", "raw_path": b"/manifest", "headers": headers}
    asyncio.run(Guard(inner)(scope, None, send))
    assert sent[0]["status"] == 400 and b"more than one Host header" in sent[1]["body"]


def test_a_byte_identical_repeat_is_answered_without_decoding_again(app, monkeypatch):
    from xlfactor.excel import server

    app.answers.items.clear()
    payload = json.dumps(body("factor_r2", [R6, M6, None, None])).encode()
    first = request(app, "POST", "/xlwings/custom-functions-call", content=payload)
    decoded = []
    monkeypatch.setattr(server, "_decode", lambda b, fast=True: decoded.append(b) or json.loads(b))
    again = request(app, "POST", "/xlwings/custom-functions-call", content=payload)
    assert first.status_code == again.status_code == 200 and again.content == first.content and not decoded
    changed = request(app, "POST", "/xlwings/custom-functions-call", content=payload.replace(b"0.04", b"0.05"))
    assert changed.status_code == 200 and len(decoded) == 1 and changed.content != first.content


def test_placeholder_custom_auth_is_never_accepted(app, monkeypatch, tmp_path):
    """xlwings Server's placeholder custom provider accepts the fixed token 'test-token': refused outright."""
    from xlwings_server.config import settings

    monkeypatch.setattr(settings, "auth_providers", ["custom"])
    answer = request(app, "POST", "/xlwings/custom-functions-call", json=CALL, headers={"Authorization": "test-token"})
    assert answer.status_code == 401 and "placeholder would accept anyone" in answer.text
    monkeypatch.setenv("XLWINGS_AUTH_PROVIDERS", '["custom"]')
    with pytest.raises(runtimes.XLFactorError, match="placeholder would accept anyone"):
        runtimes.serve(tmp_path / "p", host="0.0.0.0", run=False)
    with pytest.raises(runtimes.XLFactorError, match="placeholder would accept anyone"):
        runtimes.serve(tmp_path / "p", host="127.0.0.1", run=False)


def test_a_custom_provider_the_user_wrote_is_used(app, monkeypatch, tmp_path):
    from xlwings_server.config import settings

    monkeypatch.setattr(settings, "auth_providers", ["custom"])
    own = settings.project_dir / "auth" / "custom" / "__init__.py"
    own.parent.mkdir(parents=True)
    own.write_text(runtimes.CUSTOM_AUTH_EXAMPLE)
    monkeypatch.setenv("XLFACTOR_TOKENS", "s3cret-token-of-the-team")
    try:
        ok = request(
            app,
            "POST",
            "/xlwings/custom-functions-call",
            json=CALL,
            headers={"Authorization": "s3cret-token-of-the-team"},
        )
        wrong = request(
            app, "POST", "/xlwings/custom-functions-call", json=CALL, headers={"Authorization": "test-token"}
        )
        assert ok.status_code == 200 and wrong.status_code == 401
        monkeypatch.setenv("XLWINGS_AUTH_PROVIDERS", '["custom"]')
        assert "0.0.0.0" in runtimes.serve(settings.project_dir, host="0.0.0.0", run=False, force=True)
    finally:
        own.unlink()


def test_non_loopback_needs_a_real_provider(monkeypatch, tmp_path):
    monkeypatch.delenv("XLWINGS_AUTH_PROVIDERS", raising=False)
    with pytest.raises(runtimes.XLFactorError, match="no auth provider is configured"):
        runtimes.serve(tmp_path / "p", host="0.0.0.0", run=False)
    monkeypatch.setenv("XLWINGS_AUTH_PROVIDERS", '["entraid"]')
    assert "0.0.0.0" in runtimes.serve(tmp_path / "p", host="0.0.0.0", run=False)
    monkeypatch.setenv("XLWINGS_AUTH_PROVIDERS", '["nobody"]')
    with pytest.raises(runtimes.XLFactorError, match="names nobody"):
        runtimes.serve(tmp_path / "p", host="0.0.0.0", run=False)


def _chunked(guard, payload: bytes, size: int) -> tuple[int, bytes]:
    """(status, body) of a call whose body arrives in chunks of ``size`` bytes, as uvicorn hands a large one over."""
    parts = [payload[i : i + size] for i in range(0, len(payload), size)]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    path = "/xlwings/custom-functions-call"
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json")]
    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "headers": headers}
    asyncio.run(guard(scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


def test_a_large_body_reaches_its_worker_through_memory_and_answers_alike(app):
    """A large body is written chunk by chunk to a file in memory (/dev/shm) and answered from there: the same
    answer as in-process, a malformed one still a 400, and no file left behind either way."""
    import numpy as np

    from xlfactor.excel import server
    from xlfactor.excel.server import Guard

    spooled = Guard(app.app, large_body_kb=1, large_workers=0)  # every body over 1 KB spooled, answered in a thread
    if not spooled.spooling:
        pytest.skip("no memory file system (/dev/shm) here")
    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.04, (120, 3)).round(6)
    y = (x @ rng.normal(0.5, 0.5, (3, 40)) + rng.normal(0, 0.05, (120, 40))).round(6)
    payload = json.dumps(body("cv_lambda", [y.tolist(), x.tolist()])).encode()
    url = "/xlwings/custom-functions-call"
    answer = request(spooled, "POST", url, content=payload)
    assert answer.status_code == 200 and spooled._spool is not None
    assert answer.content == server.answer(payload)[1]  # the numbers computed in-process from the same bytes
    ridge = json.dumps(body("cv_lambda", [y.tolist(), x.tolist(), [["ridge"]]])).encode()  # differs at the end only
    assert ridge[:1024] == payload[:1024]
    other = request(spooled, "POST", url, content=ridge)  # hashed to its last byte: not the lasso call's answer
    assert other.status_code == 200 and other.content == server.answer(ridge)[1] != answer.content
    spooled.answers.items.clear()
    assert _chunked(spooled, payload.replace(b"[[", b"[ [", 1), 997) == (200, answer.content)  # in 997-byte chunks
    bad = request(spooled, "POST", url, content=payload.replace(b'"args"', b'"argz"', 1))
    assert bad.status_code == 400 and "args must be a list" in bad.text
    truncated = request(spooled, "POST", url, content=payload[:-10])
    assert truncated.status_code == 400 and "not JSON" in truncated.text
    import os

    assert os.listdir(spooled._spool) == []  # each file removed once read (or refused)
    folder = spooled._spool
    spooled.close()
    assert not os.path.exists(folder)


def test_no_room_in_memory_for_a_large_body_is_a_503(app, monkeypatch):
    from xlfactor.excel import server

    spooled = server.Guard(app.app, large_body_kb=0.1, large_workers=0)
    if not spooled.spooling:
        pytest.skip("no memory file system (/dev/shm) here")

    def full(digest, spool, chunks):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(server, "_take", full)
    answer = request(spooled, "POST", "/xlwings/custom-functions-call", json=body("capm_beta", [R6 * 20, M6 * 20]))
    assert answer.status_code == 503 and "no room left" in answer.text
    assert __import__("os").listdir(spooled._spool) == []
    spooled.close()


def test_worker_processes_start_warm():
    """Each worker process computes one small CV_LAMBDA as it starts (imports, BLAS's thread controls), not the
    first large call."""
    from xlfactor.excel import memo, server

    assert server._warm() is True
    assert all(cached.cache_size() == 0 for cached in memo.CACHED)  # and leaves no result behind


def test_the_server_keeps_freed_memory_for_reuse_its_workers_do_not(app, monkeypatch):
    """glibc's thresholds raised (engines.roomy_malloc) in the server process: with glibc's defaults, reading a
    12.7 MB body in uvicorn's 256 KB pieces faulted in fresh pages for every piece. Not in the worker processes
    (their decode and compute were 5-10% slower with it)."""
    import os
    import platform

    from xlfactor.core import engines
    from xlfactor.excel import server

    raised: list[str] = []
    monkeypatch.setattr(server, "roomy_malloc", lambda: raised.append("raised") or True)
    monkeypatch.setattr(server, "_warm", lambda: True)
    server.create_app().close()
    assert raised == ["raised"]
    server._worker_start(os.getppid(), 0)  # as in a worker (its parent watch thread waits on, a daemon)
    assert raised == ["raised"]
    assert engines.roomy_malloc() is (platform.libc_ver()[0] == "glibc")
