"""`xlfactor serve`: the real xlwings Server app with xlfactor's project folder, called in-process over ASGI."""

import asyncio

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
    from xlwings_server.main import main_app  # reads the settings and the project at import

    yield main_app
    mp.undo()


def request(app, method, path, **kw):
    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            return await client.request(method, path, **kw)

    return asyncio.run(go())


def body(name, args):
    return {"client": "Office.js", "func_name": name, "args": args, "caller_address": "[Book1]Sheet1!B2",
            "version": xw.__version__, "runtime": "1.4"}


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
    bad = request(app, "POST", "/xlwings/custom-functions-call",
                  json=body("capm_beta", [[["x"]] + r[1:], m, None, None, None]))
    assert bad.status_code == 400  # shown to the user, not retried
    assert "CAPM_BETA: returns row 1, column 1 is text 'x'" in bad.text
    error_cell = request(app, "POST", "/xlwings/custom-functions-call",
                         json=body("capm_beta", [r, m[:3] + [[OFFICE_ERROR]] + m[4:], None, None, None]))
    assert error_cell.status_code == 400
    assert "CAPM_BETA: market row 4, column 1 is an error value (#N/A)" in error_cell.text


def test_functions_code_lets_excel_cache_unchanged_calls(app):
    code = request(app, "GET", "/xlwings/custom-functions-code").text
    assert 'funcName:"cv_lambda"' in code.replace(" ", "") and "isCached:true" in code.replace(" ", "")


def test_manifest_has_no_namespace(app):
    manifest = request(app, "GET", "/manifest")
    assert manifest.status_code == 200
    assert "<Namespace" not in manifest.text


def test_serve_prints_how_to_connect(tmp_path, capsys):
    message = runtimes.serve(tmp_path / "proj", port=8123, run=False)
    assert "http://127.0.0.1:8123/manifest" in message and "PolyForm Noncommercial" in message
    assert (tmp_path / "proj" / "custom_functions" / "__init__.py").read_text() == runtimes.FUNCTIONS_INIT
