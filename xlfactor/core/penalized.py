"""Ridge, lasso and elastic-net loadings for all assets at once, on Gram matrices.

Objectives (intercept always fitted and never penalised; ``w_k`` are per-factor penalty weights,
1 by default, 0 leaves a factor unpenalised; with ``standardize`` the factors are scaled to unit
variance (1/n) before penalising and the loadings reported in original units, as glmnet does):

- ridge: ``||y - a - Xb||^2 + lambda * sum_k w_k b_k^2``  (scikit-learn ``Ridge(alpha=lambda)``)
- elastic net: ``1/(2n) ||y - a - Xb||^2 + lambda * (r * sum_k w_k |b_k| + (1 - r)/2 * sum_k w_k b_k^2)``
  with ``r = l1_ratio`` (scikit-learn ``ElasticNet(alpha=lambda, l1_ratio=r)``); ``r = 1`` is the lasso.

Penalty weights are used as given. glmnet rescales ``penalty.factor`` to sum to K (the number of factors)
before use, so the same fit has ``lambda_glmnet = lambda_xlfactor * sum(w) / K`` (equal when every weight
is 1; with the market at 0 and four factors at 1 of five, glmnet's lambda is 0.8 times ours).

Every fit is reduced to its Gram quantities ``X'X``, ``X'y``, ``y'y`` over the rows it uses, so
one set of matrix products serves every asset, lambda and cross-validation fold. The lasso follows each
problem's exact piecewise-linear path (a homotopy on its active set, all (fold, asset) problems batched):
only problems whose active set changes are solved again, small systems by one batched elimination, systems
with more active loadings than inactive ones on the inactive ones by the block's inverse Gram matrix (well-
conditioned blocks), the others by LAPACK's Cholesky; every step is checked against the KKT conditions.
Elastic net (and any lasso problem the check rejects) runs coordinate descent vectorised over the
problems, with warm starts along the lambda path; a problem stops when its duality gap is below
``tol * y'y``, and is then polished by solving exactly on its active set (kept when the KKT conditions
hold), so the loadings are exact to rounding.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import InputShapeError, InputValueError, InsufficientDataError
from . import _validation as v
from ._cache import memoize
from .regression import usable_groups
from .options import METHODS



# --- the problem set: Gram quantities of every (block of rows, asset) -------------------------------


@dataclass(frozen=True, eq=False)
class Problems:
    """Gram quantities of P regressions grouped in B blocks that share their rows (and so X'X).

    Factors are centred (and scaled when standardising) with the block's own means and scales.
    """

    gram: np.ndarray  # (B, K, K) of the centred, scaled factors
    xty: np.ndarray  # (K, P)
    yty: np.ndarray  # (P,) centred sum of squares of y
    n: np.ndarray  # (P,) rows used
    block: np.ndarray  # (P,) block of each problem
    asset: np.ndarray  # (P,) asset (column of returns) of each problem
    rowset: np.ndarray  # (P,) which of the row sets (e.g. CV folds) the problem fits
    xmean: np.ndarray  # (B, K)
    xscale: np.ndarray  # (B, K) 1, or the factors' standard deviations when standardising
    ymean: np.ndarray  # (P,)

    def take(self, cols: np.ndarray, test: dict | None = None) -> tuple[Problems, dict | None]:
        """The problems ``cols`` (sorted), with only their blocks, renumbered in order; and the matching ``test``
        quantities (``build_problems``'), when given."""
        used, block = np.unique(self.block[cols], return_inverse=True)
        sub = Problems(gram=self.gram[used], xty=self.xty[:, cols], yty=self.yty[cols], n=self.n[cols], block=block,
                       asset=self.asset[cols], rowset=self.rowset[cols], xmean=self.xmean[used],
                       xscale=self.xscale[used], ymean=self.ymean[cols])
        if test is None:
            return sub, None
        return sub, {"gram": test["gram"][used], "xty": test["xty"][:, cols], "yty": test["yty"][cols],
                     "n": test["n"][cols]}

    def original_units(self, bs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(intercept (..., P), loadings (..., K, P)) from coefficients on the scaled factors."""
        b = bs / self.xscale[self.block].T
        return self.ymean - np.einsum("pk,...kp->...p", self.xmean[self.block], b), b


MAX_LAMBDAS = 1000  # a longer grid only costs time: 100 points resolve the error curve


def _membership(sets: list[np.ndarray], t: int) -> tuple[np.ndarray, np.ndarray]:
    """(which sets each of the ``t`` rows belongs to, (sets, t) bool; the same as one byte string per row)."""
    member = np.zeros((len(sets), t), bool)
    for i, r in enumerate(sets):
        member[i, r] = True
    packed = np.ascontiguousarray(np.packbits(member, axis=0).T)
    return member, packed.view(np.dtype((np.void, packed.shape[1]))).ravel()


def _atoms(rows: np.ndarray, membership: tuple[np.ndarray, np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Split ``rows`` into atoms: the rows that belong to the same sets (in no set: dropped); ``membership`` is
    ``_membership(sets, t)``.

    Returns (the rows of each atom, membership (sets, atoms) bool).
    """
    member, packed = membership
    _, first, atom = np.unique(packed[rows], return_index=True, return_inverse=True)
    keys = member[:, rows[first]]  # (sets, atoms)
    used = np.flatnonzero(keys.any(axis=0))
    order = np.argsort(atom, kind="stable")
    bounds = np.searchsorted(atom[order], np.arange(len(first) + 1))
    return [rows[order[bounds[a]:bounds[a + 1]]] for a in used], keys[:, used]


def _moments(x, y, cols, atom_rows, x0):
    """Per atom: rows, sums of x - x0, (x - x0)(x - x0)', y, (x - x0) y', y^2; one pass, no copy of a
    contiguous run of y when every column is used."""
    k, m, n_atoms = x.shape[1], cols.size, len(atom_rows)
    every = m == y.shape[1]
    n = np.array([r.size for r in atom_rows], float)
    sx, sxx = np.zeros((n_atoms, k)), np.zeros((n_atoms, k, k))
    sy, sxy, syy = np.zeros((n_atoms, m)), np.zeros((n_atoms, k, m)), np.zeros((n_atoms, m))
    for a, rows in enumerate(atom_rows):
        if rows[-1] - rows[0] + 1 == rows.size:
            ya = y[rows[0]:rows[-1] + 1] if every else y[rows[0]:rows[-1] + 1, cols]
        else:
            ya = y[rows] if every else y[np.ix_(rows, cols)]
        xa = x[rows] - x0
        sx[a], sxx[a] = xa.sum(axis=0), xa.T @ xa
        sy[a], sxy[a], syy[a] = ya.sum(axis=0), xa.T @ ya, np.einsum("ij,ij->j", ya, ya)  # no (rows, m) temporary
    return n, sx, sxx, sy, sxy, syy


def _set_sums(member: np.ndarray, moments) -> tuple[np.ndarray, ...]:
    """Each set's sums of the atoms' moments, by one matrix product per moment (sets x atoms membership)."""
    m = member.astype(float)
    return tuple((m @ a.reshape(a.shape[0], -1)).reshape((m.shape[0], *a.shape[1:])) for a in moments)


def _fold_label(s: int, n_sets: int) -> str:
    return f" in the training rows of fold {s + 1}" if n_sets > 1 else ""


def build_problems(y, x, row_sets, standardize: bool, test_sets=None, asset_names: v.Names = None,
                   set_label=_fold_label, short: str = "raise"):
    """Problems for every (row set, missing-data group); optionally the matching test quantities.

    ``row_sets`` are arrays of rows (e.g. training folds); ``test_sets`` the matching held-out rows,
    for which the returned dict holds ``gram`` (B, K, K), ``xty`` (K, P), ``yty`` (P,), ``n`` (P,)
    of the test rows centred and scaled with the training block's means and scales. ``set_label(s, S)``
    says where set ``s`` is in an error message. An asset with fewer than K + 2 usable rows in a set is an
    error (``short="raise"``) or has no problem for that set (``"drop"``: e.g. a stock before its listing).

    Block sufficient statistics: the rows are split into atoms (runs that belong to the same row and test
    sets), their moments are summed once, and every set's centred Gram quantities are sums of atoms' (one
    matrix product over all sets) minus the mean corrections, so no set copies the returns. Data are first
    centred on the means over the first set's rows, so the corrections are small and lose no precision, and
    no set's result depends on rows outside the first set and itself (rolling windows rely on this).
    """
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)[:, None]
    k = x.shape[1]
    sets = [np.asarray(r) for r in row_sets] + ([np.asarray(r) for r in test_sets] if test_sets is not None else [])
    n_sets = len(row_sets)
    parts = {name: [] for name in ("gram", "xty", "yty", "n", "block", "asset", "rowset", "xmean", "xscale", "ymean")}
    test = {"gram": [], "xty": [], "yty": [], "n": []} if test_sets is not None else None
    n_blocks = 0
    membership = _membership(sets, x.shape[0])
    in_first = membership[0][0]
    for grows, cols in usable_groups(ok):
        if grows.size == 0:  # no usable row at all (a column of blanks)
            if short == "raise":
                raise InsufficientDataError(f"returns {v.label('column', cols[0], asset_names)} has no usable rows; "
                                            f"a penalised regression on {k} factor(s) needs at least {k + 2}.")
            continue
        atom_rows, member = _atoms(grows, membership)
        pivot = grows[in_first[grows]] if sets[0].size else grows
        x0 = x[pivot].mean(axis=0) if pivot.size else np.zeros(k)
        mom = _moments(x, y, cols, atom_rows, x0)
        first = member[0]
        y0 = mom[3][first].sum(axis=0) / max(mom[0][first].sum(), 1.0)  # centre y too (analytically: no copy)
        n_a, sx_a, sxx_a, sy_a, sxy_a, syy_a = mom
        sxy_a = sxy_a - sx_a[:, :, None] * y0[None, None, :]
        syy_a = syy_a - 2 * y0 * sy_a + n_a[:, None] * y0 * y0
        sy_a = sy_a - n_a[:, None] * y0
        mom = (n_a, sx_a, sxx_a, sy_a, sxy_a, syy_a)
        n, sx, sxx, sy, sxy, syy = _set_sums(member[:n_sets], mom)
        few = np.flatnonzero(n < k + 2)
        if few.size and short == "raise":
            s = few[0]
            raise InsufficientDataError(
                f"returns {v.label('column', cols[0], asset_names)} has {int(n[s])} usable rows"
                + set_label(s, n_sets) + f"; a penalised regression on {k} factor(s) needs at least {k + 2}."
            )
        used = np.flatnonzero(n >= k + 2)
        if used.size < n.size:
            member = np.vstack([member[:n_sets][used], member[n_sets:][used]]) if test is not None else member[used]
            n, sx, sxx, sy, sxy, syy = (a[used] for a in (n, sx, sxx, sy, sxy, syy))
        xm, ym = sx / n[:, None], sy / n[:, None]  # (S, K), (S, m): means of the centred data over each set
        gram_c = sxx - n[:, None, None] * xm[:, :, None] * xm[:, None, :]
        sd = np.sqrt(np.maximum(np.einsum("skk->sk", gram_c), 0) / n[:, None]) if standardize else np.ones_like(xm)
        sd = np.where(sd > 0, sd, 1.0)
        outer_sd = sd[:, :, None] * sd[:, None, :]
        n_s, m = len(n), cols.size
        parts["gram"].append(gram_c / outer_sd)
        xty = (sxy - n[:, None, None] * xm[:, :, None] * ym[:, None, :]) / sd[:, :, None]  # (S, K, m)
        parts["xty"].append(xty.transpose(1, 0, 2).reshape(k, n_s * m))
        parts["yty"].append(np.maximum(syy - n[:, None] * ym * ym, 0.0).ravel())
        parts["n"].append(np.repeat(n.astype(int), m))
        parts["block"].append(np.repeat(np.arange(n_blocks, n_blocks + n_s), m))
        parts["asset"].append(np.tile(cols, n_s))
        parts["rowset"].append(np.repeat(used, m))
        parts["xmean"].append(x0 + xm)
        parts["xscale"].append(sd)
        parts["ymean"].append((y0 + ym).ravel())
        if test is not None:  # the held-out rows centred on the training means: sum (x - xm)(y - ym)' etc.
            nt, tx, txx, ty, txy, tyy = _set_sums(member[len(n):], mom)
            g_t = (txx - tx[:, :, None] * xm[:, None, :] - xm[:, :, None] * tx[:, None, :]
                   + nt[:, None, None] * xm[:, :, None] * xm[:, None, :])
            c_t = (txy - tx[:, :, None] * ym[:, None, :] - xm[:, :, None] * ty[:, None, :]
                   + nt[:, None, None] * xm[:, :, None] * ym[:, None, :])
            test["gram"].append(g_t / outer_sd)
            test["xty"].append((c_t / sd[:, :, None]).transpose(1, 0, 2).reshape(k, n_s * m))
            test["yty"].append(np.maximum(tyy - 2 * ym * ty + nt[:, None] * ym * ym, 0.0).ravel())
            test["n"].append(np.repeat(nt.astype(int), m))
        n_blocks += n_s
    if not n_blocks:
        raise InsufficientDataError(f"no asset has the {k + 2} usable rows a regression on {k} factor(s) needs.")
    join = {"gram": np.concatenate, "xty": np.hstack, "xmean": np.concatenate, "xscale": np.concatenate}
    probs = Problems(**{name: join.get(name, np.concatenate)(vals) for name, vals in parts.items()})
    if test is not None:
        test = {name: join.get(name, np.concatenate)(vals) for name, vals in test.items()}
    return probs, test


# --- lambda grids ----------------------------------------------------------------------------------------


def _unpenalised_fit(probs: Problems, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(b, c - G b)`` per problem with only the unpenalised factors (0 if none), every block's system at once:
    the lasso's solution at and above its ``lambda_max``."""
    u = weights == 0
    b = np.zeros(probs.xty.shape)
    if not u.any():
        return b, probs.xty.copy()
    g_u = probs.gram[:, :, u]  # (B, K, U)
    b[u] = np.einsum("puv,vp->up", np.linalg.inv(g_u[:, u])[probs.block], probs.xty[u])
    return b, probs.xty - np.einsum("pku,up->kp", g_u[probs.block], b[u])


def lasso_lambda_max(probs: Problems, weights: np.ndarray, l1_ratio: float = 1.0) -> np.ndarray:
    """Smallest lambda at which every penalised loading is zero, per problem.

    ``max_k |x_k' r| / (n w_k l1_ratio)`` over penalised factors, with ``r`` the residual of y on
    the unpenalised factors (y itself when every factor is penalised): scikit-learn's and glmnet's
    ``lambda_max``.
    """
    pen = weights > 0
    corr = _unpenalised_fit(probs, weights)[1]
    ratio = np.abs(corr[pen]) / weights[pen, None]
    return ratio.max(axis=0) / (probs.n * max(l1_ratio, 1e-300))


def lasso_grid(lambda_max: np.ndarray, n_lambdas: int = 100, eps: float = 1e-3) -> np.ndarray:
    """Log-spaced grids from ``lambda_max`` down to ``eps * lambda_max``: (n_lambdas, len(lambda_max))."""
    steps = np.logspace(0.0, np.log10(eps), n_lambdas)
    return steps[:, None] * np.atleast_1d(lambda_max)[None, :]


def ridge_grid(gram: np.ndarray, n_lambdas: int = 100) -> np.ndarray:
    """Log-spaced ridge grid from ``100 * d_max`` down to ``0.01 * d_min``, ``d`` the eigenvalues of X'X.

    The effective degrees of freedom ``sum_j d_j / (d_j + lambda)`` then run from below K/101 to
    above K/1.01: from nearly all shrunk to nearly OLS.
    """
    d = np.linalg.eigvalsh(gram)
    d = d[d > 0]
    return np.logspace(np.log10(100 * d.max()), np.log10(0.01 * d.min()), n_lambdas)


def check_grid(lambdas, name: str = "lambda") -> np.ndarray:
    if np.size(lambdas) == 0:
        raise InputValueError(f"{name} is empty; pass at least one value.")
    grid = v.as_float_1d(lambdas, name, allow_missing=False)
    if (grid < 0).any():
        raise InputValueError(f"{name} must be >= 0; got {grid[grid < 0][0]:g}.")
    return grid


def check_weights(weights, k: int) -> np.ndarray:
    if weights is None:
        return np.ones(k)
    w = v.as_float_1d(weights, "penalty_weights", allow_missing=False)
    if w.size != k:
        raise InputShapeError(f"penalty_weights has {w.size} values but there are {k} factors; pass one per factor.")
    if (w < 0).any():
        raise InputValueError("penalty_weights must be >= 0 (0 leaves a factor unpenalised).")
    if not (w > 0).any():
        raise InputValueError("penalty_weights are all 0: nothing is penalised; use OLS instead.")
    return w


# --- ridge -----------------------------------------------------------------------------------------------------


def ridge_path(probs: Problems, lambdas: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Ridge coefficients on the scaled factors for every lambda: (L, K, P). Exact, closed form."""
    lambdas = np.asarray(lambdas, float).reshape(len(lambdas), -1)
    if probs.gram.shape[0] > _SharedGram.MANY_BLOCKS:  # many small blocks (rolling windows): all at once
        dp, m_p, vc, f = _ridge_terms(probs, weights)
        return (m_p @ (vc / (dp + lambdas.T[:, None, :])) + f).transpose(2, 1, 0)
    out = np.empty((lambdas.shape[0], probs.gram.shape[1], probs.xty.shape[1]))
    for sel, ls, coef in ridge_blocks(probs, lambdas, weights):
        out[ls, :, sel] = coef
    return out


def _ridge_bases(gram: np.ndarray, weights: np.ndarray):
    """Every block's ridge path in closed form: ``b(lambda) = M (A c / (d + lambda)) + F c`` for every lambda and
    right-hand side ``c``; (d (B, Kp), M (B, K, Kp), A (B, Kp, K), F (B, K, K)) from the Gram matrices (B, K, K).

    Unpenalised factors are profiled out (Schur complement); the penalised ones are rescaled by
    ``1/sqrt(w)`` so that one eigendecomposition ``(d, V)`` per block gives the whole path.
    """
    n_b, k = gram.shape[:2]
    pen, u = weights > 0, weights == 0
    root = np.sqrt(weights[pen])
    m_map, f_map = np.zeros((n_b, k, pen.sum())), np.zeros((n_b, k, k))
    p_map = np.zeros((n_b, pen.sum(), k))  # c's penalised part after profiling: cp = P c
    p_map[:, :, pen] = np.eye(pen.sum())
    gpp = gram[:, pen][:, :, pen]
    if u.any():
        guu_inv = np.linalg.inv(gram[:, u][:, :, u])
        gpu = gram[:, pen][:, :, u]
        guu_inv_gup = guu_inv @ gram[:, u][:, :, pen]
        gpp = gpp - gpu @ guu_inv_gup
        f_map[:, u[:, None] & u[None, :]] = guu_inv.reshape(n_b, -1)
        p_map[:, :, u] = -gpu @ guu_inv
    d, vec = np.linalg.eigh(gpp / np.outer(root, root))
    m_map[:, pen] = vec / root[:, None]
    if u.any():
        m_map[:, u] = -guu_inv_gup @ m_map[:, pen]
    return d, m_map, vec.transpose(0, 2, 1) @ (p_map / root[:, None]), f_map


def _ridge_basis(g: np.ndarray, c: np.ndarray, weights: np.ndarray):
    """One block's ridge path (see ``_ridge_bases``): (d, vc = A c, M, f = F c)."""
    d, m_map, a_map, f_map = (z[0] for z in _ridge_bases(g[None], weights))
    return d, a_map @ c, m_map, f_map @ c


def _ridge_chunks(probs: Problems, lambdas: np.ndarray, weights: np.ndarray, chunk: int = 20):
    """Yields (block, its problems, a slice of the lambdas, (d, vc, M, f), s = vc / (d + lambda) (l, Kp, m)):
    a block and ``chunk`` lambdas at a time, to keep memory low."""
    lambdas = np.asarray(lambdas, float).reshape(len(lambdas), -1)  # (L, 1) or (L, P)
    for blk in range(probs.gram.shape[0]):
        sel = np.flatnonzero(probs.block == blk)
        basis = _ridge_basis(probs.gram[blk], probs.xty[:, sel], weights)
        d, vc = basis[0], basis[1]
        lam = lambdas[:, sel] if lambdas.shape[1] > 1 else lambdas
        for i in range(0, lam.shape[0], chunk):
            ls = slice(i, min(i + chunk, lam.shape[0]))
            yield blk, sel, ls, basis, vc[None] / (d[None, :, None] + lam[ls, None, :])


def ridge_blocks(probs: Problems, lambdas: np.ndarray, weights: np.ndarray):
    """Yields (problems of a block, a slice of the lambdas, coefficients (l, K, m))."""
    for _, sel, ls, (_, _, m_map, f), sc in _ridge_chunks(probs, lambdas, weights):
        yield sel, ls, np.matmul(m_map, sc) + f[None]


def _ridge_scores(probs: Problems, lambdas: np.ndarray, weights: np.ndarray, test: dict):
    """Held-out squared errors of the ridge path (L, P), computed in each block's eigenbasis.

    With ``b = M s + f`` (see ``_ridge_basis``), the error ``y'y - 2 b'c + b'Gb`` of the test rows is a
    constant, a linear and a quadratic term in ``s``: K x K x P work per lambda, no coefficients formed.
    """
    if probs.gram.shape[0] > _SharedGram.MANY_BLOCKS:
        return _ridge_scores_gathered(probs, lambdas, weights, test)
    out = np.empty((len(lambdas), probs.xty.shape[1]))
    terms = {}
    for blk, sel, ls, (_, _, m_map, f), sc in _ridge_chunks(probs, lambdas, weights):
        if blk not in terms:
            gt, ct, yt = test["gram"][blk], test["xty"][:, sel], test["yty"][sel]
            terms = {blk: (m_map.T @ gt @ m_map, m_map.T @ (ct - gt @ f),
                           yt - 2 * np.einsum("km,km->m", f, ct) + np.einsum("km,km->m", f, gt @ f))}
        h, q, const = terms[blk]
        out[ls, sel] = const - 2 * np.einsum("lkm,km->lm", sc, q) + np.einsum("lkm,lkm->lm", sc, np.matmul(h, sc))
    return out


def _ridge_terms(probs: Problems, weights: np.ndarray):
    """Each problem's ridge path from its block's basis (``_ridge_bases``), problem-major: eigenvalues d (P, Kp, 1),
    M (P, K, Kp), ``vc = A c`` (P, Kp, 1) and ``f = F c`` (P, K, 1), so ``b = M vc / (d + lambda) + f``."""
    d, m_map, a_map, f_map = _ridge_bases(probs.gram, weights)
    blk, c = probs.block, probs.xty.T[:, :, None]
    return d[blk][:, :, None], m_map[blk], a_map[blk] @ c, f_map[blk] @ c


def _ridge_scores_gathered(probs: Problems, lambdas: np.ndarray, weights: np.ndarray, test: dict, chunk: int = 20):
    """``_ridge_scores`` for many small blocks (rolling windows): every block's basis at once, each problem's
    terms gathered from its block's, then ``chunk`` lambdas at a time for all problems (no loop over blocks;
    problem-major arrays, so the small products are batched matrix products)."""
    dp, m_p, vc, f = _ridge_terms(probs, weights)
    ct = test["xty"].T[:, :, None]  # (P, K, 1)
    gt = test["gram"][probs.block]  # (P, K, K)
    gtf = gt @ f
    q = m_p.transpose(0, 2, 1) @ (ct - gtf)  # (P, Kp, 1)
    const = test["yty"] - 2 * (f * ct).sum(axis=(1, 2)) + (f * gtf).sum(axis=(1, 2))
    h = m_p.transpose(0, 2, 1) @ gt @ m_p  # (P, Kp, Kp)
    lambdas = np.asarray(lambdas, float).reshape(len(lambdas), -1)  # (L, 1) or (L, P)
    out = np.empty((len(lambdas), probs.block.size))
    for i in range(0, len(lambdas), chunk):
        ls = slice(i, min(i + chunk, len(lambdas)))
        sc = vc / (dp + lambdas[ls].T[:, None, :])  # (P, Kp, l)
        out[ls] = (const[:, None] - 2 * (sc * q).sum(axis=1) + (sc * (h @ sc)).sum(axis=1)).T
    return out


# --- lasso / elastic net -------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Fit:
    coef: np.ndarray | None  # (L, K, P) on scaled factors (None unless kept)
    gap: np.ndarray | None  # (L, P) duality gap relative to y'y (0 where the KKT check verified the exact solution)
    n_iter: np.ndarray | None  # (L, P) sweeps used
    converged: np.ndarray  # (L, P) when kept, else (P,): converged at every lambda
    sse: np.ndarray | None  # (L, P) held-out squared errors (None without test rows)
    nonzero: np.ndarray | None  # (L, P) non-zero loadings (None unless kept or asked for)


class _Path:
    """The path's state at the current lambda. Problems whose exact active-set solution is cached are
    ``u - l1 v`` (formed only when the path keeps its coefficients); the others (coordinate descent's answers)
    are explicit."""

    def __init__(self, k: int, p: int):
        self.b = np.zeros((k, p))  # explicit coefficients, valid where ``explicit``
        self.explicit = np.ones(p, bool)
        self.cache = None
        self.l1 = np.zeros(p)

    def coef(self) -> np.ndarray:
        """Every problem's coefficients (K, P) at the current lambda."""
        if self.cache is None:
            return self.b.copy()
        part = self.cache.get(np.arange(self.b.shape[1]))
        return np.where(self.explicit, self.b, part[_Cache.U] - self.l1 * part[_Cache.V])


class _Cache:
    """Per problem, the exact active-set solution ``u - l1 v`` with what moves it along the path: the active set and
    signs, the gradient's parts ``c - G u`` and ``G v``, ``c`` itself, and the next event. Stored problem-major
    ((P, parts, K)), so the few problems with an event at a step are read and written as contiguous rows."""

    ACTIVE, SIGN, U, V, GU, GV, C = range(7)

    def __init__(self, c: np.ndarray):
        k, p = c.shape
        self.rows = np.zeros((p, 7, k))
        self.rows[:, self.C] = c.T
        self.nxt = np.zeros(p)

    def get(self, r: np.ndarray) -> np.ndarray:
        """(parts, K, len(r)): the problems ``r``, contiguous (the active set as 0/1)."""
        return np.ascontiguousarray(np.take(self.rows, r, axis=0).transpose(1, 2, 0))

    def start(self, b: np.ndarray, grad: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Every problem at its own ``lambda_max`` (in l1 units): the unpenalised fit ``b`` with gradient ``grad``
        (``_unpenalised_fit``), constant above it (v = 0), its next event at that ``lambda_max``. Returns the parts."""
        rows = self.rows
        rows[:, self.ACTIVE] = (w == 0)[None, :]
        rows[:, self.U], rows[:, self.GU] = b.T, grad.T
        pen = w > 0
        self.nxt = (np.abs(grad[pen]) / w[pen, None]).max(axis=0) if pen.any() else np.zeros(b.shape[1])
        return rows.transpose(1, 2, 0)

    def put(self, r: np.ndarray, part: np.ndarray, nxt: np.ndarray) -> None:
        self.rows[r] = part.transpose(2, 0, 1)
        self.nxt[r] = nxt


class _Scores:
    """Held-out squared errors along the path. For a cached problem ``b = u - l1 v``, so its error
    ``y'y - 2 b'c + b'Gb`` on the test rows is ``A + l1 B + l1^2 C``: refreshed only when (u, v) change."""

    def __init__(self, test: dict, block: np.ndarray):
        self.test, self.gram = test, _SharedGram(test["gram"], block)
        p = block.size
        self.a, self.b, self.c = np.zeros(p), np.zeros(p), np.zeros(p)

    def direct(self, cols: np.ndarray, b: np.ndarray) -> np.ndarray:
        t = self.test
        return t["yty"][cols] - 2 * np.einsum("kp,kp->p", b, t["xty"][:, cols]) + np.einsum(
            "kp,kp->p", b, self.gram.times(cols, b))

    def refresh(self, cols: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
        t, ct = self.test, np.take(self.test["xty"], cols, axis=1)
        gu, gv = self.gram.times(cols, u), self.gram.times(cols, v)
        self.a[cols] = t["yty"][cols] - 2 * np.einsum("kp,kp->p", u, ct) + np.einsum("kp,kp->p", u, gu)
        self.b[cols] = 2 * (np.einsum("kp,kp->p", v, ct) - np.einsum("kp,kp->p", u, gv))
        self.c[cols] = np.einsum("kp,kp->p", v, gv)

    def at(self, path: _Path) -> np.ndarray:
        l1 = path.l1
        out = self.a + l1 * (self.b + l1 * self.c)
        e = np.flatnonzero(path.explicit)
        out[e] = self.direct(e, path.b[:, e])
        return out


def enet_path(
    probs: Problems,
    lambdas: np.ndarray,
    weights: np.ndarray,
    l1_ratio: float = 1.0,
    tol: float = 1e-12,
    max_iter: int = 10_000,
    keep: bool = True,
    test: dict | None = None,
    count: bool | None = None,
) -> _Fit:
    """Elastic-net coefficients for every lambda (descending order is fastest): (L, K, P) and diagnostics.

    ``lambdas`` is (L,) common to all problems or (L, P) one grid per problem. With ``keep=False`` the
    coefficients are not stored (``coef`` is None), nor are the per-lambda diagnostics (only whether each
    problem converged at every lambda), and the non-zero counts only with ``count``. With ``test`` (from
    ``build_problems``) the held-out squared errors are scored at every lambda.

    The lasso moves along each problem's exact piecewise-linear path: between events nothing is computed
    for a problem but its held-out error (a quadratic in lambda), so a step costs in proportion to the
    problems whose active set changes.
    """
    if l1_ratio == 0.0:
        raise InputValueError("l1_ratio is 0: that is ridge regression; use method 'ridge' (its lambda is on another scale).")
    k, p = probs.xty.shape
    n_l = len(lambdas)
    lam = np.broadcast_to(np.ascontiguousarray(lambdas, float).reshape(n_l, -1), (n_l, p))  # rows contiguous
    shared = _SharedGram(probs.gram, probs.block)
    coef = np.empty((n_l, k, p)) if keep else None
    count = keep if count is None else count
    rows = n_l if keep else 1  # the per-lambda diagnostics, or one row: every lambda's folded in
    gap, n_iter, conv = np.zeros((rows, p)), np.zeros((rows, p), int), np.ones((rows, p), bool)
    nonzero = np.empty((n_l, p), int) if count else None
    sse = np.empty((n_l, p)) if test is not None else None
    scores = _Scores(test, probs.block) if test is not None else None
    c, yy = probs.xty, probs.yty
    path = _Path(k, p)
    n_active = np.zeros(p, int)  # non-zero loadings of the cached problems
    no_l2 = np.zeros(p)
    n_l1 = probs.n * l1_ratio

    def cached(cols, part):  # problems whose (u, v) changed: their held-out error's quadratic and active count
        if scores is not None:
            scores.refresh(cols, part[_Cache.U], part[_Cache.V])
        n_active[cols] = part[_Cache.ACTIVE].sum(axis=0)

    for i in range(n_l):
        l1 = n_l1 * lam[i]
        l2 = probs.n * lam[i] * (1.0 - l1_ratio) if l1_ratio < 1.0 else no_l2
        path.explicit[:] = False
        if path.cache is None and l1_ratio == 1.0:
            # the lasso starts at each problem's lambda_max (or the first lambda, if higher), where its penalised
            # loadings are 0: exact with no solve but the unpenalised part's; the homotopy takes it from there
            path.cache = _Cache(c)
            cached(np.arange(p), path.cache.start(*_unpenalised_fit(probs, weights), weights))
        if path.cache is None:
            r, warm = np.arange(p), path.b
        else:  # lasso only: exact on each problem's active set, linear in lambda until the next event
            changed, r, warm, part = _active_set_steps(path.cache, shared, l1, weights)
            if changed.size:
                cached(changed, part)
        path.l1 = l1
        if r.size:
            row = i if keep else 0
            path.b[:, r], g_r, n_iter[row, r], ok_r = _solve(
                shared.stack(r), c[:, r], yy[r], l1[r], l2[r], weights, warm, tol, max_iter
            )
            gap[row, r] = g_r if keep else np.maximum(gap[row, r], g_r)
            conv[row, r] &= ok_r
            path.explicit[r] = True
            if l1_ratio == 1.0:
                cached(r, _update_cache(path.cache, shared, path.b, weights, r, l1))
        if count:  # cached problems: their active count; explicit ones: their non-zero coefficients
            e = np.flatnonzero(path.explicit)
            nonzero[i] = n_active
            nonzero[i, e] = (path.b[:, e] != 0).sum(axis=0)
        if scores is not None:
            sse[i] = scores.at(path) if path.cache is not None else scores.direct(np.arange(p), path.b)
        if keep:
            coef[i] = path.coef()
    if not keep:
        return _Fit(coef=None, gap=None, n_iter=None, converged=conv[0], sse=sse, nonzero=nonzero)
    return _Fit(coef=coef, gap=gap, n_iter=n_iter, converged=conv, sse=sse, nonzero=nonzero)


def _active_set_steps(cache: _Cache, g, l1, w, attempts: int = 4):
    """Lasso homotopy steps to the new penalty ``l1`` (per problem).

    On its active set a problem's solution is ``u - l1 v``, linear in ``l1``, until the next event: an
    active loading reaching zero or an inactive one's gradient reaching the bound. Problems whose next
    event (cached) lies above ``l1`` take the linear solution as it is, with no check and no work. For the
    others the loadings that violate the KKT conditions at ``l1`` enter (with the gradient's sign) and those
    whose sign flipped leave; they are re-solved exactly and checked, up to ``attempts`` times.

    Updates the cache; returns (problems whose (u, v) changed, problems still failing, their linear
    solutions at ``l1`` as warm starts, the changed problems' cache parts).
    """
    seen = np.flatnonzero(cache.nxt >= l1 * (1 - 1e-9))  # an event at or above the new penalty
    if not seen.size:
        return seen, seen, np.zeros((g.gram.shape[1], 0)), None
    part = cache.get(seen)
    act, sg, us, vs, gus, gvs, cs = part
    act = act != 0
    ls = l1[seen]
    warm = us - ls * vs  # the linear solution past its event: the warm start of any that fail
    exact, grad = warm, gus + ls * gvs
    todo = slice(None)  # (positions in ``seen``) still to solve: at first all of them, as views, not copies
    for _ in range(attempts):
        if not exact.shape[1]:
            break
        a, sgn, lt, ct = act[:, todo], sg[:, todo], ls[todo], cs[:, todo]
        bound = lt[None, :] * w[:, None]
        enter = ~a & (np.abs(grad) > bound + _slack(ct, bound))  # a tie (at lambda_max, say) is no event
        leave = a & (w > 0)[:, None] & (np.sign(exact) != sgn)
        a = (a | enter) & ~leave
        sgn = np.where(enter, np.sign(grad), np.where(leave, 0.0, sgn))
        r = seen[todo]
        ur, vr = _active_solve(g.gram, g.block[r], ct, a, sgn, np.zeros(r.size), w, g, r)
        gur, gvr = ct - g.times(r, ur), g.times(r, vr)
        act[:, todo], sg[:, todo], us[:, todo], vs[:, todo], gus[:, todo], gvs[:, todo] = a, sgn, ur, vr, gur, gvr
        exact, grad = ur - lt * vr, gur + lt * gvr
        ok = _kkt_ok(exact, grad, a, sgn, lt, w, ct)
        exact, grad, todo = exact[:, ~ok], grad[:, ~ok], np.arange(seen.size)[todo][~ok]
    part[_Cache.ACTIVE] = act
    cache.put(seen, part, _next_event(us, vs, gus, gvs, act, w, ls))
    return seen, seen[todo], warm[:, todo], part


def _next_event(u, v, gu, gv, active, w, l1):
    """The largest penalty below ``l1`` at which the active set of ``u - t v`` must change (0: none).

    Active penalised loadings reach zero at ``t = u / v``; an inactive one's gradient ``gu + t gv``
    reaches the bound ``t w`` at ``t = gu / (w - gv)`` or ``-gu / (w + gv)``.
    """
    wc, pen = w[:, None], (w > 0)[:, None]
    cap = l1 * (1 + 1e-9)  # ties: at l1 itself

    def first(t, which):  # NaN and inf compare False or fail the bound
        return np.where(which & (t > 0) & (t < cap), t, 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        inactive = ~active & pen
        t = np.maximum(first(gu / (wc - gv), inactive), first(-gu / (wc + gv), inactive))  # enter at +bound, -bound
        t = np.maximum(t, first(u / v, active & pen))  # leave
    return t.max(axis=0)


def _update_cache(cache: _Cache, g, b, w, r, l1):
    """Recompute the lasso active-set solution ``(u, v)``, its gradients and next event for problems ``r`` from
    their coefficients ``b``; returns their cache parts."""
    part = cache.get(r)
    c = part[_Cache.C]
    act = (b[:, r] != 0) | (w == 0)[:, None]
    sg = np.sign(b[:, r])
    ur, vr = _active_solve(g.gram, g.block[r], c, act, sg, np.zeros(r.size), w, g, r)
    gu, gv = c - g.times(r, ur), g.times(r, vr)
    part[:_Cache.C] = act, sg, ur, vr, gu, gv
    cache.put(r, part, _next_event(ur, vr, gu, gv, act, w, l1[r]))
    return part


def _soft(z, t):
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def _solve(g, c, yy, l1, l2, w, b0, tol, max_iter):
    """Exact active-set solve from the warm start, coordinate descent where that fails.

    Minimises ``0.5 b'Gb - c'b + l1 * sum w|b| + 0.5 * l2 * sum w b^2`` per problem (columns).
    Along a fine lambda grid the active set rarely changes, so most problems are solved exactly by
    the first polish; the others run coordinate descent until their duality gap is small or a round leaves
    their signs unchanged, are polished again on their new active set, and so on. Returns (b, relative gap, sweeps, converged).
    """
    k, p = c.shape
    b = b0.copy()
    sweeps = np.zeros(p, int)
    scale = np.maximum(yy, 1e-300)
    diag = np.einsum("jjp->jp", g)
    done = np.zeros(p, bool)
    rel_gap = np.full(p, np.inf)
    candidates = np.arange(p)  # problems to polish now
    target = max(tol, 1e-10)  # gap at which descent hands over to the polish
    rounds = 1
    while True:
        if candidates.size:
            exact, ok = _polish(g[:, :, candidates], c[:, candidates], b[:, candidates],
                                l1[candidates], l2[candidates], w)
            good = candidates[ok]
            b[:, good] = exact[:, ok]
            done[good] = True
        todo = np.flatnonzero(~done)
        if not todo.size or sweeps[todo].max() >= max_iter:
            break
        gs, cs, bs = g[:, :, todo], c[:, todo], b[:, todo]
        l1s, l2s, ds = l1[todo], l2[todo], diag[:, todo]
        r = cs - np.einsum("kjp,jp->kp", gs, bs)  # c - G b, kept up to date
        support = np.sign(bs)
        for _ in range(rounds):
            for j in range(k):
                old = bs[j]
                new = _soft(r[j] + ds[j] * old, l1s * w[j]) / (ds[j] + l2s * w[j])
                r -= gs[:, j, :] * (new - old)
                bs[j] = new
        sweeps[todo] += rounds
        rounds = min(2 * rounds, 16)
        b[:, todo] = bs
        rel_gap[todo] = _gap(gs, cs, yy[todo], bs, l1s, l2s, w) / scale[todo]
        stable = (np.sign(bs) == support).all(axis=0)  # signs unchanged by the last round: the polish may finish it
        candidates = todo[(rel_gap[todo] <= target) | stable]
        if not candidates.size and rounds == 16:
            target = max(target, 10 * rel_gap[todo].min())  # descent stalls: let the polish try
    rel_gap[done] = 0.0  # polished and KKT-verified: exact on the active set, up to rounding
    return b, rel_gap, sweeps, done | (rel_gap <= tol)


def _profile_unpenalised(g, c, b, w):
    """Set the unpenalised coefficients to their optimum given the others (exact, per problem)."""
    u = w == 0
    if not u.any():
        return b
    b = b.copy()
    pen = ~u
    guu = g[np.ix_(u, u)].transpose(2, 0, 1)  # (P, U, U)
    rhs = (c[u] - np.einsum("ijp,jp->ip", g[np.ix_(u, pen)], b[pen])).T[:, :, None]
    b[u] = np.linalg.solve(guu, rhs)[:, :, 0].T
    return b


def _gap(g, c, yy, b, l1, l2, w):
    """Duality gap of ``0.5||y - Xb||^2 + l1 sum w|b| + 0.5 l2 sum w b^2`` (scikit-learn's formula,
    with penalty weights; unpenalised coefficients profiled out first so the dual is feasible)."""
    b = _profile_unpenalised(g, c, b, w)
    gb = np.einsum("kjp,jp->kp", g, b)
    r_norm2 = yy - 2 * np.einsum("kp,kp->p", b, c) + np.einsum("kp,kp->p", b, gb)
    xta = c - gb - l2 * w[:, None] * b
    pen = w > 0
    dual_norm = np.max(np.abs(xta[pen]) / w[pen, None], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        const = np.where(dual_norm > l1, l1 / dual_norm, 1.0)
    r_norm2 = np.maximum(r_norm2, 0.0)
    gap = np.where(dual_norm > l1, 0.5 * r_norm2 * (1 + const**2), r_norm2)
    l1_norm = np.einsum("k,kp->p", w, np.abs(b))
    w_norm2 = np.einsum("k,kp->p", w, b * b)
    ry = yy - np.einsum("kp,kp->p", b, c)
    gap = gap + l1 * l1_norm - const * ry + 0.5 * l2 * (1 + const**2) * w_norm2
    return gap


SMALL_K = 12  # systems up to this size: Gaussian elimination vectorised over the batch beats LAPACK's call per system
MASKED_K = 6  # up to this many factors, every problem's full system (inactive rows masked) in one elimination
FEW_PROBLEMS = 1024  # and up to SMALL_K for this many problems: one call beats one per active count


def _spd_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve the symmetric positive definite systems ``a[:, :, i] x[:, :, i] = b[:, :, i]`` ((k, k, n), (k, m, n):
    the batch last, so every step is one contiguous operation on the whole batch) by Gaussian elimination without
    pivoting (stable for SPD matrices)."""
    a, b = a.copy(), b.copy()
    k = a.shape[0]
    for j in range(k - 1):
        f = a[j + 1:, j] / a[j, j]
        a[j + 1:, j + 1:] -= f[:, None] * a[j, j + 1:][None]
        b[j + 1:] -= f[:, None] * b[j][None]
    x = np.empty_like(b)
    for j in range(k - 1, -1, -1):
        acc = b[j] if j == k - 1 else b[j] - (a[j, j + 1:, None] * x[j + 1:]).sum(axis=0)
        x[j] = acc / a[j, j]
    return x


def _active_solve(gram, blk, c, active, s, l2, w, shared=None, r=None):
    """``(u, v)`` with ``u - l1 * v`` the exact minimiser on the active set with signs ``s``.

    Solves ``(G_AA + l2 W_A) [u, v] = [c_A, (w s)_A]`` for every problem (columns; problem p's Gram
    matrix is ``gram[blk[p]]``) at once: problems with the same number of active loadings are solved together on their active rows
    only (a 10-of-20 system costs an eighth of the full one). With ``shared`` (the problems' ``_SharedGram``; ``r``
    their indices, sorted, and no ``l2``) a system with more active loadings than inactive ones is solved on the
    inactive ones instead, by the block's inverse Gram matrix (``_complement_solve``): a 16-of-20 system costs a 4x4 one.
    """
    k, p = c.shape
    ws = w[:, None] * s
    if k <= MASKED_K or (k <= SMALL_K and p <= FEW_PROBLEMS):
        return _masked_solve(gram[blk], c, active, ws, l2, w)
    u, v = np.zeros((k, p)), np.zeros((k, p))
    counts = active.sum(axis=0)
    if shared is not None and p and 2 * counts.max() > k and shared.inverse is not None:
        comp = np.flatnonzero((2 * counts > k) & shared.inverse[1][blk])
        u[:, comp], v[:, comp] = _complement_solve(shared, r[comp], c[:, comp], active[:, comp], ws[:, comp])
        counts[comp] = 0  # solved
    for a in np.unique(counts):
        if a == 0:
            continue
        sel = np.flatnonzero(counts == a)
        idx = np.nonzero(active[:, sel].T)[1].reshape(sel.size, a)  # (n, a) the active rows of each problem, in order
        ga = gram[blk[sel][:, None, None], idx[:, :, None], idx[:, None, :]]  # one gather of the active blocks
        if np.any(l2[sel]):
            diag = np.arange(a)
            ga[:, diag, diag] += l2[sel, None] * w[idx]
        rhs = np.stack([c[idx, sel[:, None]], ws[idx, sel[:, None]]], axis=2)
        if a <= SMALL_K:
            sol = _spd_solve(ga.transpose(1, 2, 0), rhs.transpose(1, 2, 0)).transpose(2, 0, 1)
        else:
            try:
                sol = _cholesky_solve(ga, rhs)
            except np.linalg.LinAlgError:  # not numerically positive definite: LU says whether it is singular
                sol = np.linalg.solve(ga, rhs)
        bad = ~np.isfinite(sol).all(axis=(1, 2))
        if bad.any():  # a singular system: LAPACK says so (LinAlgError) rather than return non-numbers
            sol[bad] = np.linalg.solve(ga[bad], rhs[bad])
        u[idx, sel[:, None]] = sol[:, :, 0]
        v[idx, sel[:, None]] = sol[:, :, 1]
    return u, v


def _cholesky_solve(ga: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve the SPD systems ``ga`` (n, a, a) for ``rhs`` (n, a, m): LAPACK's Cholesky (a third of its LU solve's time
    for these sizes; with the triangular solves, vectorised over the batch and in place, about 20% faster in all)."""
    lt = np.ascontiguousarray(np.linalg.cholesky(ga).transpose(1, 2, 0))
    b = np.ascontiguousarray(rhs.transpose(1, 2, 0))
    a = lt.shape[0]
    for j in range(a):  # L y = rhs
        if j:
            b[j] -= (lt[j, :j, None] * b[:j]).sum(axis=0)
        b[j] /= lt[j, j]
    for j in range(a - 1, -1, -1):  # L' x = y
        if j < a - 1:
            b[j] -= (lt[j + 1:, j, None] * b[j + 1:]).sum(axis=0)
        b[j] /= lt[j, j]
    return b.transpose(2, 0, 1)


def _complement_solve(shared, r, c, active, ws):
    """``_active_solve`` without ``l2`` for the problems ``r`` (sorted) by their blocks' inverse Gram matrices
    (``shared.inverse``).

    With ``H = G^-1`` and ``I`` the inactive loadings, ``G_AA x_A = b_A`` is ``x = H (b~ + z~)``, with ``b~`` the
    right-hand side zeroed on ``I`` and ``z~`` zero but on ``I``, where ``H_II z = -(H b~)_I`` (so that ``x_I = 0``):
    two products by ``H`` per block and a system the size of the inactive set. Used for well-conditioned blocks only
    (``_SharedGram.inverse``), as its rounding grows with the condition of ``G`` where the direct solve's grows
    with that of ``G_AA``.
    """
    k, n = c.shape
    inv = shared.inverse[0]
    rhs = np.where(active, c, 0.0), np.where(active, ws, 0.0)
    x = [shared.times(r, b, inv) for b in rhs]  # H b~
    z = [np.zeros((k, n)), np.zeros((k, n))]
    counts = k - active.sum(axis=0)
    blk = shared.block[r]
    for m in np.unique(counts):
        if m == 0:
            continue
        sel = np.flatnonzero(counts == m)
        out = np.nonzero(~active[:, sel].T)[1].reshape(sel.size, m).T  # (m, n) each problem's inactive rows
        hii = inv[blk[sel], out[:, None, :], out[None, :, :]]  # (m, m, n)
        zs = _spd_solve(hii, -np.stack([x[0][out, sel], x[1][out, sel]], axis=1))  # (m, 2, n)
        z[0][out, sel], z[1][out, sel] = zs[:, 0], zs[:, 1]
    return tuple(shared.times(r, b + zz, inv) * active for b, zz in zip(rhs, z))  # exactly zero off the active set


def _masked_solve(ga, c, active, ws, l2, w):
    """``_active_solve`` for small systems: each problem's full system ``ga`` ((n, k, k)) with its inactive rows and
    columns replaced by the identity's (and zero right-hand sides), so problems of every active count are one
    batched elimination."""
    m = active  # (k, n)
    ga = np.where(m[:, None] & m[None, :], ga.transpose(1, 2, 0), 0.0)
    diag = np.arange(ga.shape[0])
    ga[diag, diag] = np.where(m, ga[diag, diag] + l2 * w[:, None], 1.0)
    rhs = np.stack([np.where(m, c, 0.0), np.where(m, ws, 0.0)], axis=1)  # (k, 2, n)
    sol = _spd_solve(ga, rhs)
    bad = ~np.isfinite(sol).all(axis=(0, 1))
    if bad.any():  # a singular system: LAPACK says so (LinAlgError) rather than return non-numbers
        sol[:, :, bad] = np.linalg.solve(ga[:, :, bad].transpose(2, 0, 1), rhs[:, :, bad].transpose(2, 0, 1)).transpose(1, 2, 0)
    return sol[:, 0], sol[:, 1]


class _SharedGram:
    """The Gram matrices of the blocks, shared by their problems: products by one matrix product per run of
    equal-sized consecutive blocks (all problems), per block (a subset, few blocks), or per problem (a subset,
    many small blocks: rolling windows)."""

    MANY_BLOCKS = 64

    def __init__(self, gram: np.ndarray, block: np.ndarray):
        self.gram, self.block = gram, block
        self.runs = _runs(block)

    # blocks better conditioned than this: large active systems solved by their inverse (``_complement_solve``). Its
    # rounding grows as cond(G) eps: 4e-12 of the loadings at cond 2e4 (an inactive near-duplicate factor) against
    # 4e-16 solving directly; realistic factor sets (correlations up to 0.99) are at cond 2e2
    COND_MAX = 1e4

    @functools.cached_property
    def inverse(self):
        """(the blocks' inverse Gram matrices, which blocks are conditioned well enough to use them); None when no
        block is, or when there are many blocks (one per rolling window or gappy asset): then each product by the
        inverses would gather a K x K matrix per problem, and the direct solve is faster (measured on 1000 gappy
        assets on 20 factors: the whole call took 8.7 s by the inverses, 6.5 s directly)."""
        if self.gram.shape[0] > self.MANY_BLOCKS:
            return None
        d, q = np.linalg.eigh(self.gram)
        well = (d[:, 0] > 0) & (d[:, -1] <= self.COND_MAX * d[:, 0])
        inv = np.matmul(q / np.where(well[:, None], d, 1.0)[:, None, :], q.transpose(0, 2, 1))  # unused where not well
        return (inv, well) if well.any() else None

    def times(self, r: np.ndarray, z: np.ndarray, mats: np.ndarray | None = None) -> np.ndarray:
        """``G_p z_p`` for the problems ``r`` (sorted; columns of z); with ``mats`` the blocks' other matrices
        (the inverses) instead of ``G``."""
        mats = self.gram if mats is None else mats
        k = z.shape[0]
        if r.size == self.block.size and self.runs is not None:  # every problem, laid out block after block
            out = np.empty_like(z)
            for p0, p1, b0, b1 in self.runs:
                zz = z[:, p0:p1].reshape(k, b1 - b0, -1).transpose(1, 0, 2)
                out[:, p0:p1] = np.matmul(mats[b0:b1], zz).transpose(1, 0, 2).reshape(k, p1 - p0)
            return out
        br = self.block[r]
        if mats.shape[0] > self.MANY_BLOCKS:
            return np.einsum("pkj,jp->kp", mats[br], z)
        out = np.empty_like(z)
        if self.runs is not None and br.size:  # blocks in problem order: each block's problems are one slice of r
            cuts = (np.flatnonzero(br[1:] != br[:-1]) + 1).tolist()
            for p0, p1 in zip([0] + cuts, cuts + [br.size]):
                out[:, p0:p1] = mats[br[p0]] @ z[:, p0:p1]
            return out
        for bb in np.unique(br):
            m = br == bb
            out[:, m] = mats[bb] @ z[:, m]
        return out

    def stack(self, r: np.ndarray) -> np.ndarray:
        """(K, K, len(r)): each problem's Gram matrix, in the layout coordinate descent uses."""
        return np.ascontiguousarray(self.gram[self.block[r]].transpose(1, 2, 0))


def _runs(block: np.ndarray):
    """[(first problem, end problem, first block, end block)] of runs of consecutive blocks with the same number
    of problems each, problems in block order; None when the problems are not laid out block after block."""
    if block.size == 0:
        return None
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    if not np.array_equal(block[starts], np.arange(starts.size)):
        return None
    size = np.diff(np.r_[starts, block.size])
    cuts = np.flatnonzero(np.r_[True, size[1:] != size[:-1]])
    ends = np.r_[cuts[1:], starts.size]
    return [(int(starts[a]), int(starts[a] + size[a] * (b - a)), int(a), int(b)) for a, b in zip(cuts, ends)]


def _slack(c, bound):
    """Rounding allowance of the KKT bound per problem: 1e-9 of the problem's scale."""
    return 1e-9 * (np.abs(c).max(axis=0) + bound.max(axis=0) + 1e-300)


def _kkt_ok(exact, grad, active, s, l1, w, c):
    """KKT conditions of the candidate ``exact`` whose gradient ``c - Gb - l2 w b`` is ``grad``.

    Inactive penalised loadings need ``|grad| <= l1 w`` (up to rounding); active ones must keep
    their sign.
    """
    bound = l1[None, :] * w[:, None]
    inactive_ok = active | (np.abs(grad) <= bound + _slack(c, bound))
    sign_ok = ~(active & (w > 0)[:, None]) | (np.sign(exact) == s)
    return inactive_ok.all(axis=0) & sign_ok.all(axis=0)


def _polish(g, c, b, l1, l2, w):
    """Exact solution on the active set and signs of ``b``; ok where the KKT conditions hold."""
    active = (b != 0) | (w == 0)[:, None]
    s = np.sign(b)
    u, v = _active_solve(g.transpose(2, 0, 1), np.arange(c.shape[1]), c, active, s, l2, w)
    exact = u - l1[None, :] * v
    grad = c - np.einsum("kjp,jp->kp", g, exact) - l2[None, :] * w[:, None] * exact
    return exact, _kkt_ok(exact, grad, active, s, l1, w, c)


# --- public API --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PenalizedResult:
    """Penalised loadings of every asset at every lambda (lambda axis first, even for one lambda)."""

    method: str  # "ridge", "lasso" or "enet"
    lambdas: np.ndarray  # (L, N): the grid of each asset (columns equal when the grid is common)
    intercept: np.ndarray  # (L, N)
    loadings: np.ndarray  # (L, N, K), original units of the factors
    converged: np.ndarray  # (L, N); always True for ridge
    gap: np.ndarray  # (L, N) duality gap relative to y'y; 0 for ridge and where the KKT check verified the exact solution
    nobs: np.ndarray  # (N,) rows used per asset
    l1_ratio: float = 1.0

    @property
    def all_converged(self) -> bool:
        return bool(self.converged.all())

    @property
    def nonzero(self) -> np.ndarray:
        """Number of non-zero loadings, (L, N)."""
        return (self.loadings != 0).sum(axis=2)


def prepare(returns, factors, method, l1_ratio, penalty_weights):
    """Validated (y, x, method, l1_ratio, weights) shared by fitting and cross-validation."""
    y = v.as_float_2d(returns, "returns")
    x = v.as_float_2d(factors, "factors")
    v.check_same_rows(y, x, "returns", "factors")
    method = v.choose(method, METHODS, "method", "lasso")
    if method == "ridge":
        l1_ratio = 0.0
    elif method == "lasso":
        l1_ratio = 1.0
    else:
        l1_ratio = 0.5 if l1_ratio is None else v.check_number(l1_ratio, "l1_ratio", low=0.0, high=1.0)
    complete = v.check_factor_columns(x)
    where = f"the {complete.sum()} rows where every factor is present"
    v.check_not_constant(x[complete], where)
    if method != "ridge":  # ridge with lambda > 0 is unique for collinear factors; lambda 0 is checked in fit
        v.check_not_collinear(x[complete], where, "the lasso cannot tell them apart (its loadings are not unique).")
    return y, x, method, l1_ratio, check_weights(penalty_weights, x.shape[1])


def default_grid(probs: Problems, method: str, weights, l1_ratio, n_lambdas, eps, common: bool) -> np.ndarray:
    """The default lambda grid, (L, P): per problem, or one common grid (the widest) when ``common``."""
    n_lambdas = v.check_nonneg_int(n_lambdas, "n_lambdas", minimum=1, maximum=MAX_LAMBDAS)
    eps = v.check_number(eps, "eps", low=0.0, high=1.0, low_open=True)
    p = probs.xty.shape[1]
    if method == "ridge":
        return np.repeat(ridge_grid(probs.gram[0], n_lambdas)[:, None], p, axis=1)
    lam_max = lasso_lambda_max(probs, weights, l1_ratio if l1_ratio > 0 else 1.0)
    if common:
        lam_max = np.full(p, lam_max.max())
    return lasso_grid(lam_max, n_lambdas, eps)


def score_path(probs: Problems, grid: np.ndarray, method: str, weights, l1_ratio, tol, max_iter, test=None,
               count: bool = False):
    """Held-out squared errors (L, P) on ``test`` (from ``build_problems``; None: skip), non-zero loadings
    (L, P; with ``count``, else None) and whether each problem converged at every lambda (P,), without keeping
    the coefficients (L x K x P floats) in memory."""
    L, p = grid.shape[0], probs.xty.shape[1]
    if method == "ridge":
        sse = _ridge_scores(probs, np.asarray(grid, float).reshape(L, -1), weights, test) if test is not None else None
        return sse, np.full((L, p), probs.gram.shape[1]) if count else None, np.ones(p, bool)
    fit = enet_path(probs, grid, weights, l1_ratio, tol=tol, max_iter=max_iter, keep=False, test=test, count=count)
    return fit.sse, fit.nonzero, fit.converged


def fit_path(probs: Problems, grid: np.ndarray, method: str, weights, l1_ratio, tol, max_iter):
    """Coefficients on the scaled factors (L, K, P), relative gaps (L, P) and convergence (L, P)."""
    if method == "ridge":
        coef = ridge_path(probs, grid, weights)
        return coef, np.zeros(grid.shape), np.ones(grid.shape, bool)
    fit = enet_path(probs, grid, weights, l1_ratio, tol=tol, max_iter=max_iter)
    return fit.coef, fit.gap, fit.converged


@memoize()
def fit(
    returns,
    factors,
    lambdas=None,
    *,
    method: str = "lasso",
    l1_ratio: float | None = None,
    standardize: bool = False,
    penalty_weights=None,
    n_lambdas: int = 100,
    eps: float = 1e-3,
    tol: float = 1e-12,
    max_iter: int = 10_000,
    asset_names: v.Names = None,
    prior=None,
) -> PenalizedResult:
    """Penalised loadings of every asset at one lambda or along a grid (see the module docstring).

    ``prior`` shrinks the loadings towards b0 instead of 0: ``||y - a - Xb||^2 + lambda (b - b0)' W (b - b0)`` for
    ridge, ``(b - b0)`` inside the lasso/enet penalty likewise. b0 is one value per factor, or (assets, factors);
    e.g. b0 = 1 for the market is Vasicek's and Blume's idea that betas revert to 1. It is solved exactly as the
    usual problem for ``y - X b0``, whose loadings are then ``b - b0``.

    ``lambdas`` None uses the default grid: per asset for lasso/enet (from its ``lambda_max``),
    the eigenvalue-scaled ridge grid for ridge. A given grid is used for every asset, in the order given
    (descending is fastest for lasso: warm starts).
    """
    y, x, method, l1_ratio, w = prepare(returns, factors, method, l1_ratio, penalty_weights)
    y, b0 = toward_prior(y, x, prior)
    probs, _ = build_problems(y, x, [np.arange(y.shape[0])], bool(standardize), asset_names=asset_names)
    if lambdas is None:
        grid = default_grid(probs, method, w, l1_ratio, n_lambdas, eps, common=False)
    else:
        grid = np.repeat(check_grid(lambdas)[:, None], probs.xty.shape[1], axis=1)
    if method == "ridge" and (grid == 0).any():
        complete = np.isfinite(x).all(axis=1)
        v.check_not_collinear(x[complete], f"the {complete.sum()} rows where every factor is present",
                              "ridge with lambda 0 is OLS, which needs independent factors; use lambda > 0 or")
    coef, gap, conv = fit_path(probs, grid, method, w, l1_ratio, tol, max_iter)
    intercept, loadings = probs.original_units(coef)
    order = np.argsort(probs.asset)
    return PenalizedResult(
        method=method,
        lambdas=grid[:, order],
        intercept=intercept[:, order],
        loadings=loadings[:, :, order].transpose(0, 2, 1) + b0 + 0.0,  # + 0.0 turns the solver's -0.0 into 0.0
        converged=conv[:, order],
        gap=gap[:, order],
        nobs=probs.n[order],
        l1_ratio=l1_ratio,
    )


def toward_prior(y: np.ndarray, x: np.ndarray, prior) -> tuple[np.ndarray, np.ndarray]:
    """(y - X b0, b0 as (assets, factors)): the substitution c = b - b0 that turns shrinkage towards b0 into the
    usual shrinkage towards 0. Without a prior: (y, 0)."""
    n_assets, k = y.shape[1], x.shape[1]
    if prior is None:
        return y, np.zeros((n_assets, k))
    b0 = v.as_float_2d(prior, "prior", allow_missing=False)
    if b0.size == k:
        b0 = np.broadcast_to(b0.reshape(1, k), (n_assets, k))
    elif b0.shape != (n_assets, k):
        raise InputShapeError(f"prior has {b0.size} values; give one per factor ({k}), or one per asset and factor "
                              f"({n_assets} x {k}).")
    return y - x @ b0.T, np.array(b0)


def ridge(returns, factors, lam, **kw) -> PenalizedResult:
    """Ridge loadings ``argmin ||y - a - Xb||^2 + lam ||b||^2`` (scikit-learn ``Ridge(alpha=lam)``)."""
    return fit(returns, factors, lam, method="ridge", **kw)


def lasso(returns, factors, lam=None, **kw) -> PenalizedResult:
    """Lasso loadings ``argmin 1/(2n) ||y - a - Xb||^2 + lam |b|_1`` (scikit-learn ``Lasso(alpha=lam)``)."""
    return fit(returns, factors, lam, method="lasso", **kw)


def elastic_net(returns, factors, lam=None, l1_ratio: float = 0.5, **kw) -> PenalizedResult:
    """Elastic-net loadings (scikit-learn ``ElasticNet(alpha=lam, l1_ratio=l1_ratio)``)."""
    return fit(returns, factors, lam, method="enet", l1_ratio=l1_ratio, **kw)
