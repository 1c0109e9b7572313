"""Batched linear algebra of the penalised solvers: symmetric positive definite systems solved for many problems at
once (the batch last), and the Gram matrices that blocks of problems share.

Which solver a batch gets is decided by a ``options.SolvePolicy`` (its thresholds, measured, are documented there):
masked full systems, systems grouped by active count (Gaussian elimination, or Cholesky for larger ones), or the
inactive complement through a block's inverse Gram matrix.
"""

from __future__ import annotations

import functools

import numpy as np

from ..options import SolvePolicy

AUTO = SolvePolicy()


def _spd_solve(a: np.ndarray, b: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """Solve the symmetric positive definite systems ``a[:, :, i] x[:, :, i] = b[:, :, i]`` ((k, k, n), (k, m, n):
    the batch last, so every step is one contiguous operation on the whole batch) by Gaussian elimination without
    pivoting (stable for SPD matrices). ``overwrite``: ``a`` and ``b`` are scratch (the caller's fresh arrays)."""
    if not overwrite:
        a, b = a.copy(), b.copy()
    k = a.shape[0]
    for j in range(k - 1):
        f = a[j + 1 :, j] / a[j, j]
        a[j + 1 :, j + 1 :] -= f[:, None] * a[j, j + 1 :][None]
        b[j + 1 :] -= f[:, None] * b[j][None]
    x = np.empty_like(b)
    for j in range(k - 1, -1, -1):
        acc = b[j] if j == k - 1 else b[j] - (a[j, j + 1 :, None] * x[j + 1 :]).sum(axis=0)
        x[j] = acc / a[j, j]
    return x


def _batch_solve(a: np.ndarray, b: np.ndarray, policy: SolvePolicy, overwrite: bool = False) -> np.ndarray:
    """``_spd_solve``'s systems (the batch last); a batch of at most ``policy.lapack_per_k`` x k systems by LAPACK's LU,
    one call for the batch (see ``SolvePolicy``)."""
    k, n = a.shape[0], a.shape[-1]
    if n <= policy.lapack_per_k * k:
        return np.linalg.solve(a.transpose(2, 0, 1), b.transpose(2, 0, 1)).transpose(1, 2, 0)
    return _spd_solve(a, b, overwrite)


def active_solve(gram, blk, c, active, s, l2, w, shared=None, r=None, policy: SolvePolicy = AUTO):
    """``(u, v)`` with ``u - l1 * v`` the exact minimiser on the active set with signs ``s``.

    Solves ``(G_AA + l2 W_A) [u, v] = [c_A, (w s)_A]`` for every problem (columns; problem p's Gram
    matrix is ``gram[blk[p]]``) at once: problems with the same number of active loadings are solved together on their active rows
    only (a 10-of-20 system costs an eighth of the full one), as ``policy`` says. With ``shared`` (the problems' ``SharedGram``; ``r``
    their indices, sorted, and no ``l2``) a system with more active loadings than inactive ones is solved on the
    inactive ones instead, by the block's inverse Gram matrix (``_complement_solve``): a 16-of-20 system costs a 4x4 one.
    """
    k, p = c.shape
    ws = w[:, None] * s
    if k <= policy.masked_k or (k <= policy.small_k and p <= policy.few_problems):
        return _masked_solve(gram[blk], c, active, ws, l2, w, policy)
    u, v = np.zeros((k, p)), np.zeros((k, p))
    counts = active.sum(axis=0)
    if shared is not None and p and 2 * counts.max() > k and shared.inverse is not None:
        comp = np.flatnonzero((2 * counts > k) & shared.inverse[1][blk])
        u[:, comp], v[:, comp] = _complement_solve(shared, r[comp], c[:, comp], active[:, comp], ws[:, comp], policy)
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
        if sel.size <= policy.lapack_per_k * a:
            sol = np.linalg.solve(ga, rhs)
        elif a <= policy.small_k:
            sol = _spd_solve(ga.transpose(1, 2, 0), rhs.transpose(1, 2, 0)).transpose(2, 0, 1)
        else:
            sol = factor_solve(ga, rhs)
        bad = ~np.isfinite(sol).all(axis=(1, 2))
        if bad.any():  # a singular system: LAPACK says so (LinAlgError) rather than return non-numbers
            sol[bad] = np.linalg.solve(ga[bad], rhs[bad])
        u[idx, sel[:, None]] = sol[:, :, 0]
        v[idx, sel[:, None]] = sol[:, :, 1]
    return u, v


def factor_solve(ga: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve the systems ``ga`` (n, a, a) for ``rhs`` (n, a, m) by Cholesky (``_cholesky_solve``); where a system is
    not numerically positive definite, Cholesky refuses the batch and LU solves it (and says if one is singular)."""
    try:
        return _cholesky_solve(ga, rhs)
    except np.linalg.LinAlgError:
        return np.linalg.solve(ga, rhs)


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
            b[j] -= (lt[j + 1 :, j, None] * b[j + 1 :]).sum(axis=0)
        b[j] /= lt[j, j]
    return b.transpose(2, 0, 1)


def _complement_solve(shared, r, c, active, ws, policy: SolvePolicy = AUTO):
    """``active_solve`` without ``l2`` for the problems ``r`` (sorted) by their blocks' inverse Gram matrices
    (``shared.inverse``).

    With ``H = G^-1`` and ``I`` the inactive loadings, ``G_AA x_A = b_A`` is ``x = H (b~ + z~)``, with ``b~`` the
    right-hand side zeroed on ``I`` and ``z~`` zero but on ``I``, where ``H_II z = -(H b~)_I`` (so that ``x_I = 0``):
    two products by ``H`` per block and a system the size of the inactive set. Used for well-conditioned blocks only
    (``SharedGram.inverse``), as its rounding grows with the condition of ``G`` where the direct solve's grows
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
        zs = _batch_solve(hii, -np.stack([x[0][out, sel], x[1][out, sel]], axis=1), policy, True)  # (m, 2, n)
        z[0][out, sel], z[1][out, sel] = zs[:, 0], zs[:, 1]
    return tuple(
        shared.times(r, b + zz, inv) * active for b, zz in zip(rhs, z, strict=True)
    )  # exactly zero off the active set


def _masked_system(ga, c, active, ws, l2, w) -> tuple[np.ndarray, np.ndarray]:
    """The masked systems of ``_masked_solve``: ((k, k, n), (k, 2, n)), fresh arrays."""
    m = active  # (k, n)
    ga = np.where(m[:, None] & m[None, :], ga.transpose(1, 2, 0), 0.0)
    diag = np.arange(ga.shape[0])
    ga[diag, diag] = np.where(m, ga[diag, diag] + l2 * w[:, None], 1.0)
    rhs = np.stack([np.where(m, c, 0.0), np.where(m, ws, 0.0)], axis=1)  # (k, 2, n)
    return ga, rhs


def _masked_solve(ga, c, active, ws, l2, w, policy: SolvePolicy = AUTO):
    """``active_solve`` for small systems: each problem's full system ``ga`` ((n, k, k)) with its inactive rows and
    columns replaced by the identity's (and zero right-hand sides), so problems of every active count are one
    batched elimination (or LAPACK call, for a small batch)."""
    sol = _batch_solve(*_masked_system(ga, c, active, ws, l2, w), policy, overwrite=True)
    bad = ~np.isfinite(sol).all(axis=(0, 1))
    if bad.any():  # a singular system: LAPACK says so (LinAlgError) rather than return non-numbers
        a, rhs = _masked_system(ga, c, active, ws, l2, w)  # the elimination overwrote the first
        sol[:, :, bad] = np.linalg.solve(a[:, :, bad].transpose(2, 0, 1), rhs[:, :, bad].transpose(2, 0, 1)).transpose(
            1, 2, 0
        )
    return sol[:, 0], sol[:, 1]


class SharedGram:
    """The Gram matrices of the blocks, shared by their problems: products by one matrix product per run of
    equal-sized consecutive blocks (all problems), per block (a subset, few blocks), or per problem (a subset,
    many small blocks, over ``policy.many_blocks``: rolling windows)."""

    def __init__(self, gram: np.ndarray, block: np.ndarray, policy: SolvePolicy = AUTO):
        self.gram, self.block, self.policy = gram, block, policy
        self.runs = _runs(block)

    @functools.cached_property
    def inverse(self):
        """(the blocks' inverse Gram matrices, which blocks are conditioned well enough to use them: condition number
        up to ``policy.cond_max``); None when no block is, or when there are more than ``policy.many_blocks`` blocks
        (see ``SolvePolicy``)."""
        if self.gram.shape[0] > self.policy.many_blocks or self.policy.cond_max <= 0:
            return None
        d, q = np.linalg.eigh(self.gram)
        well = (d[:, 0] > 0) & (d[:, -1] <= self.policy.cond_max * d[:, 0])
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
        if mats.shape[0] > self.policy.many_blocks or r.size * k <= self.policy.gather_k:
            return np.einsum("pkj,jp->kp", mats[br], z)
        out = np.empty_like(z)
        if self.runs is not None and br.size:  # blocks in problem order: each block's problems are one slice of r
            cuts = (np.flatnonzero(br[1:] != br[:-1]) + 1).tolist()
            for p0, p1 in zip([0] + cuts, cuts + [br.size], strict=True):
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
    return [
        (int(starts[a]), int(starts[a] + size[a] * (b - a)), int(a), int(b)) for a, b in zip(cuts, ends, strict=True)
    ]
