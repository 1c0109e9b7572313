"""A covariance given as a matrix: checked square, finite and symmetric, and proved positive semi-definite.

The proof of PSD (to 1e-10 of the largest variance) is most of the cost of ``allocate(..., cov=S)`` on a factor
model's matrix: a Cholesky factorisation (LAPACK ``potrf``, N^3 / 3 flops) takes about 10 ms of CPU at N = 1000 on one
BLAS thread, more than riskparityportfolio's whole ERC solve on such a matrix (8 ms; ``benchmarks/bench_risk.py
--dense``). Choices measured on the 2-core benchmark machine:

- a matrix with a factor form ``U U' + D`` (any factor risk model's asset covariance, exported whole) is proved
  positive definite from that form in O(N^2 r) flops (``factor_form_bound``: 5-6 ms at N = 1000, r = 4-20, 7.6 ms
  for 30 industries and the market, a rigorous bound including rounding); any other matrix, and one whose bound is
  not positive, gets the Cholesky as before (the attempt costs 2.2-2.8 ms on a sample covariance), so refusals
  are unchanged;
- not taken: a Cholesky in float32 (6 ms) proves definiteness only after a shift of about ``(N + 1) u`` times the
  trace (Rump's bound, u = 6e-8: 0.06 of the average variance at N = 1000), and the benchmark's factor-model
  correlation matrices have smallest eigenvalues of 0.011-0.034; a Cholesky by blocks in Python (scipy's
  ``dtrsm``/``dsyrk``) took 12-15 ms against ``potrf``'s 10.5; OpenBLAS's 2 threads under load (load average 10)
  took 196 ms of wall time against 28 ms on one; the proof in a worker thread beside the solve, or split over two
  threads (no spinning), showed no gain under load (load average 9: the split Cholesky's median of 61 interleaved
  calls 36.4 ms against 35.3), and is not kept.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from ...errors import InputShapeError, InputValueError
from .. import _validation as v


def check_covariance(cov, name: str = "covariance") -> np.ndarray:
    """A symmetric, positive semi-definite, finite matrix (symmetry and PSD up to 1e-10 relative), symmetrised
    (``(S + S') / 2``, a new array) where it is not exactly symmetric; the input itself (not a copy) where it is.

    The proof of PSD (``prove_psd``): from ``FACTOR_MIN`` assets a matrix with a factor form is proved from it in
    O(N^2 r); otherwise one Cholesky factorisation (LAPACK ``potrf``, at N = 1000 on one BLAS thread about 10 ms).
    The symmetry test runs by blocks of rows (``np.abs(s - s.T).max()`` walks ``s.T`` across the cache: 15 ms at
    N = 1000 against 1 ms) and scipy's ``potrf`` works in place on one copy (``numpy.linalg.cholesky``: 2.5x slower).
    """
    s = v.as_float_2d(cov, name, allow_missing=False)
    if s.shape[0] != s.shape[1]:
        raise InputShapeError(f"{name} is {s.shape[0]} x {s.shape[1]}; it must be square.")
    # the largest variance: in a PSD matrix no entry is larger in size (|s_ij| <= sqrt(s_ii s_jj)); in any other the
    # tests below are only stricter, and it fails them anyway
    scale = max(float(np.diagonal(s).max()), 1e-300)
    asym = _asymmetry(s)
    if asym > 1e-10 * scale:
        i, j = np.unravel_index(np.argmax(np.abs(s - s.T)), s.shape)
        raise InputValueError(
            f"{name} is not symmetric: row {i + 1}, column {j + 1} is {s[i, j]:.6g} but row {j + 1}, "
            f"column {i + 1} is {s[j, i]:.6g}."
        )
    if asym > 0:  # most covariances are exactly symmetric (numpy, pandas, scikit-learn, Excel): no new matrix
        s = s + s.T
        s *= 0.5
    prove_psd(s, name, scale)
    return s


def prove_psd(s: np.ndarray, name: str, scale: float) -> None:
    """Refuse ``s`` (symmetric; its lower triangle is read) unless it is positive semi-definite to ``1e-10 * scale``:
    from ``FACTOR_MIN`` assets, positive definite by its factor form where it has one (``factor_form_bound``);
    else positive definite after a shift of 1e-10 of the scale (one Cholesky, a quarter of an eigenvalue solve),
    else its smallest eigenvalue no lower than ``-1e-10 * scale``."""
    n = s.shape[0]
    if n >= FACTOR_MIN and factor_form_bound(s) > 0:
        return
    a = s.copy()
    a.flat[:: n + 1] += 1e-10 * scale
    _, info = lapack.dpotrf(a.T, lower=False, overwrite_a=True, clean=False)  # a.T: Fortran order, no copy
    if info == 0:
        return
    if info < 0:  # pragma: no cover - an illegal argument is a bug, not a user mistake
        raise RuntimeError(f"LAPACK dpotrf: argument {-info} illegal")
    low = np.linalg.eigvalsh(s)[0]
    if low < -1e-10 * scale:
        raise InputValueError(
            f"{name} is not positive semi-definite (smallest eigenvalue {low:.3g}); "
            "estimate it from data or use the Ledoit-Wolf estimate."
        )


def _asymmetry(s: np.ndarray, block: int = 128) -> float:
    """``max |s - s'|`` by blocks of rows against blocks of columns (each pair once)."""
    worst = 0.0
    for i in range(0, s.shape[0], block):
        worst = max(worst, float(np.abs(s[i : i + block, i:] - s[i:, i : i + block].T).max()))
    return worst


FACTOR_MIN = 700  # from this many assets a matrix is first tried in factor form (K = 10, one BLAS thread): at N = 500
# the form takes 2.0 ms against potrf's 1.6, at 1000 5.4 against 10.6, at 2000 17 against 71; where there is no
# factor form, finding so costs 0.9 ms at N = 500, 2.2-2.8 ms at 1000
FACTOR_SAMPLE = 64  # width of the sketch that finds the factors' span: up to FACTOR_SAMPLE - 16 factors are found
_U = np.finfo(float).eps / 2  # the unit roundoff


def factor_form_bound(s: np.ndarray) -> float:
    """A proven lower bound on the smallest eigenvalue of the symmetric ``s`` when ``s`` is a factor model's
    ``U U' + D`` (rank r at most ``FACTOR_SAMPLE - 16``, D diagonal), else ``-inf`` or a negative number;
    O(N^2 r) flops instead of a Cholesky's N^3 / 3 (at N = 1000, r = 10: ~5 ms against ~10).

    Off the diagonal, the block of even rows and odd columns ``s[P, Q] = U_P U_Q'`` has rank r (assets sorted by
    industry fall in both halves): an orthonormal basis ``B_P`` of its column span comes from a random sketch
    (seeded: the same decision on every call), ``s[P, Q]' B_P = B_Q G'`` gives a basis of its row span and the
    coordinates ``G = B_P' s[P, Q] B_Q^+'``, and the same on the
    even rows' own off-diagonal block (rows 0 and 2 mod 4) gives ``H``, so that ``s = Y H Y' + diag(d) + E`` with
    ``Y[P] = B_P``, ``Y[Q] = B_Q G' H^-1``. Whatever the estimates, that identity holds with ``d`` and ``E`` computed
    from them, and by Weyl ``lambda_min(s) >= min(d) + min(0, lambda_min(H)) ||Y||_F^2 - ||E||_F``, less the
    rounding of ``Y H Y'`` (``gamma_2r ||Y||_F^2 ||H||_F``) and of the subtraction (``u (||E||_F + ||d||)``), each
    doubled. A positive bound proves ``s`` positive definite; any other matrix (no low rank seen, a negative
    specific variance, a residual as large as ``min(d)``) gets ``-inf`` or a bound below 0, and the Cholesky
    decides."""
    with np.errstate(all="ignore"):  # a screen: overflow or NaN gives no positive bound, and the Cholesky decides
        try:
            return _bound(s, np.random.default_rng(0))
        except np.linalg.LinAlgError:
            return -np.inf


def _bound(s: np.ndarray, rng: np.random.Generator) -> float:
    """``factor_form_bound``'s body."""
    n = s.shape[0]
    cross = np.ascontiguousarray(s[0::2, 1::2])  # even rows, odd columns: no diagonal entry
    m = min(FACTOR_SAMPLE, cross.shape[1] // 2)
    top = _span(cross @ (rng.random((cross.shape[1], m)) - 0.5), 16)  # the span of U_P, orthonormal
    if top is None:
        return -np.inf
    r = top.shape[1]
    y, hh = np.zeros((n, 0)), np.zeros((0, 0))
    if r:
        w = cross.T @ top  # = U_Q U_P' top: its span is U_Q's, and w = B_Q G' with G = top' s[P, Q] B_Q
        bot = _span(w, 0)
        if bot is None or bot.shape[1] != r:
            return -np.inf
        g = (_pinv(bot) @ w).T
        hh = _pinv(top[0::2]) @ (s[0::4, 2::4] @ _pinv(top[1::2]).T)  # even rows: 0 mod 4 against 2 mod 4
        hh = 0.5 * (hh + hh.T)
        y = np.empty((n, r))
        y[0::2] = top
        y[1::2] = np.linalg.solve(hh, g @ bot.T).T
    yh = y @ hh
    d, ss, buf = np.empty(n), 0.0, np.empty((128, n))
    for i in range(0, n, 128):  # E is symmetric: its lower triangle by blocks of rows, in one buffer
        b = min(128, n - i)
        e = buf[:b, : i + b]
        np.matmul(yh[i : i + b], y[: i + b].T, out=e)
        np.subtract(s[i : i + b, : i + b], e, out=e)
        k = np.arange(b)
        d[i : i + b] = e[k, i + k]
        e[k, i + k] = 0.0
        left, block = e[:, :i], e[:, i:]  # left of the diagonal block twice; the block has both triangles
        ss += 2.0 * float(np.einsum("ij,ij->", left, left)) + float(np.einsum("ij,ij->", block, block))
    ef = np.sqrt(ss) * (1 + 1e-9)  # the sum of N^2 squares: relative error below N^2 u
    hf, yf2 = float(np.linalg.norm(hh)), float((y * y).sum())
    low_h = float(np.linalg.eigvalsh(hh)[0]) - 10 * r * _U * hf if r else 0.0
    gamma = 2 * r * _U / (1 - 2 * r * _U)
    rounding = 2 * (gamma * yf2 * hf + _U * (ef + float(np.linalg.norm(d))))
    return float(d.min()) + min(0.0, low_h) * yf2 - ef - rounding


def _span(a: np.ndarray, slack: int) -> np.ndarray | None:
    """An orthonormal basis of the dominant column span of ``a`` (singular values above 1e-5 of the largest), or
    None when that span has more than ``a``'s column count less ``slack`` dimensions (no low rank)."""
    lam, z = np.linalg.eigh(a.T @ a)
    if lam[-1] <= 0:
        return a[:, :0]
    keep = lam > 1e-10 * lam[-1]
    if keep.sum() > a.shape[1] - slack:
        return None
    return (a @ z[:, keep]) / np.sqrt(lam[keep])


def _pinv(b: np.ndarray) -> np.ndarray:
    """The pseudo-inverse of a tall ``b`` of full column rank (nearly orthonormal here): ``(b'b)^-1 b'``."""
    return np.linalg.solve(b.T @ b, b.T)
