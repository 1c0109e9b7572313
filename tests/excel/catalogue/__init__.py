"""A stand-in for xlfactor.excel.udfs with one topic module re-exported, as new topics are added."""

from xlfactor.excel.decorate import excel_names, udf

from .fn_demo import *  # noqa: F403


@udf(x="A number.")
def demo_here(x=None):
    """Defined in the catalogue itself: x plus one."""
    return [[x + 1]]


__all__ = ["demo_here", "demo_twice", "demo_slow"]  # noqa: F405 - two from the star-imported topic module

__getattr__ = excel_names(globals())
