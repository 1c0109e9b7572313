"""Stand-ins for pywin32 so that xlwings' real classic UDF code runs on Linux.

``install()`` stubs the Windows-only modules, imports the real ``xlwings._xlwindows`` (its value
cleaning is what Excel's COM values go through), registers it as xlwings' active engine and binds
``xw.func/arg/ret`` to the real classic decorators of ``xlwings.udfs``, as xlwings does on Windows.
Process-global: run these tests in their own pytest process.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import sys
import types
from unittest import mock

MISSING = -2147352572  # what COM passes for an omitted optional argument
NA = -2146826246  # #N/A
DIV0 = -2146826281  # #DIV/0!
ERROR_CODES = {
    "#NULL!": -2146826288,
    "#DIV/0!": DIV0,
    "#VALUE!": -2146826273,
    "#REF!": -2146826265,
    "#NAME?": -2146826259,
    "#NUM!": -2146826252,
    "#N/A": NA,
}


def com_error(text: str) -> int:
    """An error cell as pywin32 delivers it: an int code (e.g. '#DIV/0!' -> -2146826281)."""
    return ERROR_CODES[text]


class TimeType(dt.datetime):
    """pywintypes.TimeType: what a date-formatted cell arrives as."""


class VARIANT:
    """win32com.client.VARIANT as pywin32 defines it: a value with an explicit COM type.

    pywin32 converts it first in ``PyCom_VariantFromPyObject`` (com/win32com/src/oleargs.cpp), which is
    how a COM server's return value is marshalled: VT_ERROR reaches VBA as an error value (CVErr).
    """

    def __init__(self, vt, value):
        self.varianttype, self.value = vt, value

    def __repr__(self):
        return f"win32com.client.VARIANT({self.varianttype!r}, {self.value!r})"


VT_ERROR = 10


def cell_value(result):
    """What the VBA wrapper hands Excel: XLPython.CallUDF squeezes 1x1 to a scalar, 1xN to a row (com_server.py).

    A VT_ERROR variant shows as its error (e.g. '#VALUE!'), anything else as itself.
    """
    if len(result) == 1 and len(result[0]) == 1:
        x = result[0][0]
        if isinstance(x, VARIANT) and x.varianttype == VT_ERROR:
            return next(text for text, code in ERROR_CODES.items() if code == x.value)
        return x
    return result


def install():
    import xlwings as xw

    if getattr(xw, "_xlfactor_classic_stubs", False):
        return
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.TimeType = TimeType
    pywintypes.com_error = type("com_error", (Exception,), {})
    pywintypes.IID = lambda s: s
    sys.modules["pywintypes"] = pywintypes
    for name in [
        "win32api",
        "win32con",
        "win32gui",
        "win32process",
        "win32timezone",
        "win32event",
        "pythoncom",
        "win32com",
        "win32com.client",
        "win32com.server",
        "win32com.server.dispatcher",
        "win32com.server.policy",
        "win32com.server.util",
    ]:
        sys.modules[name] = mock.MagicMock(name=name)
    sys.modules["pythoncom"].__file__ = "pythoncom.dll"
    sys.modules["pythoncom"].VT_ERROR = VT_ERROR
    sys.modules["win32com.client"].VARIANT = VARIANT
    ctypes.windll = ctypes.oledll = mock.MagicMock()
    real_pydll = ctypes.PyDLL
    ctypes.PyDLL = mock.MagicMock()  # _xlwindows loads a symbol from pythoncom's DLL at import
    com_server = types.ModuleType("xlwings.com_server")
    com_server.loop = None
    sys.modules["xlwings.com_server"] = com_server

    import xlwings._xlwindows as xlwindows
    import xlwings.udfs as udfs

    ctypes.PyDLL = real_pydll

    xw.engines.add(xw.main.Engine(impl=xlwindows.engine))
    xw.engines.active = xw.engines["excel"]
    xw.func, xw.arg, xw.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
    xw._xlfactor_classic_stubs = True


def call(module, name: str, *args):
    """Call a UDF exactly as Excel's COM add-in does (``xlwings.udfs.call_udf``), by the name the VBA wrapper
    passes (``__xlfunc__["name"]``: the Excel name, e.g. CAPM_BETA)."""
    import xlwings.udfs as udfs

    excel_name = getattr(module, name).__xlfunc__["name"]
    return udfs.call_udf(module.__name__, excel_name, args, None, mock.MagicMock())


def com(values):
    """A range as pywin32 delivers it: a tuple of tuples (a 1x1 range as a scalar)."""
    rows = tuple(tuple(r) for r in values)
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    return rows
