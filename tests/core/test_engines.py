"""The Dask engine runs the same chunks as the local one, so its numbers are identical, not merely close."""

import builtins

import numpy as np
import pytest

from xlfactor.core import backtest, engines, rolling
from xlfactor.errors import InputValueError

FIELDS = ("lambdas", "intercept", "loadings", "r2", "specific_var", "factor_cov", "nobs")


@pytest.fixture(scope="module")
def data(french):
    y = french.portfolios.sub(french.rf, axis=0).to_numpy()[174:]
    return y, french.five_factors.to_numpy()[174:]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.mark.parametrize("method", ["lasso", "ridge", "ols"])
def test_dask_equals_local_exactly(data, client, method):
    y, x = data
    opts = dict(step=6, method=method, chunk_windows=20)
    local = rolling.rolling(y, x, 60, **opts)
    seen = []
    remote = rolling.rolling(
        y, x, 60, engine="dask", scheduler=client, progress=lambda d, t: seen.append((d, t)), **opts
    )
    assert len(local.ends) == 98 and seen[-1] == (5, 5)  # 98 windows in chunks of 20
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(remote, field), getattr(local, field), err_msg=field)


def test_dask_backtest_equals_local_exactly(data, client):
    y, x = data
    local = backtest.backtest(y, x, 60, step=12, models=["lasso_market_free"])
    remote = backtest.backtest(
        y, x, 60, step=12, models=["lasso_market_free"], engine="dask", scheduler=client.scheduler.address
    )  # an address, as on the command line
    # the cluster's chunks (several per worker) are not the local run's one chunk: equal to the last bits (the
    # Gram sums add the rows in another order; the lasso solves to 1e-12)
    np.testing.assert_allclose(remote.weights, local.weights, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(remote.returns, local.returns, rtol=1e-10, atol=1e-12)


def test_dask_chunks_by_the_cluster_and_sends_the_data_once(data, client):
    """2 single-threaded workers: 4 chunks each by default; the data scattered once, not sent with each task."""
    y, x = data
    seen, sent = [], []
    real = client.submit

    def submit(fn, *args, **kw):
        sent.append(sum(a.nbytes for a in args if isinstance(a, np.ndarray)))
        return real(fn, *args, **kw)

    client.submit = submit
    try:
        remote = rolling.rolling(
            y, x, 60, step=6, method="lasso", engine="dask", scheduler=client, progress=lambda d, t: seen.append(t)
        )
    finally:
        del client.submit
    assert seen[-1] == len(sent) == 8 and max(sent) < 1000  # windows and rows named, no data in a task
    local = rolling.rolling(y, x, 60, step=6, method="lasso")  # one chunk here
    for field in FIELDS:
        np.testing.assert_allclose(getattr(remote, field), getattr(local, field), rtol=1e-10, atol=1e-12, err_msg=field)
    same = rolling.rolling(y, x, 60, step=6, method="lasso", chunk_windows=13)  # the cluster's chunks: identical
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(remote, field), getattr(same, field), err_msg=field)


def test_local_engine_reports_progress_and_refuses_a_scheduler():
    seen = []
    assert engines.run_chunks("local", None, lambda a: a * 2, [(1,), (2,)], lambda d, t: seen.append((d, t))) == [2, 4]
    assert seen == [(1, 2), (2, 2)]
    with pytest.raises(InputValueError, match="scheduler is for engine 'dask'"):
        engines.run_chunks("local", "tcp://x:8786", len, [])
    with pytest.raises(InputValueError, match="engine must be one of"):
        engines.run_chunks("spark", None, len, [])


def test_without_dask_the_message_says_how_to_install_it(monkeypatch):
    real = builtins.__import__

    def no_dask(name, *a, **k):
        if name.startswith("dask"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(InputValueError, match=r"pip install \"\.\[dask\]\" in the xlfactor folder"):
        engines.run_chunks("dask", None, len, [("ab",)])


def test_malloc_thresholds_are_restored_only_where_dask_fixed_them(client, monkeypatch):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536: every large temporary a fresh mapping (system time
    7x); the engine sets glibc's usual thresholds in such a worker (the module's cluster: its nanny started the
    workers), and leaves other processes alone (this one, the variable unset)."""
    assert set(client.run(lambda: __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {"65536"}
    assert list(client.run(engines.malloc_as_by_default).values()) == [True, True]
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert engines.malloc_as_by_default() is False
