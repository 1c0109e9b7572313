"""Ridge in each block's eigenbasis: the whole path in closed form, and its held-out errors without forming the
coefficients. Objective ``||y - a - Xb||^2 + lambda * sum_k w_k b_k^2`` (``w``: ``Penalty.weights``, checked)."""

from __future__ import annotations

from typing import cast

import numpy as np

from ..options import Penalty, SolvePolicy
from .linalg import AUTO
from .problems import Problems

_CELLS = 2**14  # ridge_scores' lambdas per step: about this many (lambda, factor, problem) cells, 128 KiB a step's
# array: at 5040 x 20 x 3000 one lambda a step took 20 ms a fold against 37 ms for 20 at once (out of the cache);
# at 1260 x 10 x 100, 8-16 lambdas a step (0.8 ms, against 2 ms one at a time: numpy's per-call cost)


def ridge_path(probs: Problems, lambdas: np.ndarray, pen: Penalty, policy: SolvePolicy = AUTO) -> np.ndarray:
    """Ridge coefficients on the scaled factors for every lambda: (L, K, P). Exact, closed form: block by block, or
    with more than ``policy.many_blocks`` blocks all at once."""
    lambdas = np.asarray(lambdas, float).reshape(len(lambdas), -1)
    if probs.gram.shape[0] > policy.many_blocks:  # many small blocks (rolling windows): all at once
        dp, m_p, vc, f = _ridge_terms(probs, pen)
        return (m_p @ (vc / (dp + lambdas.T[:, None, :])) + f).transpose(2, 1, 0)
    out = np.empty((lambdas.shape[0], probs.gram.shape[1], probs.xty.shape[1]))
    for sel, ls, coef in ridge_blocks(probs, lambdas, pen):
        out[ls, :, sel] = coef
    return out


def _ridge_bases(gram: np.ndarray, pen: Penalty):
    """Every block's ridge path in closed form: ``b(lambda) = M (A c / (d + lambda)) + F c`` for every lambda and
    right-hand side ``c``; (d (B, Kp), M (B, K, Kp), A (B, Kp, K), F (B, K, K)) from the Gram matrices (B, K, K).

    Unpenalised factors are profiled out (Schur complement); the penalised ones are rescaled by
    ``1/sqrt(w)`` so that one eigendecomposition ``(d, V)`` per block gives the whole path.
    """
    weights = cast(np.ndarray, pen.weights)  # checked (Penalty.checked): a float vector
    n_b, k = gram.shape[:2]
    on, u = weights > 0, weights == 0
    root = np.sqrt(weights[on])
    m_map, f_map = np.zeros((n_b, k, on.sum())), np.zeros((n_b, k, k))
    p_map = np.zeros((n_b, on.sum(), k))  # c's penalised part after profiling: cp = P c
    p_map[:, :, on] = np.eye(on.sum())
    gpp = gram[:, on][:, :, on]
    if u.any():
        guu_inv = np.linalg.inv(gram[:, u][:, :, u])
        gpu = gram[:, on][:, :, u]
        guu_inv_gup = guu_inv @ gram[:, u][:, :, on]
        gpp = gpp - gpu @ guu_inv_gup
        f_map[:, u[:, None] & u[None, :]] = guu_inv.reshape(n_b, -1)
        p_map[:, :, u] = -gpu @ guu_inv
    d, vec = np.linalg.eigh(gpp / np.outer(root, root))
    m_map[:, on] = vec / root[:, None]
    if u.any():
        m_map[:, u] = -guu_inv_gup @ m_map[:, on]
    return d, m_map, vec.transpose(0, 2, 1) @ (p_map / root[:, None]), f_map


def _ridge_basis(g: np.ndarray, c: np.ndarray, pen: Penalty):
    """One block's ridge path (see ``_ridge_bases``): (d, vc = A c, M, f = F c)."""
    d, m_map, a_map, f_map = (z[0] for z in _ridge_bases(g[None], pen))
    return d, a_map @ c, m_map, f_map @ c


def _ridge_chunks(probs: Problems, lambdas: np.ndarray, pen: Penalty, chunk: int = 20):
    """Yields (block, its problems, a slice of the lambdas, (d, vc, M, f), s = vc / (d + lambda) (l, Kp, m)):
    a block and ``chunk`` lambdas at a time, to keep memory low."""
    lambdas = np.asarray(lambdas, float).reshape(len(lambdas), -1)  # (L, 1) or (L, P)
    for blk in range(probs.gram.shape[0]):
        sel = np.flatnonzero(probs.block == blk)
        basis = _ridge_basis(probs.gram[blk], probs.xty[:, sel], pen)
        d, vc = basis[0], basis[1]
        lam = lambdas[:, sel] if lambdas.shape[1] > 1 else lambdas
        for i in range(0, lam.shape[0], chunk):
            ls = slice(i, min(i + chunk, lam.shape[0]))
            yield blk, sel, ls, basis, vc[None] / (d[None, :, None] + lam[ls, None, :])


def ridge_blocks(probs: Problems, lambdas: np.ndarray, pen: Penalty):
    """Yields (problems of a block, a slice of the lambdas, coefficients (l, K, m))."""
    for _, sel, ls, (_, _, m_map, f), sc in _ridge_chunks(probs, lambdas, pen):
        yield sel, ls, np.matmul(m_map, sc) + f[None]


def ridge_scores(probs: Problems, lambdas: np.ndarray, pen: Penalty, test: dict, policy: SolvePolicy = AUTO):
    """Held-out squared errors of the ridge path (L, P), computed in each block's eigenbasis.

    With ``b = M s + f`` (see ``_ridge_basis``), the error ``y'y - 2 b'c + b'Gb`` of the test rows is a
    constant, a linear and a quadratic term in ``s``: ``const + s'(H s - 2 q)``, K x K x P work per lambda, no
    coefficients formed. A few lambdas at a time, so that each step's arrays stay in the cache (``_CELLS``).
    """
    lambdas = np.asarray(lambdas, float).reshape(len(lambdas), -1)  # (L, 1) or (L, P)
    if lambdas.shape[1] > 1 and (lambdas == lambdas[:, :1]).all():  # one grid for all: broadcast it
        lambdas = lambdas[:, :1]
    if probs.gram.shape[0] > policy.many_blocks:
        return _ridge_scores_gathered(probs, lambdas, pen, test)
    out = np.empty((len(lambdas), probs.xty.shape[1]))
    for blk in range(probs.gram.shape[0]):
        sel = np.flatnonzero(probs.block == blk)
        d, vc, m_map, f = _ridge_basis(probs.gram[blk], probs.xty[:, sel], pen)
        gt, ct, yt = test["gram"][blk], test["xty"][:, sel], test["yty"][sel]
        h, q2 = m_map.T @ gt @ m_map, 2 * (m_map.T @ (ct - gt @ f))
        const = yt - 2 * np.einsum("km,km->m", f, ct) + np.einsum("km,km->m", f, gt @ f)
        lam = lambdas[:, sel] if lambdas.shape[1] > 1 else lambdas
        chunk = max(1, _CELLS // vc.size)
        for i in range(0, lam.shape[0], chunk):
            ls = slice(i, min(i + chunk, lam.shape[0]))
            sc = vc[None] / (d[None, :, None] + lam[ls, None, :])  # (l, Kp, m)
            hs = np.matmul(h, sc)
            hs -= q2
            hs *= sc
            out[ls, sel] = const + hs.sum(axis=1)
    return out


def _ridge_terms(probs: Problems, pen: Penalty):
    """Each problem's ridge path from its block's basis (``_ridge_bases``), problem-major: eigenvalues d (P, Kp, 1),
    M (P, K, Kp), ``vc = A c`` (P, Kp, 1) and ``f = F c`` (P, K, 1), so ``b = M vc / (d + lambda) + f``."""
    d, m_map, a_map, f_map = _ridge_bases(probs.gram, pen)
    blk, c = probs.block, probs.xty.T[:, :, None]
    return d[blk][:, :, None], m_map[blk], a_map[blk] @ c, f_map[blk] @ c


def _ridge_scores_gathered(probs: Problems, lambdas: np.ndarray, pen: Penalty, test: dict, chunk: int = 20):
    """``ridge_scores`` for many small blocks (rolling windows): every block's basis at once, each problem's
    terms gathered from its block's, then ``chunk`` lambdas at a time for all problems (no loop over blocks;
    problem-major arrays, so the small products are batched matrix products)."""
    dp, m_p, vc, f = _ridge_terms(probs, pen)
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
