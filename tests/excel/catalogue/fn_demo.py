"""A topic module: its functions are re-exported by the catalogue (``from .fn_demo import *``)."""

from xlfactor.excel import coerce as cells
from xlfactor.excel.decorate import udf

__all__ = ["demo_twice", "demo_slow"]


@udf(x="A number (required).")
def demo_twice(x):
    """Twice the number x: a function from a topic module."""
    return [[2 * cells.number(x, "x", None)]]


@udf(slow=True, x="A number.", y="Another number.")
def demo_slow(x, y=None):
    """An expensive function (not evaluated in the Function Wizard): x times y."""
    return [[x * (1.0 if y is None else y)]]


def helper_not_exported():
    return None
