"""The ``udf`` decorator's own checks, in plain Python (xlwings' decorators are no-ops here)."""

import pytest

from xlfactor.excel import udfs
from xlfactor.excel.coerce import ExcelInputError
from xlfactor.excel.decorate import excel_names, udf


def test_help_texts_must_name_every_parameter_in_order():
    with pytest.raises(TypeError, match=r"one help text per parameter in signature order; parameters \['a', 'b'\]"):

        @udf(b="B.", a="A.")
        def swapped(a, b=None):
            """Docstring."""

    with pytest.raises(TypeError, match="one help text per parameter"):

        @udf(a="A.")
        def missing(a, b=None):
            """Docstring."""

    with pytest.raises(TypeError, match=r"empty help text for \['a'\]"):

        @udf(a=" ")
        def empty(a):
            """Docstring."""


def test_user_errors_are_mapped_with_the_excel_name():
    with pytest.raises(ExcelInputError, match=r"^CAPM_BETA: returns row 1, column 1 is text 'x'"):
        udfs.capm_beta([["x"], [0.1], [0.2]], [[0.1], [0.2], [0.3]])


def test_excel_names_resolve_only_exported_functions():
    assert udfs.CAPM_BETA is udfs.capm_beta and udfs.BACKTEST is udfs.backtest
    lookup = excel_names({"__all__": ["f"], "f": len, "g": max, "__name__": "m"})
    assert lookup("F") is len
    for name in ("G", "f", "Capm_Beta", "__ALL__"):
        with pytest.raises(AttributeError, match=f"module 'm' has no attribute '{name}'"):
            lookup(name)


def test_task_pane_catalogue_reads_topic_modules_too():
    from pathlib import Path

    from tests.excel import catalogue as demo
    from xlfactor.excel import runtimes

    names, docs = runtimes.catalogue(Path(demo.__file__))
    assert names == ["demo_here", "demo_twice", "demo_slow"]
    assert docs["demo_twice"] == "Twice the number x: a function from a topic module." and "helper_not_exported" in docs
    names, docs = runtimes.catalogue(Path(udfs.__file__))
    assert names == udfs.__all__ and all(docs[n] == getattr(udfs, n).__doc__ for n in names)
