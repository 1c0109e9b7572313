"""The problem set: the Gram quantities ``X'X``, ``X'y``, ``y'y`` of every (block of rows, asset), from which every
penalised fit, lambda and cross-validation fold is solved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import InsufficientDataError
from .. import _validation as v
from ..least_squares import usable_groups


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
        sub = Problems(
            gram=self.gram[used],
            xty=self.xty[:, cols],
            yty=self.yty[cols],
            n=self.n[cols],
            block=block,
            asset=self.asset[cols],
            rowset=self.rowset[cols],
            xmean=self.xmean[used],
            xscale=self.xscale[used],
            ymean=self.ymean[cols],
        )
        if test is None:
            return sub, None
        return sub, {
            "gram": test["gram"][used],
            "xty": test["xty"][:, cols],
            "yty": test["yty"][cols],
            "n": test["n"][cols],
        }

    def original_units(self, bs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(intercept (..., P), loadings (..., K, P)) from coefficients on the scaled factors."""
        b = bs / self.xscale[self.block].T
        return self.ymean - np.einsum("pk,...kp->...p", self.xmean[self.block], b), b


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
    return [rows[order[bounds[a] : bounds[a + 1]]] for a in used], keys[:, used]


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
            ya = y[rows[0] : rows[-1] + 1] if every else y[rows[0] : rows[-1] + 1, cols]
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


def build_problems(
    y,
    x,
    row_sets,
    standardize: bool,
    test_sets=None,
    asset_names: v.Names = None,
    set_label=_fold_label,
    short: str = "raise",
):
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
    parts: dict[str, list[np.ndarray]] = {
        name: [] for name in ("gram", "xty", "yty", "n", "block", "asset", "rowset", "xmean", "xscale", "ymean")
    }
    test: dict[str, Any] | None = {"gram": [], "xty": [], "yty": [], "n": []} if test_sets is not None else None
    n_blocks = 0
    membership = _membership(sets, x.shape[0])
    in_first = membership[0][0]
    for grows, cols in usable_groups(ok):
        if grows.size == 0:  # no usable row at all (a column of blanks)
            if short == "raise":
                raise InsufficientDataError(
                    f"returns {v.label('column', cols[0], asset_names)} has no usable rows; "
                    f"a penalised regression on {k} factor(s) needs at least {k + 2}."
                )
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
                + set_label(s, n_sets)
                + f"; a penalised regression on {k} factor(s) needs at least {k + 2}."
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
            nt, tx, txx, ty, txy, tyy = _set_sums(member[len(n) :], mom)
            g_t = (
                txx
                - tx[:, :, None] * xm[:, None, :]
                - xm[:, :, None] * tx[:, None, :]
                + nt[:, None, None] * xm[:, :, None] * xm[:, None, :]
            )
            c_t = (
                txy
                - tx[:, :, None] * ym[:, None, :]
                - xm[:, :, None] * ty[:, None, :]
                + nt[:, None, None] * xm[:, :, None] * ym[:, None, :]
            )
            test["gram"].append(g_t / outer_sd)
            test["xty"].append((c_t / sd[:, :, None]).transpose(1, 0, 2).reshape(k, n_s * m))
            test["yty"].append(np.maximum(tyy - 2 * ym * ty + nt[:, None] * ym * ym, 0.0).ravel())
            test["n"].append(np.repeat(nt.astype(int), m))
        n_blocks += n_s
    if not n_blocks:
        raise InsufficientDataError(f"no asset has the {k + 2} usable rows a regression on {k} factor(s) needs.")
    join: dict[str, Callable[..., np.ndarray]] = {
        "gram": np.concatenate,
        "xty": np.hstack,
        "xmean": np.concatenate,
        "xscale": np.concatenate,
    }
    probs = Problems(**{name: join.get(name, np.concatenate)(vals) for name, vals in parts.items()})
    if test is not None:
        test = {name: join.get(name, np.concatenate)(vals) for name, vals in test.items()}
    return probs, test
