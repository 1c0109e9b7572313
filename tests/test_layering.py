"""The dependency direction of DESIGN.md: core imports neither pandas nor xlwings; the package root never imports xlwings."""

import ast
import pathlib
import subprocess
import sys

import xlfactor

PKG = pathlib.Path(xlfactor.__file__).parent


def _imported_roots(path: pathlib.Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_only_numeric_libraries():
    allowed = {"numpy", "scipy", "sklearn", "statsmodels", "threadpoolctl"}  # threadpoolctl: scikit-learn's own
    optional = {"engines.py": {"dask"}}  # the xlfactor[dask] extra, imported only when engine="dask" is asked for
    paths = sorted((PKG / "core").rglob("*.py"))
    assert PKG / "core" / "penalized" / "linalg.py" in paths  # the walk reaches the subpackages
    for path in paths:
        name = path.relative_to(PKG / "core").as_posix()
        extra = _imported_roots(path) - allowed - optional.get(name, set()) - set(sys.stdlib_module_names)
        assert not extra, f"{name} imports {extra}"


def test_only_excel_package_imports_xlwings():
    for path in PKG.rglob("*.py"):
        if "excel" in path.relative_to(PKG).parts:
            continue
        assert "xlwings" not in _imported_roots(path), path


def test_package_root_does_not_load_xlwings():
    code = "import sys, xlfactor; print('xlwings' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
