"""``udf``: the one decorator that turns a Python function into one of xlfactor's Excel functions.

It carries everything xlwings needs on every runtime (classic COM, xlwings Server, xlwings Lite):

- ``xw.func`` with xlfactor's category, ``cache=True`` (the Office.js client answers a repeated call with
  unchanged arguments itself; every function here is deterministic) and the Excel name in upper case
  (``CAPM_BETA``, as Excel's own functions are spelled in autocomplete and the Function Wizard);
- ``call_in_wizard=False`` for ``slow=True`` functions, so classic Excel's Function Wizard does not run a
  cross-validation on every keystroke (Office.js has no such wizard evaluation);
- one raw ``xw.arg`` per parameter, in signature order, with its help text (``coerce`` interprets the
  cells); a missing or unknown help text is an error when the module is imported;
- the error mapping (``coerce.excel_errors``): a user error is an Excel error value with one line.

Classic xlwings registers a function under ``__xlfunc__["name"]`` (the VBA wrapper's name) and calls it
back with ``getattr(module, name)``; ``udf`` sets that name to the upper-case spelling, and a module of
functions answers the upper-case name through ``excel_names`` (a module ``__getattr__``). xlwings 0.37.8
accepts ``name=`` only on its Office.js decorators (classic ignores it), hence both.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import xlwings as xw

from .coerce import excel_errors, runtime

CATEGORY = "xlfactor"


def _check_docs(func: Callable, docs: dict[str, str]) -> None:
    params = list(inspect.signature(func).parameters)
    if list(docs) != params:
        raise TypeError(
            f"udf for {func.__name__}: give one help text per parameter in signature order; "
            f"parameters {params}, help texts {list(docs)}."
        )
    empty = [name for name, doc in docs.items() if not isinstance(doc, str) or not doc.strip()]
    if empty:
        raise TypeError(f"udf for {func.__name__}: empty help text for {empty}.")


def udf(slow: bool = False, **arg_docs: str) -> Callable[[Callable], Callable]:
    """Register ``func`` as an Excel function named ``func.__name__.upper()``.

    Parameters
    ----------
    slow : bool
        True for an expensive function (cross-validation, rolling windows, backtests): classic Excel's
        Function Wizard then does not evaluate it while the user types its arguments.
    **arg_docs : str
        One help text per parameter, as keywords in signature order (shown by the Function Wizard and
        Office.js' formula bar; classic truncates at 255 characters).

    Returns
    -------
    Callable
        A decorator; the decorated function has ``__xlfunc__`` on classic and Office.js runtimes (in plain
        Python xlwings' decorators are no-ops) and maps user errors to Excel errors everywhere.

    Raises
    ------
    TypeError
        When the help texts do not name the parameters exactly, in order.

    Examples
    --------
    >>> @udf(x="A number.")
    ... def twice(x=None):
    ...     "Twice x."
    ...     return [[2 * x]]
    >>> twice(2.0)
    [[4.0]]
    """

    def decorate(func: Callable) -> Callable:
        _check_docs(func, arg_docs)
        excel_name = func.__name__.upper()
        wrapped: Any = excel_errors(func)
        for name, doc in reversed(arg_docs.items()):
            wrapped = xw.arg(name, "raw", doc=doc)(wrapped)
        wrapped = xw.func(category=CATEGORY, cache=True, name=excel_name, call_in_wizard=not slow)(wrapped)
        info = getattr(wrapped, "__xlfunc__", None)
        if info is not None and runtime() == "classic":
            info["name"] = excel_name  # the VBA wrapper's name; call_udf looks it up with getattr (excel_names)
        return wrapped

    return decorate


def excel_names(namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` answering a function's Excel name (``CAPM_BETA``) with the function.

    Classic xlwings' ``call_udf`` calls ``getattr(module, "CAPM_BETA")``; the Python name stays
    ``capm_beta``. Only names in the module's ``__all__`` resolve; upper-case names are not module
    attributes, so ``dir(module)`` (which xlwings scans to register functions) lists each function once.

    Examples
    --------
    >>> def capm_beta():
    ...     pass
    >>> lookup = excel_names({"capm_beta": capm_beta, "__all__": ["capm_beta"]})
    >>> lookup("CAPM_BETA") is capm_beta
    True
    """

    def __getattr__(name: str) -> Any:
        low = name.lower()
        if name == name.upper() and low in namespace.get("__all__", ()):
            return namespace[low]
        raise AttributeError(f"module {namespace.get('__name__', '?')!r} has no attribute {name!r}")

    return __getattr__
