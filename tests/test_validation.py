"""The public validation layer: boostrank.validation, boostrank.params, boostrank.early_stopping."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from boostrank.data import RankingData, make_ranking, save_libsvm
from boostrank.early_stopping import EarlyStopping
from boostrank.params import (
    InstanceOf,
    Interval,
    InvalidParameterError,
    Options,
    Satisfies,
    validate_params,
)
from boostrank.validation import (
    check_features,
    check_n_jobs,
    check_non_empty,
    check_qid,
    check_random_state,
    check_relevance_labels,
    check_sample_weight,
    check_verbose,
    load_split,
    per_query_weights,
    restore_order,
    to_ranking_data,
)


def synthetic(n_queries, docs, n_features, seed):
    try:  # the seed argument is being renamed random_state
        return make_ranking(n_queries, docs, n_features, random_state=seed)
    except TypeError:
        return make_ranking(n_queries, docs, n_features, seed=seed)


# ---------------------------------------------------------------------- to_ranking_data
def brute_force_group(qid):
    """Stable regrouping by first appearance, written the obvious way."""
    seen = []
    for q in qid:
        if q not in seen:
            seen.append(q)
    return np.array([i for q in seen for i, r in enumerate(qid) if r == q])


def test_to_ranking_data_regroups_and_restores_order():
    rng = np.random.default_rng(0)
    qid = np.array([3, 1, 3, 2, 1, 2, 3, 9])
    X = rng.normal(size=(8, 3))
    y = np.arange(8) % 3
    w = np.array([1.0, 2, 1, 3, 2, 3, 1, 4])
    data, order, weights = to_ranking_data(X, y, qid=qid, sample_weight=w)
    expected = brute_force_group(list(qid))
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(data.X, X[expected])
    np.testing.assert_array_equal(data.qid, qid[expected])
    np.testing.assert_array_equal(weights, w[expected])
    assert list(data.query_ids) == [3, 1, 2, 9]
    # a value per grouped row goes back to the caller's rows
    np.testing.assert_array_equal(restore_order(data.X[:, 0], order), X[:, 0])
    assert restore_order(np.arange(3), None).tolist() == [0, 1, 2]


def test_to_ranking_data_inputs():
    X = pd.DataFrame({"a": [1.0, 2, 3], "b": [0.0, 1, 0]})
    data, order, weights = to_ranking_data(X, [0, 1, 0], group=[2, 1])
    assert order is None and weights is None
    assert data.feature_names == ["a", "b"] and data.group_sizes.tolist() == [2, 1]
    csr, _, _ = to_ranking_data(sp.csr_matrix(np.eye(3)), [0, 1, 0], qid=[1, 1, 2])
    assert sp.issparse(csr.X) and csr.n_queries == 2
    rd = synthetic(5, 4, 3, 0)
    same, order, _ = to_ranking_data(rd)
    assert same is rd and order is None
    f32, _, _ = to_ranking_data(rd, dtype=np.float32)
    assert f32.X.dtype == np.float32 and f32.n_rows == rd.n_rows


@pytest.mark.parametrize("kwargs,message", [
    ({"y": None, "qid": [1, 1]}, "labels y are required"),
    ({"y": [0, 1]}, "query ids are required"),
    ({"y": [0, 1], "qid": [1, 1], "group": [2]}, "either qid or group"),
    ({"y": [0, 1], "qid": ["a", "b"]}, "qid must hold integer query ids"),
    ({"y": [0, 1], "qid": [1.5, 1]}, "qid must hold integer"),
    ({"y": [0, 1, 2], "qid": [1, 1]}, "y has 3 entries for 2 rows"),
    ({"y": ["x", "y"], "qid": [1, 1]}, "y must hold numbers"),
    ({"y": [0, np.nan], "qid": [1, 1]}, r"NaN or infinite labels \(y\[1\]"),
    ({"y": [0, 1], "qid": [1, 1], "sample_weight": [1, -1]}, "sample_weight must be >= 0"),
    ({"y": [0, 1], "qid": [1, 1], "sample_weight": [1]}, "sample_weight has 1 entries"),
])
def test_to_ranking_data_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        to_ranking_data(np.zeros((2, 2)), **kwargs)


def test_ranking_data_refuses_extra_arrays():
    rd = synthetic(3, 3, 2, 0)
    with pytest.raises(ValueError, match="valid is a RankingData"):
        to_ranking_data(rd, rd.y, name="valid")


def test_check_features():
    with pytest.raises(ValueError, match="1-D"):
        check_features(np.zeros(3))
    with pytest.raises(ValueError, match="infinite"):
        check_features(np.array([[np.inf]]))
    with pytest.raises(ValueError, match="contains NaN"):
        check_features(np.array([[np.nan]]), allow_nan=False)
    with pytest.raises(ValueError, match="must be numeric"):
        check_features(np.array([["a"]]))
    assert check_features(np.array([[1, 2]])).dtype == np.float64
    assert check_features(np.zeros((1, 1), np.float32)).dtype == np.float32


def test_check_qid_integral_floats_and_names():
    assert check_qid(np.array([1.0, 2.0]), 2).dtype == np.int64
    with pytest.raises(ValueError, match="valid qid must hold integer"):
        check_qid(["q1", "q2"], 2, name="valid qid")


def test_check_non_empty():
    with pytest.raises(ValueError, match="empty"):
        check_non_empty(RankingData(np.zeros((0, 3)), [], group_offsets=[0]))
    with pytest.raises(ValueError, match="0 features"):
        check_non_empty(RankingData(np.zeros((2, 0)), [0, 1], [1, 1]))


def test_relevance_labels():
    check_relevance_labels(np.array([0.0, 3.0]))
    with pytest.raises(ValueError, match=r"objective='x' needs relevance labels >= 0; y\[1\]"):
        check_relevance_labels(np.array([0.0, -1.0]), owner="objective='x'")
    with pytest.raises(ValueError, match="integer relevance labels.*Bin them"):
        check_relevance_labels(np.array([0.5]), hint="Bin them.")
    with pytest.raises(ValueError, match="binary"):
        check_relevance_labels(np.array([2.0]), kind="binary")
    check_relevance_labels(np.array([-2.5]), kind="real")


def test_weights():
    assert check_sample_weight(None, 3) is None
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_sample_weight([np.nan], 1)
    data = RankingData(np.zeros((5, 1)), np.zeros(5), [7, 7, 8, 9, 9])
    w = np.array([2.0, 2.0, 1.0, 3.0, 3.0])
    np.testing.assert_array_equal(per_query_weights(w, data), [2.0, 1.0, 3.0])
    with pytest.raises(ValueError, match="qid=9 .*same weight"):
        per_query_weights(np.array([2.0, 2.0, 1.0, 3.0, 4.0]), data)
    empty_query = RankingData(np.zeros((1, 1)), [0.0], group_offsets=[0, 0, 1])
    np.testing.assert_array_equal(per_query_weights(np.array([5.0]), empty_query), [0.0, 5.0])


# ---------------------------------------------------------------------- load_split
def test_load_split_inputs(tmp_path):
    rd = synthetic(6, 4, 5, 1)
    path = tmp_path / "train.txt"
    save_libsvm(rd, path)
    from_file = load_split(str(path), name="train")
    np.testing.assert_allclose(np.asarray(from_file.X.todense() if from_file.is_sparse
                                          else from_file.X), rd.X, rtol=1e-6)
    cache = rd.save(tmp_path / "cache")
    assert load_split(cache, name="train").n_rows == rd.n_rows
    assert load_split(rd, name="train") is rd
    from_tuple = load_split((rd.X, rd.y, rd.qid), name="train")
    np.testing.assert_array_equal(from_tuple.qid, rd.qid)
    # LibSVM omits trailing zero features: a file is widened to the width asked for
    assert load_split(path, name="test", n_features=8).n_features == 8


def test_load_split_errors_name_the_split(tmp_path):
    with pytest.raises(FileNotFoundError, match="valid: .* does not exist"):
        load_split(tmp_path / "missing.txt", name="valid")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValueError, match="valid: .*not a boostrank cache"):
        load_split(tmp_path / "folder", name="valid")
    with pytest.raises(TypeError, match="test: expected a file path"):
        load_split(42, name="test")
    rd = synthetic(3, 3, 4, 0)
    with pytest.raises(ValueError, match="test has 4 features, expected 6"):
        load_split(rd, name="test", n_features=6)
    bad = tmp_path / "bad.txt.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError, match="bad.txt.gz"):
        load_split(bad, name="valid")


# ---------------------------------------------------------------------- common parameters
def test_random_state_rules():
    assert check_random_state(None) is None
    assert check_random_state(5) == 5
    assert check_random_state(np.random.RandomState(0)) == np.random.RandomState(0).randint(
        0, 2**31 - 1)
    for bad in (-1, 2**31, 1.5, True, "0"):
        with pytest.raises(ValueError, match="seed must be None, an integer"):
            check_random_state(bad, param="seed")


def test_n_jobs_and_verbose_rules():
    import os

    assert check_n_jobs(None) is None and check_n_jobs(3) == 3
    assert check_n_jobs(-1) == (os.cpu_count() or 1)
    assert check_n_jobs(-10**6) == 1
    for bad in (0, 1.0, True):
        with pytest.raises(ValueError, match="n_jobs must be a positive integer"):
            check_n_jobs(bad)
    assert check_verbose(-1) == 0 and check_verbose(True) == 1 and check_verbose(10) == 10
    with pytest.raises(ValueError, match="verbose must be a bool or an integer"):
        check_verbose("loud")


# ---------------------------------------------------------------------- constraints
CONSTRAINTS = {
    "n": [Interval(Integral, 1, None)],
    "depth": [Interval(Integral, 1, None), Options({-1})],
    "frac": [Interval(Real, 0, 1, closed="right")],
    "device": [Options({"cpu", "cuda"})],
    "rounds": [Interval(Integral, 1, None), None],
    "flag": [Options({True, False})],
    "names": [InstanceOf(list, tuple, description="a list of names")],
    "even": [Satisfies(lambda v: v % 2 == 0, "an even number")],
}


@pytest.mark.parametrize("name,value", [
    ("n", 1), ("n", np.int64(10**9)), ("depth", -1), ("depth", 3), ("frac", 1), ("frac", 0.5),
    ("device", "cuda"), ("rounds", None), ("rounds", 5), ("flag", False), ("flag", np.bool_(1)),
    ("names", ["a"]), ("even", 4),
])
def test_constraints_accept(name, value):
    validate_params(CONSTRAINTS, {name: value}, "Owner")


@pytest.mark.parametrize("name,value,message", [
    ("n", 0, r"Owner: n must be an integer >= 1; got 0"),
    ("n", True, r"n must be an integer >= 1; got True"),
    ("n", 2.0, r"n must be an integer >= 1; got 2.0"),
    ("depth", 0, r"depth must be an integer >= 1 or -1; got 0"),
    ("frac", 0, r"frac must be a number in \(0, 1\]; got 0"),
    ("frac", math.nan, r"frac must be a number in \(0, 1\]"),
    ("device", "tpu", r"device must be one of 'cpu', 'cuda'; got 'tpu'"),
    ("device", "CPU", r"device must be one of"),
    ("rounds", 0, r"rounds must be an integer >= 1 or None; got 0"),
    ("flag", 1, r"flag must be one of False, True; got 1"),
    ("names", "ab", r"names must be a list of names"),
    ("even", 3, r"even must be an even number; got 3"),
    ("even", "x", r"even must be an even number; got 'x' \(not all arguments"),
])
def test_constraints_refuse(name, value, message):
    with pytest.raises(InvalidParameterError, match=message):
        validate_params(CONSTRAINTS, {name: value}, "Owner")


def test_unlisted_parameters_are_not_checked():
    validate_params(CONSTRAINTS, {"other": object()}, "Owner")
    assert issubclass(InvalidParameterError, ValueError)


# ---------------------------------------------------------------------- early stopping
def reference_early_stopping(values, rounds, min_delta=0.0):
    """(stop step or None, best step) computed the long way."""
    best, best_step = None, None
    for step, value in enumerate(values):
        if not math.isnan(value) and (best is None or value > best + min_delta):
            best, best_step = value, step
        since = step + 1 if best_step is None else step - best_step
        if rounds is not None and since >= rounds:
            return step, best_step
    return None, best_step


@pytest.mark.parametrize("seed", range(20))
def test_early_stopping_matches_reference(seed):
    rng = np.random.default_rng(seed)
    values = list(np.round(rng.uniform(size=30), 1))
    for i in rng.choice(30, 4, replace=False):
        values[i] = math.nan
    rounds = int(rng.integers(1, 6))
    delta = float(rng.choice([0.0, 0.05]))
    tracker = EarlyStopping(rounds, min_delta=delta)
    stop = None
    for step, value in enumerate(values):
        if tracker.update(value):
            stop = step
            break
    ref_stop, ref_best = reference_early_stopping(values, rounds, delta)
    assert stop == ref_stop and tracker.best_step == ref_best
    assert tracker.best_iteration == ref_best + 1


def test_early_stopping_nan_rule_and_minimize():
    tracker = EarlyStopping(2)
    assert not tracker.update(math.nan) and tracker.best_step is None
    assert tracker.update(math.nan)  # two steps and nothing finite yet
    assert tracker.best_iteration == 2  # nothing to choose from: keep every step
    tracker = EarlyStopping(None)
    for v in (0.5, math.nan, 0.4):
        assert not tracker.update(v)
    assert tracker.best_step == 0 and tracker.best_value == 0.5
    down = EarlyStopping(1, maximize=False)
    down.update(3.0)
    assert not down.update(2.0) and down.update(2.5) and down.best_iteration == 2
    with pytest.raises(ValueError, match="rounds must be"):
        EarlyStopping(0)


def test_dtype_conversion_keeps_positions_and_row_columns():
    from boostrank.data.ranking_data import RankingData
    from boostrank.validation import to_ranking_data

    X = np.arange(12, dtype=np.float64).reshape(6, 2)
    data = RankingData(X, np.zeros(6), np.repeat([0, 1], 3), position=[1, 2, 3, 1, 2, 3],
                       docid=np.array(list("abcdef")))
    converted, order, _ = to_ranking_data(data, dtype=np.float32)
    assert converted.X.dtype == np.float32 and order is None
    np.testing.assert_array_equal(converted.position, [1, 2, 3, 1, 2, 3])
    np.testing.assert_array_equal(converted.docid, list("abcdef"))
