"""The public API is documented: every name in ``xlfactor.__all__`` (and in the ``__all__`` of the submodules in
``SUBMODULES``) has a
numpydoc docstring with the sections its kind needs, annotated signatures, and Examples that run as doctests.

A new public name is held to this by being exported: nothing here lists the names.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pathlib
import pkgutil
import re
import types

import pytest

import xlfactor

# public modules not imported by the package root (their imports are heavier) and ``frames``; each one's __all__ too
SUBMODULES = ("frames", "estimators", "plot", "interop")

# a section heading: a title line, then a line of dashes as long as it
_SECTION = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)\n[ \t]*-{3,}[ \t]*$", re.MULTILINE)
# a documented parameter or attribute: "name : type" (or "name" alone) at the section's indentation
_ITEM = re.compile(r"^(?P<names>\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::.*)?$")


def public_objects() -> dict[str, object]:
    """Every public name: ``xlfactor.X`` for X in ``xlfactor.__all__``, ``xlfactor.<sub>.X`` likewise."""
    out = {f"xlfactor.{n}": getattr(xlfactor, n) for n in xlfactor.__all__}
    for sub in SUBMODULES:
        mod = importlib.import_module(f"xlfactor.{sub}")
        out.update({f"xlfactor.{sub}.{n}": getattr(mod, n) for n in mod.__all__})
    return out


PUBLIC = public_objects()


def sections(doc: str) -> dict[str, str]:
    """{title: body} of a numpydoc docstring (``inspect.cleandoc`` applied); '' holds the summary part."""
    doc = inspect.cleandoc(doc)
    out, last, title = {}, 0, ""
    for m in _SECTION.finditer(doc):
        out[title] = doc[last : m.start()].strip("\n")
        title, last = m.group("title").strip(), m.end()
    out[title] = doc[last:].strip("\n")
    return out


def documented_names(body: str) -> set[str]:
    """The names a Parameters/Attributes section documents (the unindented lines of the section)."""
    names: set[str] = set()
    for line in body.splitlines():
        if line and not line[0].isspace() and (m := _ITEM.match(line)):
            names.update(n.strip().lstrip("*") for n in m.group("names").split(","))
    return names


def kind(obj: object) -> str:
    if isinstance(obj, types.ModuleType):
        return "module"
    if isinstance(obj, type):
        return "error" if issubclass(obj, Exception) else "class"
    return "function"


REQUIRED = {
    "function": ("Parameters", "Returns", "Raises", "Examples"),
    "class": ("Attributes", "Examples"),
    "error": ("Examples",),
    "module": (),
}


def signature_parameters(obj) -> list[str]:
    return [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]


def class_fields(cls: type) -> list[str]:
    fields = getattr(cls, "__dataclass_fields__", None)
    return [f for f in fields if not f.startswith("_")] if fields else []


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_name_has_numpydoc_sections(name):
    obj = PUBLIC[name]
    doc = inspect.getdoc(obj) if not isinstance(obj, types.ModuleType) else obj.__doc__
    assert doc and doc.strip(), f"{name} has no docstring"
    parts = sections(doc)
    summary = parts[""].strip().split("\n\n")[0]
    assert summary and summary[0].isupper() and summary.rstrip().endswith("."), (
        f"{name}: the docstring must open with a one-sentence summary ending with a period: {summary[:80]!r}"
    )
    what = kind(obj)
    required = REQUIRED[what]
    if what == "function" and not signature_parameters(obj):
        required = tuple(s for s in required if s != "Parameters")
    missing = [s for s in required if s not in parts]
    assert not missing, f"{name} ({what}) lacks the numpydoc section(s) {missing}"
    if "Examples" in REQUIRED[what]:
        assert ">>>" in parts["Examples"], f"{name}: the Examples section has no runnable example (>>>)"
    if what == "function":
        params = signature_parameters(obj)
        if params:
            assert "Parameters" in parts, f"{name} lacks the numpydoc section Parameters"
            undocumented = set(params) - documented_names(parts["Parameters"])
            assert not undocumented, f"{name}: Parameters does not document {sorted(undocumented)}"
    if what == "class":
        fields = class_fields(obj)
        undocumented = set(fields) - documented_names(parts["Attributes"])
        assert not undocumented, f"{name}: Attributes does not document the fields {sorted(undocumented)}"


@pytest.mark.parametrize("name", sorted(n for n, o in PUBLIC.items() if kind(o) == "function"))
def test_public_function_is_annotated(name):
    sig = inspect.signature(PUBLIC[name])
    bare = [p.name for p in sig.parameters.values() if p.annotation is inspect.Parameter.empty]
    assert not bare, f"{name}: parameters without a type annotation: {bare}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return annotation"


def _public_doctests() -> dict[str, list[doctest.DocTest]]:
    """The doctests of each public object: its docstring, and for a class the docstrings of its public members."""
    finder = doctest.DocTestFinder()
    out = {}
    for name, obj in PUBLIC.items():
        if isinstance(obj, types.ModuleType):
            continue  # its functions are public names of their own
        found = finder.find(obj, name)  # globals: the defining module's, as pytest --doctest-modules
        tests = [t for t in found if t.examples and not t.name.split(".")[-1].startswith("_")]
        out[name] = tests
    return out


DOCTESTS = _public_doctests()
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _run(tests: list[doctest.DocTest]) -> None:
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    failed = attempted = 0
    for t in tests:
        result = runner.run(t, out=report.append)
        failed, attempted = failed + result.failed, attempted + result.attempted
    assert failed == 0, "".join(report)
    assert attempted > 0


@pytest.mark.parametrize("name", sorted(n for n, t in DOCTESTS.items() if t))
def test_public_examples_run(name):
    _run(DOCTESTS[name])


def test_every_public_name_has_a_doctest():
    """Each public function, class and error has at least one example that runs (counted here)."""
    without = sorted(n for n, t in DOCTESTS.items() if not t)
    assert not without, f"public names without a runnable example: {without}"


# Every importable module's other docstring examples run too (private helpers may carry examples). The Excel
# layer is left out: importing it binds xlwings' decorators for this process, which the runtime tests do in
# processes of their own.
EXCLUDED_PACKAGES = ("xlfactor.excel",)


def _modules() -> list[str]:
    names = ["xlfactor"]
    for info in pkgutil.walk_packages(xlfactor.__path__, "xlfactor."):
        if not info.name.startswith(EXCLUDED_PACKAGES):
            names.append(info.name)
    return sorted(names)


def _where(t: doctest.DocTest) -> tuple[str | None, int | None]:
    return t.filename, t.lineno


def _other_doctests() -> dict[str, list[doctest.DocTest]]:
    """Per module, the doctests that are not among the public names' (found once, at collection)."""
    public = {_where(t) for ts in DOCTESTS.values() for t in ts}
    out = {}
    for module in _modules():
        mod = importlib.import_module(module)
        found = doctest.DocTestFinder().find(mod, module)
        rest = [t for t in found if t.examples and _where(t) not in public]
        if rest:
            out[module] = rest
    return out


OTHER_DOCTESTS = _other_doctests()


@pytest.mark.parametrize("module", sorted(OTHER_DOCTESTS))
def test_module_examples_run(module):
    _run(OTHER_DOCTESTS[module])


ROOT = pathlib.Path(__file__).resolve().parents[1]
OUTSIDE = ("DESIGN.md", "../shared", "shared/notes", "notes/xlwings")  # documents that are not in the repository


def test_nothing_cites_a_document_outside_the_repository():
    files = [
        ROOT / "README.md",
        *(ROOT / "docs").rglob("*.md"),
        *(ROOT / "xlfactor").rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "benchmarks").rglob("*.py"),
        ROOT / "pyproject.toml",
    ]
    me = pathlib.Path(__file__).resolve()
    cited = [
        f"{p.relative_to(ROOT)}: {ref}"
        for p in files
        if p.resolve() != me
        for ref in OUTSIDE
        if ref in p.read_text(encoding="utf-8")
    ]
    assert not cited, f"cite docs/architecture.md instead of: {cited}"


def test_readme_links_the_architecture_document():
    assert (ROOT / "docs" / "architecture.md").is_file()
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")
