"""The errors xlfactor raises for bad input or an impossible computation.

Every error is a ``ValueError`` (so generic callers can catch it as one) and carries
``excel_code``, the Excel error value the spreadsheet layer would show for it. Messages
are one line: what is wrong, where (argument, row, column), and what is needed.
"""

from __future__ import annotations


class XLFactorError(ValueError):
    """Base class of every error xlfactor raises on purpose."""

    excel_code = "#VALUE!"


class InputShapeError(XLFactorError):
    """Arguments whose shapes do not fit together (lengths, columns, dimensions)."""


class InputValueError(XLFactorError):
    """A value that is not allowed: text, infinity, a negative penalty, an unknown option."""


class InsufficientDataError(XLFactorError):
    """Too few usable observations (after dropping missing values) for the estimate."""

    excel_code = "#NUM!"


class CollinearityError(XLFactorError):
    """A constant factor, or factors that are exact linear combinations of each other."""

    excel_code = "#NUM!"


class ConvergenceError(XLFactorError):
    """An iterative solver that did not reach its tolerance."""

    excel_code = "#NUM!"


__all__ = [
    "XLFactorError",
    "InputShapeError",
    "InputValueError",
    "InsufficientDataError",
    "CollinearityError",
    "ConvergenceError",
]
