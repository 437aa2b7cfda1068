"""LambdaMART on a real Dask LocalCluster (2 worker processes on 127.0.0.1), both backends.

The distributed model must match the single-machine one (test NDCG@10 within 0.01 with the
same parameters), be an ordinary local model afterwards (predict without a cluster, save/load
as the single-machine class), replay the per-round evaluation exactly, and refuse partitions
that split a query with an error naming the qid and both files.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")  # xgboost.dask needs it (pyarrow)

from sklearn.base import clone  # noqa: E402

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART  # noqa: E402
from boostrank.data import load_libsvm, make_ranking, save_libsvm  # noqa: E402
from boostrank.data.ranking_data import RankingData  # noqa: E402
from boostrank.distributed import (  # noqa: E402
    DaskLightGBMLambdaMART,
    DaskXGBoostLambdaMART,
    PartitionError,
    partition_queries,
    to_dask_ranking_data,
)
from boostrank.distributed.partition import check_disjoint_queries, summarize  # noqa: E402
from boostrank.estimator import BaseRanker  # noqa: E402
from boostrank.metrics import evaluate  # noqa: E402

PAIRS = [(LightGBMLambdaMART, DaskLightGBMLambdaMART), (XGBoostLambdaMART, DaskXGBoostLambdaMART)]
IDS = ["lightgbm", "xgboost"]


@pytest.fixture
def client(dask_client):
    return dask_client


@pytest.fixture(scope="module")
def splits():
    data = make_ranking(1000, (5, 40), 20, random_state=3)
    return data.queries(slice(0, 500)), data.queries(slice(500, 600)), data.queries(slice(600, 1000))


def _ndcg10(model, data: RankingData) -> float:
    return evaluate(data.y, model.predict(data.X), data.qid, metrics=["ndcg@10"])["ndcg@10"]


PARAMS = dict(n_estimators=80, learning_rate=0.1, random_state=0, n_jobs=1,
              early_stopping_rounds=20)


# ---------------------------------------------------------------------- partitioning
def test_partition_queries_keeps_queries_whole_and_balances_rows():
    data = make_ranking(97, (1, 60), 5, random_state=1)
    parts = partition_queries(data, 4)
    assert len(parts) == 4
    joined = RankingData.concat(parts)
    np.testing.assert_array_equal(joined.X, data.X)
    np.testing.assert_array_equal(joined.qid, data.qid)
    seen = [set(p.query_ids.tolist()) for p in parts]
    assert sum(len(s) for s in seen) == data.n_queries == len(set().union(*seen))
    largest = data.group_sizes.max()
    for part in parts:  # each block is within one query of the row-balanced target
        assert abs(part.n_rows - data.n_rows / 4) <= largest
    assert len(partition_queries(data.queries(slice(0, 2)), 5)) == 2
    with pytest.raises(ValueError, match="n_partitions"):
        partition_queries(data, 0)


def test_query_in_two_files_is_an_error_naming_both(tmp_path, client):
    data = make_ranking(30, (3, 8), 4, random_state=2)
    first = data.queries(slice(0, 16))
    second = data.queries(slice(15, 30))  # query #15 is in both files
    a, b = save_libsvm(first, tmp_path / "a.txt"), save_libsvm(second, tmp_path / "b.txt")
    qid = int(data.query_ids[15])
    with pytest.raises(PartitionError, match=rf"query {qid} .*a\.txt and .*b\.txt"):
        DaskLightGBMLambdaMART(client=client, n_estimators=5).fit([str(a), str(b)])
    # the same two files grouped as one partition are refused too
    with pytest.raises(PartitionError, match=rf"query {qid} .*a\.txt and .*b\.txt"):
        to_dask_ranking_data(client, [[str(a), str(b)]])
    # and in-memory partitions that share a query name both partitions
    with pytest.raises(PartitionError, match=rf"query {qid} .*partition 0 and partition 1"):
        check_disjoint_queries([summarize(first), summarize(second)])


def test_unreadable_file_error_comes_back_from_the_worker(tmp_path, client):
    from boostrank.data import LibSVMFormatError

    good = save_libsvm(make_ranking(5, 4, 3, random_state=0), tmp_path / "good.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("1 qid:1 1:0.5\n2 qid:1 1:zero\n")
    with pytest.raises(LibSVMFormatError, match="bad.txt"):
        to_dask_ranking_data(client, [str(good), str(bad)])
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        to_dask_ranking_data(client, [str(good), str(tmp_path / "missing.txt")])


# ---------------------------------------------------------------------- accuracy vs one machine
@pytest.mark.parametrize(("local_cls", "dask_cls"), PAIRS, ids=IDS)
def test_distributed_ndcg_matches_single_machine(client, splits, local_cls, dask_cls):
    train, valid, test = splits
    single = local_cls(**PARAMS).fit(train, eval_set=valid)
    dist = dask_cls(client=client, **PARAMS).fit(train, eval_set=valid)
    assert abs(_ndcg10(dist, test) - _ndcg10(single, test)) <= 0.01
    assert _ndcg10(dist, test) > 0.6  # it learned something real
    # the fitted model is local: same class after to_local / save / load, same predictions
    local = dist.to_local()
    assert type(local) is local_cls
    np.testing.assert_array_equal(local.predict(test.X), dist.predict(test.X))
    restored = pickle.loads(pickle.dumps(dist))
    assert restored.client is None
    np.testing.assert_array_equal(restored.predict(test.X), dist.predict(test.X))


@pytest.mark.parametrize(("local_cls", "dask_cls"), PAIRS, ids=IDS)
def test_save_load_as_single_machine_model(client, splits, local_cls, dask_cls, tmp_path):
    train, valid, test = splits
    dist = dask_cls(client=client, n_estimators=15, random_state=0).fit(train)
    path = dist.save(tmp_path / "model.zip")
    loaded = BaseRanker.load(path)
    assert type(loaded) is local_cls
    assert loaded.best_iteration_ == dist.best_iteration_ == 15
    np.testing.assert_array_equal(loaded.predict(test.X), dist.predict(test.X))
    assert local_cls.load(path).score(test) == pytest.approx(dist.score(test))


@pytest.mark.parametrize(("local_cls", "dask_cls"), PAIRS, ids=IDS)
def test_replayed_evaluation_equals_truncated_models(client, splits, local_cls, dask_cls):
    """evals_result_ round k equals the common evaluator on the k-round model's predictions."""
    train, valid, _ = splits
    steps = []
    dist = dask_cls(client=client, n_estimators=12, random_state=0, eval_at=(5, 10),
                    early_stopping_rounds=None).fit(train, eval_set=valid,
                                                    callbacks=[steps.append])
    curve = dist.evals_result_["valid_0"]["ndcg@10"]
    assert len(curve) == 12 and [s.step for s in steps] == list(range(12))
    assert steps[4].evals["valid_0"]["ndcg@5"] == dist.evals_result_["valid_0"]["ndcg@5"][4]
    for k in (1, 6, 12):
        if isinstance(dist, DaskLightGBMLambdaMART):
            scores = dist.booster_.predict(valid.X, num_iteration=k)
        else:
            import xgboost as xgb

            scores = dist.booster_.predict(xgb.DMatrix(valid.X), iteration_range=(0, k))
        expected = evaluate(valid.y, scores, valid.qid, metrics=["ndcg@10"])["ndcg@10"]
        assert curve[k - 1] == pytest.approx(expected, abs=1e-6)
    assert dist.best_score_["valid_0"]["ndcg@10"] == pytest.approx(_ndcg10(dist, valid), abs=1e-6)


@pytest.mark.parametrize("dask_cls", [DaskLightGBMLambdaMART, DaskXGBoostLambdaMART], ids=IDS)
def test_callback_stop_truncates_the_model(client, splits, dask_cls):
    train, valid, test = splits
    model = dask_cls(client=client, n_estimators=30, random_state=0, early_stopping_rounds=None)
    model.fit(train, eval_set=valid, callbacks=[lambda step: step.step == 6])
    assert model.best_iteration_ == 7
    assert len(model.evals_result_["valid_0"]["ndcg@10"]) == 7
    rounds = (model.booster_.current_iteration() if dask_cls is DaskLightGBMLambdaMART
              else model.booster_.num_boosted_rounds())
    assert rounds == 7


def test_callback_exception_propagates(client, splits):
    train, valid, _ = splits

    class Pruned(Exception):
        pass

    def prune(step):
        if step.step == 2:
            raise Pruned

    model = DaskXGBoostLambdaMART(client=client, n_estimators=10, random_state=0)
    with pytest.raises(Pruned):
        model.fit(train, eval_set=valid, callbacks=[prune])


# ---------------------------------------------------------------------- inputs
def test_fit_from_libsvm_files_read_by_the_workers(client, splits, tmp_path):
    train, valid, test = splits
    parts = partition_queries(train, 3)
    files = [str(save_libsvm(p, tmp_path / f"part{i}.txt")) for i, p in enumerate(parts)]
    vali_file = str(save_libsvm(valid, tmp_path / "vali.txt"))
    data = to_dask_ranking_data(client, [files[0], [files[1], files[2]]])
    assert data.n_partitions == 2 and data.n_rows == train.n_rows
    assert data.n_queries == train.n_queries and data.n_features == train.n_features
    gathered = data.gather()
    np.testing.assert_allclose(gathered.X, train.X, rtol=1e-6)
    np.testing.assert_array_equal(gathered.qid, train.qid)

    single = LightGBMLambdaMART(**PARAMS).fit(gathered, eval_set=load_libsvm(vali_file))
    dist = DaskLightGBMLambdaMART(client=client, **PARAMS).fit(files, eval_set=vali_file)
    assert abs(_ndcg10(dist, test) - _ndcg10(single, test)) <= 0.01


def test_dask_arrays_follow_each_engines_rules(client, splits):
    """XGBoost: qid non-decreasing in partition order; LightGBM: group chunks = X chunks."""
    train, _, _ = splits
    data = to_dask_ranking_data(client, train, n_partitions=3)
    arrays = data.to_arrays()
    assert arrays.X.chunks[0] == arrays.y.chunks[0] == arrays.qid.chunks[0]
    assert len(arrays.group.chunks[0]) == len(arrays.X.chunks[0]) == 3
    qid, group = arrays.qid.compute(), arrays.group.compute()
    assert np.all(np.diff(qid) >= 0)
    np.testing.assert_array_equal(np.bincount(qid), train.group_sizes)
    np.testing.assert_array_equal(group, train.group_sizes)
    rows_per_chunk = [int(g.sum()) for g in np.split(group, np.cumsum(arrays.group.chunks[0])[:-1])]
    assert tuple(rows_per_chunk) == arrays.X.chunks[0]


def test_unsorted_arrays_and_params(client, splits):
    """Arrays with shuffled qids work as on one machine; predictions come in caller order."""
    train, _, test = splits
    rng = np.random.default_rng(0)
    order = rng.permutation(train.n_rows)
    X, y, qid = train.X[order], train.y[order], train.qid[order]
    single = XGBoostLambdaMART(n_estimators=20, random_state=0).fit(X, y, qid=qid)
    dist = DaskXGBoostLambdaMART(client=client, n_estimators=20, random_state=0,
                                 n_partitions=2).fit(X, y, qid=qid)
    assert abs(_ndcg10(dist, test) - _ndcg10(single, test)) <= 0.01
    params = dist.get_params()
    assert params["client"] is client and params["n_partitions"] == 2
    assert params["n_estimators"] == 20 and "max_depth" in params
    copy = clone(dist)
    assert copy.n_partitions == 2 and not hasattr(copy, "booster_")


def test_clear_errors(client, splits):
    train, _, _ = splits
    weights = np.ones(train.n_rows)
    with pytest.raises(ValueError, match="sample_weight"):
        DaskXGBoostLambdaMART(client=client, n_estimators=3).fit(train, sample_weight=weights)
    with pytest.raises(ValueError, match="n_partitions"):
        DaskLightGBMLambdaMART(client=client, n_partitions=0, n_estimators=3).fit(train)
    with pytest.raises(ValueError, match="num_leaves"):
        DaskLightGBMLambdaMART(client=client, num_leaves=1).fit(train)
    # sample weights work with LightGBM (per row)
    model = DaskLightGBMLambdaMART(client=client, n_estimators=3).fit(train, sample_weight=weights)
    assert model.best_iteration_ == 3


@pytest.mark.parametrize("local_cls, dask_cls", PAIRS, ids=IDS)
def test_parameters_are_the_local_ones_plus_client_and_n_partitions(local_cls, dask_cls):
    """Real ``__init__`` (no faked signature): get_params lists exactly the single-machine
    parameters plus client and n_partitions, with the same defaults; repr and clone work."""
    import inspect

    model = dask_cls(n_partitions=3, n_estimators=7)
    local = local_cls().get_params(deep=False)
    params = model.get_params(deep=False)
    assert set(params) == set(local) | {"client", "n_partitions"}
    assert {k: v for k, v in params.items() if k in local and k != "n_estimators"} == \
        {k: v for k, v in local.items() if k != "n_estimators"}
    assert params["n_estimators"] == 7 and params["n_partitions"] == 3
    assert not hasattr(dask_cls.__init__, "__signature__")
    assert {"client", "n_partitions"} <= set(inspect.signature(dask_cls).parameters)
    assert "n_partitions=3" in repr(model)
    assert clone(model).get_params(deep=False) == params


def test_partitions_carry_positions(client):
    """Display positions (click logs) follow the rows into every partition and back."""
    data = make_ranking(30, (2, 9), 4, random_state=2)
    position = np.concatenate([np.arange(1, s + 1) for s in data.group_sizes])
    data = RankingData(data.X, data.y, data.qid, group_offsets=data.group_offsets,
                       position=position)
    parts = partition_queries(data, 3)
    np.testing.assert_array_equal(np.concatenate([p.position for p in parts]), position)
    on_cluster = to_dask_ranking_data(client, data, n_partitions=3)
    np.testing.assert_array_equal(on_cluster.gather().position, position)
    checked = DaskLightGBMLambdaMART(client=client)._checked_partition(parts[1])
    np.testing.assert_array_equal(checked.position, parts[1].position)
