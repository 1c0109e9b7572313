"""The dependency direction of docs/architecture.md (section 3): no import runs up the layers; core imports neither pandas
nor xlwings; the package root never imports xlwings."""

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


# The layers of docs/architecture.md, lowest first: a module may import its own layer and the layers below.
LAYERS = {
    "errors": 0,
    "_files": 0,
    "core": 0,
    "frames": 1,
    "labels": 1,
    "data": 1,
    "estimators": 1,
    "plot": 1,
    "interop": 1,
    "__init__": 1,  # the package root is the pandas-and-numpy public API
    "_api": 1,  # its imports, loaded on first use of a name of the root
    "excel": 2,
    "workbook": 3,
    "cli": 4,
    "cli_options": 4,
    "cli_data": 4,
}


def _layer(parts: tuple[str, ...]) -> int:
    """The layer of a module given by its path inside the package (("core", "risk.py"), ("cli",), ...)."""
    return LAYERS[parts[0].removesuffix(".py")] if parts else LAYERS["__init__"]


def _internal_imports(path: pathlib.Path) -> set[tuple[str, ...]]:
    """The xlfactor modules ``path`` imports, each as its parts below the package (() for the root)."""
    package = path.relative_to(PKG).parts[:-1]  # the package a relative import starts from
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            out.add((*base, *node.module.split(".")) if node.module else base)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "xlfactor":
            out.add(tuple(node.module.split(".")[1:]))
        elif isinstance(node, ast.Import):
            out |= {tuple(a.name.split(".")[1:]) for a in node.names if a.name.split(".")[0] == "xlfactor"}
    return out


def test_no_import_runs_up_the_layers():
    """cli -> workbook -> excel -> frames, data, root -> core, errors: never the other way."""
    wrong = []
    for path in PKG.rglob("*.py"):
        parts = path.relative_to(PKG).parts
        mine = _layer(parts if parts != ("__init__.py",) else ())
        wrong += [
            f"{'/'.join(parts)} imports xlfactor.{'.'.join(t)}" for t in _internal_imports(path) if _layer(t) > mine
        ]
    assert not wrong, wrong
