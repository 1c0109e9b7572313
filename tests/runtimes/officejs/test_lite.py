"""`xlfactor lite`: the two files it writes are all xlwings Lite needs.

A fresh interpreter with xlwings' Office.js code path (as in Lite) imports the written main.py with every
installed copy of xlfactor blocked; every function must register, answer the same as here, and import
nothing beyond what requirements.txt names.
"""

import ast
import json
import subprocess
import sys

import numpy as np
import pytest

from tests.excel import cases
from tests.runtimes.officejs.test_officejs import call, payload
from xlfactor.excel import runtimes, udfs

RUNNER = r"""
import importlib.abc, json, sys

class BlockInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "xlfactor" or name.startswith("xlfactor."):
            raise ImportError(f"{name}: not in main.py's bundle; an installed xlfactor must not be needed")
        return None

sys.meta_path.insert(0, BlockInstalled())
sys.path.insert(0, ".")
import asyncio
import xlwings
from xlwings.server import custom_functions_call, custom_functions_meta
import main
meta = [f["name"] for f in custom_functions_meta(main)["functions"]]
results = []
for body in json.load(sys.stdin):
    try:
        results.append(asyncio.run(custom_functions_call(body, main)))
    except Exception as exc:
        results.append(f"{type(exc).__name__}: {exc}")
print(json.dumps({"meta": meta, "results": results,
                  "origin": sys.modules["xlfactor.excel.udfs"].__spec__.origin}))
"""


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lite")
    runtimes.write_lite_files(folder)
    bodies = [payload(c.func, c.args) for c in cases.build_cases()] + [payload("capm_beta", [[["x"]], [[0.1]]])]
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER],
        cwd=folder,
        input=json.dumps(bodies),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return folder, json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_function_registers_from_the_written_files_alone(lite):
    _, out = lite
    assert sorted(out["meta"]) == sorted(n.upper() for n in udfs.__all__)
    assert out["origin"] == "main.py:xlfactor.excel.udfs"  # served from main.py, not from an installed package


def test_functions_answer_as_the_installed_package_does(lite):
    _, out = lite
    for case, got in zip(cases.build_cases(), out["results"], strict=False):  # results end with one extra call
        np.testing.assert_allclose(
            cases.as_array(got), cases.as_array(call(case.func, case.args)), rtol=1e-12, err_msg=case.func
        )
    assert out["results"][-1].startswith("ExcelInputError: CAPM_BETA: returns row 1, column 1 is text 'x'")


LITE_NEVER = {"dask"}  # engine="dask" (a cluster): the Excel functions never choose it, so Lite never imports it


def test_requirements_name_what_the_functions_import_and_pyodide_has(lite):
    folder, _ = lite
    names = [
        ln.strip()
        for ln in (folder / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert names == ["xlwings", "numpy", "scipy"]  # all in Pyodide's distribution or pure Python on PyPI
    # every import statement of the bundled code names the standard library, xlfactor, or a requirement
    namespace = {}
    exec((folder / "main.py").read_text().split("\nclass _Bundle")[0], namespace)
    for module, source in namespace["SOURCES"].items():
        tree = ast.parse(source)
        optional = {
            id(n)
            for t in ast.walk(tree)
            if isinstance(t, ast.Try)  # try: import x / except ImportError
            and any(isinstance(h.type, ast.Name) and h.type.id == "ImportError" for h in t.handlers)
            for n in ast.walk(ast.Module(body=t.body, type_ignores=[]))
        }
        lazy = {
            id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(f)
        }  # imported inside a function: only when that function runs
        for node in ast.walk(tree):
            if id(node) in optional:
                continue
            tops = (
                [a.name.split(".")[0] for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module.split(".")[0]]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            for top in tops:
                if id(node) in lazy and top in LITE_NEVER:
                    continue
                assert top in sys.stdlib_module_names or top in names or top in ("xlfactor", "pythoncom", "win32com"), (
                    f"{module} imports {top}, which requirements.txt does not name"
                )


def test_bundle_is_derived_from_what_the_functions_import():
    """The modules main.py carries are found by walking udfs' imports: all that importing udfs loads, no more
    than the Excel layer, the core and the errors (no frames, workbook, CLI or server)."""
    probe = (
        "import sys, types, importlib.util; "  # a stub package xlfactor, as main.py's
        "stub = types.ModuleType('xlfactor'); "
        "stub.__path__ = list(importlib.util.find_spec('xlfactor').submodule_search_locations); "
        "sys.modules['xlfactor'] = stub; import xlfactor.excel.udfs; "
        "print(sorted(m for m in sys.modules if m.startswith('xlfactor.')))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    loaded = set(ast.literal_eval(proc.stdout.strip().splitlines()[-1]))
    bundle = runtimes.lite_bundle()
    assert loaded <= set(bundle), loaded - set(bundle)
    assert {"xlfactor.excel.memo", "xlfactor.excel.decorate", "xlfactor.core.options"} <= set(bundle)
    assert all(m.split(".")[1] in ("core", "excel", "errors") for m in bundle), sorted(bundle)
    assert not {"xlfactor.excel.server", "xlfactor.excel.runtimes"} & set(bundle)
