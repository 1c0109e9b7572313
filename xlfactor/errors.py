"""The errors xlfactor raises for bad input or an impossible computation.

Every error is a ``ValueError`` (so generic callers can catch it as one) and carries
``excel_code``, the Excel error value the spreadsheet layer would show for it. Messages
are one line: what is wrong, where (argument, row, column), and what is needed.
"""

from __future__ import annotations


class XLFactorError(ValueError):
    """Base class of every error xlfactor raises on purpose.

    Catch it to handle any user mistake or impossible estimate; a bug raises something else.
    The message is one line naming the argument (and row, column or asset) and how to fix it.

    Attributes
    ----------
    excel_code : str
        The Excel error value the spreadsheet functions show for this error: ``"#VALUE!"`` for bad
        input, ``"#NUM!"`` when the numbers admit no estimate.

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> try:
    ...     xf.ols(np.zeros((3, 2)), np.zeros((4, 1)))
    ... except xf.XLFactorError as err:
    ...     print(err.excel_code, err)
    #VALUE! returns has 3 rows but factors has 4; both must cover the same periods.
    """

    excel_code = "#VALUE!"


class InputShapeError(XLFactorError):
    """Arguments whose shapes do not fit together (lengths, columns, dimensions).

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> try:
    ...     xf.ols(np.zeros((3, 2)), np.zeros((4, 1)))
    ... except xf.InputShapeError as err:
    ...     print(err)
    returns has 3 rows but factors has 4; both must cover the same periods.
    """


class InputValueError(XLFactorError):
    """A value that is not allowed: text, infinity, a negative penalty, an unknown option.

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> try:
    ...     xf.factor_covariance(np.eye(3), method="ewm")
    ... except xf.InputValueError as err:
    ...     print(err)
    method must be one of sample, ewma, ledoitwolf, barra; got 'ewm'. Did you mean 'ewma'?
    """


class InsufficientDataError(XLFactorError):
    """Too few usable observations (after dropping missing values) for the estimate.

    Examples
    --------
    >>> import xlfactor as xf
    >>> try:
    ...     xf.ols([[0.01], [0.02]], [[0.01], [0.03]])
    ... except xf.InsufficientDataError as err:
    ...     print(err.excel_code, err)
    #NUM! returns column 1 has 2 usable rows (it and every factor present); a regression on 1 factor(s) needs at least 3.
    """

    excel_code = "#NUM!"


class CollinearityError(XLFactorError):
    """A constant factor, or factors that are exact linear combinations of each other.

    Examples
    --------
    >>> import xlfactor as xf
    >>> try:
    ...     xf.ols([0.01, 0.02, 0.03], [0.01, 0.01, 0.01])
    ... except xf.CollinearityError as err:
    ...     print(err)
    factors column 1 is constant over the 3 rows used for returns column 1; a constant factor duplicates the intercept, remove it.
    """

    excel_code = "#NUM!"


class ConvergenceError(XLFactorError):
    """An iterative solver that did not reach its tolerance.

    Examples
    --------
    >>> import xlfactor as xf
    >>> try:
    ...     xf.allocate("budget", cov=[[1.0, 0.9], [0.9, 1.0]], budgets=[1, 3], max_iter=1)
    ... except xf.ConvergenceError as err:
    ...     print(err)
    risk budgeting did not converge in 1 Newton steps; check the covariance for near-zero variances or raise max_iter.
    """

    excel_code = "#NUM!"


__all__ = [
    "XLFactorError",
    "InputShapeError",
    "InputValueError",
    "InsufficientDataError",
    "CollinearityError",
    "ConvergenceError",
]
