"""Shared test fixtures: where the real data lives, and skipping cleanly without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BOOSTRANK_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
MQ2008_ROOT = SHARED_DATA / "MQ2008"
SAMPLE_DIR = REPO_ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def mq2008_root() -> Path:
    """The LETOR 4.0 MQ2008 folder (five folds); the test skips when it is absent."""
    if not (MQ2008_ROOT / "Fold1" / "train.txt").is_file():
        pytest.skip(f"MQ2008 not found at {MQ2008_ROOT} (set BOOSTRANK_SHARED_DATA to its parent)")
    return MQ2008_ROOT


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The bundled generated sample (data/sample/{train,vali,test}.txt)."""
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def libsvm_splits(tmp_path_factory):
    """Write generated LibSVM files in a fresh folder and return ``{split: path}``.

    ``libsvm_splits(folder_name, {split: (n_queries, random_state)}, docs_per_query=(4, 12),
    n_features=6)``: each split is ``make_ranking(..., decimals=4)`` saved as ``<split>.txt``.
    """
    from boostrank.data import make_ranking, save_libsvm

    def write(folder_name: str, splits: dict[str, tuple[int, int]],
              docs_per_query: tuple[int, int] = (4, 12), n_features: int = 6) -> dict[str, Path]:
        folder = tmp_path_factory.mktemp(folder_name)
        paths = {}
        for split, (n_queries, seed) in splits.items():
            paths[split] = folder / f"{split}.txt"
            save_libsvm(make_ranking(n_queries, docs_per_query, n_features, random_state=seed,
                                     decimals=4), paths[split])
        return paths

    return write


@pytest.fixture(scope="session")
def ranking_splits():
    """Generated ``(train, valid, test)`` RankingData.

    ``ranking_splits(n_queries=(train, valid, test), docs_per_query, n_features,
    random_state)``: split ``i`` is ``make_ranking`` with ``random_state + i``.
    """
    from boostrank.data import make_ranking

    def make(n_queries: tuple[int, int, int], docs_per_query: tuple[int, int],
             n_features: int, random_state: int) -> tuple:
        return tuple(make_ranking(n, docs_per_query, n_features, random_state=random_state + i)
                     for i, n in enumerate(n_queries))

    return make


@pytest.fixture(scope="session")
def dask_client():
    """A local Dask cluster (two worker processes, one thread each, loopback only), shared by
    every test that trains on a cluster."""
    pytest.importorskip("distributed")
    pytest.importorskip("dask.dataframe")  # xgboost.dask needs it
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                           host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
