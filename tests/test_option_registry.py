"""Options' names, choices and defaults are typed once, in ``xlfactor.core.options``: the CLI, the Excel functions'
help and the template (Start sheet labels and drop-downs) read them from there, so a new choice reaches every
interface and no label goes stale (the Start sheet once listed "sample, ewma or ledoitwolf" after barra was added)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from xlfactor.core import options

ROOT = Path(options.__file__).resolve().parents[1]
READERS = [ROOT / "cli.py", *sorted((ROOT / "excel").rglob("*.py")), *sorted((ROOT / "workbook").rglob("*.py"))]


def _option_of(names: list[str]) -> str | None:
    """The option whose choices hold every one of ``names`` (two or more), if any."""
    if len(set(names)) < 2:
        return None
    for key, choices in options.CHOICES.items():
        if set(names) <= set(choices):
            return key
    return None


def retyped(source: str) -> list[str]:
    """Where ``source`` spells out two or more choices of one option instead of reading them from the registry:
    a literal list passed as ``choices=`` or bound at module level, or a text listing them ('a, b or c')."""
    found = []
    tree = ast.parse(source)
    literals = [
        kw.value for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords if kw.arg == "choices"
    ]
    literals += [node.value for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))]
    for lit in literals:
        if isinstance(lit, (ast.Tuple, ast.List, ast.Set)) and all(isinstance(e, ast.Constant) for e in lit.elts):
            key = _option_of([e.value for e in lit.elts])
            if key:
                found.append(f"line {lit.lineno}: {key}'s choices typed as a list")
    word = r"[A-Za-z0-9_]+"
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)  # prose about an option, not a list of it
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            for run in re.finditer(rf"{word}(?:, {word})*,? or {word}", node.value):
                key = _option_of(re.findall(word, run.group(0).replace(" or ", ", ")))
                if key:
                    found.append(f"line {node.lineno}: {key}'s choices typed in the text {run.group(0)!r}")
    return found


def test_the_detector_finds_a_retyped_list_and_a_stale_label():
    assert retyped('p.add_argument("--cov", choices=["sample", "ewma"])')
    assert retyped('ROWS = ("blocked", "kfold")')
    assert retyped('label = "Factor covariance: sample, ewma or ledoitwolf"')
    assert not retyped("label = f\"Factor covariance: {describe('cov_method')}\"")
    assert not retyped('x = ("lasso", "lasso")[0:1] if a else 1; y = "min or max"')
    assert not retyped('def f():\n    """sample or ewma: a docstring may say so."""')


@pytest.mark.parametrize("path", READERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_option_list_is_retyped_outside_the_registry(path):
    assert retyped(path.read_text(encoding="utf-8")) == []


REGISTERED = {value for value in vars(options).values() if isinstance(value, tuple)}


def test_cli_choices_and_defaults_are_the_registrys():
    from xlfactor import cli

    parser = cli.build_parser()
    for name, sub in parser._subparsers._group_actions[0].choices.items():
        for action in sub._actions:
            if action.choices is None or action.dest == "flavor":  # flavour: the workbook's, not an option
                continue
            key = _option_of(list(action.choices))
            assert key is not None and tuple(action.choices) in REGISTERED, (name, action.dest)
            assert action.default == options.DEFAULTS[key], (name, action.dest)
