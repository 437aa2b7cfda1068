"""API of boostrank.metrics: parsing, conventions, input forms, and clear errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from boostrank.data.ranking_data import RankingData
from boostrank.metrics import (
    PRESETS,
    Convention,
    Evaluator,
    evaluate,
    get_convention,
    parse_metric,
    parse_metrics,
)


def test_parse_metrics_canonical_names():
    assert parse_metrics("ndcg@1,3,5,10,map") == ["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10", "map"]
    assert parse_metrics(["NDCG@10-", "P@5", "recip_rank", "ndcg_cut_3", "ap"]) == [
        "ndcg@10-", "precision@5", "mrr", "ndcg@3", "map"]
    assert parse_metrics("ndcg@10,ndcg@10,mrr@5,err@10,recall@2,4,dcg,ndcg") == [
        "ndcg@10", "mrr@5", "err@10", "recall@2", "recall@4", "dcg", "ndcg"]
    spec = parse_metric("ndcg@10-")
    assert (spec.kind, spec.k, spec.minus) == ("ndcg", 10, True)


@pytest.mark.parametrize("bad, fragment", [
    ("ndgc@10", "unknown metric 'ndgc@10'"),
    ("ndcg@0", "cutoff"),
    ("precision", "needs a cutoff"),
    ("map,,mrr", "empty metric"),
    ("3,ndcg@2", "does not follow"),
    ("ndcg@x", "unknown metric"),
    ("ndcg@99999999999999999999", "'ndcg@99999999999999999999': the cutoff k must be between 1 "
                                  "and 2,147,483,647"),
    ("ndcg@1,99999999999999999999", "'ndcg@99999999999999999999' in 'ndcg@1,999"),
    ("p@5,0", "'precision@0' in 'p@5,0': the cutoff k must be between 1"),
])
def test_parse_metrics_errors(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_metrics(bad)


def test_huge_cutoff_is_a_value_error_and_the_largest_one_works():
    with pytest.raises(ValueError, match="cutoff k must be between 1 and 2,147,483,647"):
        evaluate([1, 0], [0.1, 0.2], metrics="ndcg@99999999999999999999")
    largest = evaluate([1, 0, 2], [0.2, 0.1, 0.3], metrics=["ndcg@2147483647", "ndcg",
                                                           "precision@2147483647"])
    assert largest["ndcg@2147483647"] == largest["ndcg"] == 1.0
    assert largest["precision@2147483647"] == pytest.approx(2 / 2147483647)


def test_conventions_and_describe():
    assert set(PRESETS) == {"default", "lightgbm", "xgboost", "trec", "trec10", "letor",
                            "sklearn"}
    for name, conv in PRESETS.items():
        assert conv.name == name
        assert get_convention(name.upper()) is conv
        line = conv.describe()
        assert name in line and "\n" not in line
    default = get_convention(None)
    assert default.gain == "exponential" and default.ties == "stable" and default.empty == "one"
    assert default.short_list == "cap" and default.discount == "log2"
    custom = Convention(name="mine", gain={0: 0, 1: 1, 3: 7})
    assert custom.gain == (0.0, 1.0, 0.0, 7.0)
    assert get_convention(custom) is custom
    with pytest.raises(ValueError, match="unknown convention 'nope'"):
        get_convention("nope")
    with pytest.raises(ValueError, match="unknown ties"):
        Convention(ties="random")
    with pytest.raises(ValueError, match="gain must be one of 'exponential', 'linear'"):
        Convention(gain="cubic")
    with pytest.raises(ValueError, match="gain must be one of .* or a gain table"):
        Convention(gain=3.5)


def test_gain_names_are_the_shared_vocabulary_and_exp_is_deprecated():
    from boostrank.metrics import conventions, gains

    assert conventions.GAINS is gains.GAIN_NAMES
    for name in PRESETS:
        assert not isinstance(PRESETS[name].gain, str) or PRESETS[name].gain in gains.GAIN_NAMES
    with pytest.warns(DeprecationWarning, match="gain='exp' is deprecated; use "
                                                "gain='exponential'"):
        old = Convention(gain="exp")
    assert old.gain == "exponential" and old == Convention(gain="exponential")
    with pytest.warns(DeprecationWarning):
        replaced = get_convention("trec").replace(gain="exp")
    assert replaced.gain == "exponential"
    y, s, q = [2, 1, 0, 3], [0.2, 0.9, 0.1, 0.4], [1, 1, 2, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = evaluate(y, s, q, "ndcg@2", convention=Convention(gain="exponential"))
    assert new == evaluate(y, s, q, "ndcg@2", convention=old)


def test_input_forms_agree():
    rng = np.random.default_rng(0)
    sizes = np.array([3, 5, 1, 4])
    qid = np.repeat([7, 3, 9, 5], sizes)
    y = rng.integers(0, 3, qid.size).astype(float)
    s = rng.normal(size=qid.size)
    metrics = "ndcg@3,map,mrr"
    base_means, base = evaluate(y, s, qid, metrics, per_query=True)
    # group sizes instead of qid
    assert evaluate(y, s, group=sizes, metrics=metrics) == base_means
    # RankingData plus scores
    data = RankingData.from_arrays(np.zeros((qid.size, 1)), y, qid)
    ev = Evaluator(data, metrics=metrics)
    assert ev(s) == base_means
    assert list(ev.query_ids) == [7, 3, 9, 5]
    # interleaved rows: grouped by qid in order of first appearance, same per-query values
    perm = rng.permutation(qid.size)
    means, per_q = evaluate(y[perm], s[perm], qid[perm], metrics, per_query=True)
    first_seen = list(dict.fromkeys(qid[perm]))
    for name in base:
        mapping = dict(zip([7, 3, 9, 5], base[name], strict=True))
        # same query, same value (no ties in s, so row order inside a query does not matter)
        np.testing.assert_allclose(per_q[name], [mapping[q] for q in first_seen], atol=1e-12)
        assert means[name] == pytest.approx(base_means[name], abs=1e-12)
    # 2-D arrays: one query per row (scikit-learn style)
    y2, s2 = rng.integers(0, 3, (4, 6)), rng.normal(size=(4, 6))
    flat = evaluate(y2.ravel(), s2.ravel(), np.repeat(np.arange(4), 6), "ndcg@3")
    assert evaluate(y2, s2, metrics="ndcg@3") == flat
    # qid None: one query
    assert evaluate([0, 0, 2], [3, 2, 1], metrics="mrr") == {"mrr": pytest.approx(1 / 3)}


def test_empty_rules_and_minus_suffix():
    y = np.array([0, 0, 1, 2])
    s = np.array([0.2, 0.1, 0.5, 0.9])
    qid = np.array([1, 1, 2, 2])
    assert evaluate(y, s, qid, "ndcg@2,ndcg@2-,map") == {
        "ndcg@2": 1.0, "ndcg@2-": 0.5, "map": 1.0}
    means, per_query = evaluate(y, s, qid, "ndcg@2,map", per_query=True,
                                convention=get_convention("default").replace(empty="skip"))
    assert np.isnan(per_query["ndcg@2"][0]) and means["ndcg@2"] == 1.0
    assert evaluate(y, s, qid, "ndcg@2", convention="trec") == {"ndcg@2": 0.5}


def test_trec_ties_use_docids():
    y = np.array([1, 0])
    s = np.array([1.0, 1.0])
    # docno descending: "b" before "a"
    assert evaluate(y, s, metrics="mrr", convention="trec", docid=["a", "b"]) == {"mrr": 0.5}
    assert evaluate(y, s, metrics="mrr", convention="trec", docid=["b", "a"]) == {"mrr": 1.0}
    # no docids: later rows first; scores equal in float32 tie too
    assert evaluate(y, [1.0000000001, 1.0], metrics="mrr", convention="trec") == {"mrr": 0.5}
    assert evaluate(y, [1.0000001, 1.0], metrics="mrr", convention="trec") == {"mrr": 1.0}


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(y_true=[1, 0, 2], y_score=[0.1, 0.2], qid=[1, 1, 1]), "length mismatch: y_score"),
    (dict(y_true=[1, 0, 2], y_score=[0.1, 0.2, 0.3], qid=[1, 1]), "length mismatch: qid"),
    (dict(y_true=[1, 0, 2], y_score=[0.1, np.nan, 0.3]), "y_score has NaN at row 1"),
    (dict(y_true=[1, 0, 2], y_score=[0.1, np.inf, 0.3]), "infinite value at row 1"),
    (dict(y_true=[1, np.nan, 2], y_score=[0.1, 0.2, 0.3]), "non-finite label at row 1"),
    (dict(y_true=[1, -1, 2], y_score=[0.1, 0.2, 0.3]), "negative label -1 at row 1"),
    (dict(y_true=[1, -1, 2], y_score=[0.1, 0.2, 0.3], convention="sklearn"), "negative label"),
    (dict(y_true=[1, 31, 2], y_score=[0.1, 0.2, 0.3]), "label 31 at row 1 is above"),
    (dict(y_true=[1, 0.5, 2], y_score=[0.1, 0.2, 0.3]), "integer labels; row 1"),
    (dict(y_true=[1, 0, 5], y_score=[0.1, 0.2, 0.3],
          convention=Convention(name="tbl", gain=(0, 1, 3))), "label 5 at row 2 is outside the"),
    (dict(y_true=[1, 0, 2], y_score=[0.1, 0.2, 0.3], metrics="ndcg@10,bogus"),
     "unknown metric 'bogus'"),
    (dict(y_true=[1, 0, 2], y_score=[0.1, 0.2, 0.3], metrics="err@3", convention="sklearn"),
     "ties='average'"),
    (dict(y_true=[], y_score=[]), "empty"),
    (dict(y_true=["a", "b"], y_score=[1, 2]), "y_true must be numeric"),
    (dict(y_true=[1, 0, 2], y_score=[0.1, 0.2, 0.3], group=[2, 2]), "group sizes"),
])
def test_bad_input_raises_clear_value_error(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace("[", r"\[")):
        evaluate(**kwargs)


def test_labels_allowed_where_the_convention_allows_them():
    # trec: labels <= 0 give nothing; letor: labels outside the table give nothing
    assert evaluate([-1, 2], [1.0, 0.0], metrics="ndcg@1", convention="trec") == {"ndcg@1": 0.0}
    assert evaluate([3, 1], [1.0, 0.0], metrics="ndcg@2", convention="letor") == {"ndcg@2": 1.0}
    assert evaluate([0, 31], [1.0, 0.0], metrics="ndcg@1", convention="xgboost") == {"ndcg@1": 0.0}
    # large lists, single-document queries, constant scores
    big = evaluate(np.arange(10) % 3, np.zeros(10), metrics="ndcg@100,map")
    assert 0 < big["ndcg@100"] < 1 and 0 < big["map"] < 1
    assert evaluate([2], [0.0], metrics="ndcg@10,mrr,map") == {
        "ndcg@10": 1.0, "mrr": 1.0, "map": 1.0}


def test_evaluator_keeps_no_reference_to_scores_and_is_deterministic():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 200)
    qid = np.repeat(np.arange(20), 10)
    s = rng.integers(0, 5, 200).astype(float)
    ev = Evaluator(y, qid, "ndcg@5,map,mrr,precision@3")
    first = ev(s)
    s_copy = s.copy()
    assert ev(s) == first and np.array_equal(s, s_copy)
    order = ev.rank(s)
    assert sorted(order.tolist()) == list(range(200))
    assert "Evaluator(20 queries" in repr(ev)


def test_letor_warns_when_labels_above_its_gain_table_count_for_nothing():
    y = np.array([3.0, 1.0, 0.0, 2.0, 4.0, 0.0])
    qid = np.array([1, 1, 1, 2, 2, 2])
    scores = np.array([0.9, 0.5, 0.1, 0.2, 0.8, 0.3])
    with pytest.warns(UserWarning, match=r"labels above 2 .*2 rows with labels 3, 4"):
        result = evaluate(y, scores, qid, ["ndcg@3"], convention="letor")
    # as Eval-Score-4.0.pl: labels 3 and 4 get gain 0; only the labels 1 and 2 count
    reference = evaluate(np.where(y > 2, 0.0, y), scores, qid, ["ndcg@3"], convention="letor")
    assert result == reference
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate(np.minimum(y, 2), scores, qid, ["ndcg@3"], convention="letor")
        evaluate(y, scores, qid, ["ndcg@3"], convention="trec")


def test_large_label_error_gives_the_callers_advice():
    y, q = [1.0, 31.0, 2.0], [1, 1, 1]
    with pytest.raises(ValueError, match=r"label 31 at row 1 is above the largest label 30 of "
                                         r"convention 'default' \(exponential gain 2\^l - 1\); "
                                         r"use a convention with linear gain"):
        Evaluator(y, q)
    advice = "use gain='linear' (or gain='auto')"
    with pytest.raises(ValueError) as info:
        Evaluator(y, q, label_advice=advice)
    assert str(info.value).endswith(advice) and "convention=" not in str(info.value)
    linear_cap = Convention(name="capped", gain="linear", max_label=10)
    with pytest.raises(ValueError, match=r"above the largest label 10 of convention 'capped' "
                                         r"\(linear gain\)"):
        Evaluator([1.0, 12.0], None, convention=linear_cap)
