"""The vectorised evaluator against a plain per-query Python reference written here, and the
LETOR preset against a line-by-line port of the official ``Eval-Score-4.0.pl`` (on small lists
and on real MQ2008 predictions, where it reproduces the published NDCG@10 level ~0.23)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from boostrank.metrics import PRESETS, Convention, Evaluator, evaluate, get_convention

METRICS = ["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10", "ndcg", "ndcg@3-", "dcg@3", "dcg", "map",
           "map@3", "mrr", "mrr@2", "precision@3", "recall@4", "err@5", "err"]


# ---------------------------------------------------------------- reference (one query at a time)
def ref_gain(label, conv):
    if isinstance(conv.gain, tuple):
        ok = label == int(label) and 0 <= label < len(conv.gain)
        return conv.gain[int(label)] if ok else 0.0
    if label < 0 or (conv.max_label is not None and label > conv.max_label):
        return 0.0
    return 2.0 ** label - 1.0 if conv.gain == "exponential" else float(label)


def ref_discount(rank, conv):  # rank is 1-based
    if conv.discount == "log2":
        return 1.0 / math.log2(rank + 1)
    return 1.0 if rank <= 2 else 1.0 / math.log2(rank)


def ref_relevant(label, conv):
    above = label > conv.relevance_threshold
    return above and (conv.relevance_max is None or label <= conv.relevance_max)


def ref_order(labels, scores, conv):
    idx = range(len(labels))
    if conv.ties in ("stable", "average"):
        return sorted(idx, key=lambda i: (-scores[i], i))
    if conv.ties == "reverse":
        return sorted(idx, key=lambda i: (-scores[i], -i))
    if conv.ties == "pessimistic":
        return sorted(idx, key=lambda i: (-scores[i], labels[i], i))
    return sorted(idx, key=lambda i: (-scores[i], -labels[i], i))


def ref_metric(name, labels, scores, conv, gmax):
    empty = 0.0 if name.endswith("-") else {"one": 1.0, "zero": 0.0, "skip": math.nan}[conv.empty]
    base = name.rstrip("-")
    kind, _, k = base.partition("@")
    k = int(k) if k else None
    if k is None and kind in ("ndcg", "dcg", "map"):
        k = conv.full_list_cutoff
    m = len(labels)
    order = ref_order(labels, scores, conv)
    ranked = [labels[i] for i in order]
    cut = m if k is None else min(k, m)
    rel = [ref_relevant(lab, conv) for lab in ranked]
    n_rel = sum(rel)
    if kind in ("ndcg", "dcg"):
        if k is not None and conv.short_list == "zero" and m < k:
            return 0.0
        dcg = sum(ref_gain(ranked[j], conv) * ref_discount(j + 1, conv) for j in range(cut))
        if kind == "dcg":
            return dcg
        ideal = sorted(labels, reverse=True)
        idcg = sum(ref_gain(ideal[j], conv) * ref_discount(j + 1, conv) for j in range(cut))
        return dcg / idcg if idcg > 0 else empty
    if kind == "map":
        if n_rel == 0:
            return empty
        total, hits = 0.0, 0
        for j in range(cut):
            if rel[j]:
                hits += 1
                total += hits / (j + 1)
        den = n_rel if (k is None or conv.map_denominator == "all") else min(n_rel, k)
        return total / den
    if kind == "mrr":
        if n_rel == 0:
            return empty
        return next((1.0 / (j + 1) for j in range(cut) if rel[j]), 0.0)
    if kind == "precision":
        return sum(rel[:cut]) / (k if conv.precision_denominator == "k" else cut)
    if kind == "recall":
        return sum(rel[:cut]) / n_rel if n_rel else empty
    if kind == "err":
        value, stay = 0.0, 1.0
        for j in range(cut):
            r = (2.0 ** min(max(ranked[j], 0.0), gmax) - 1.0) / 2.0 ** gmax
            value += stay * r / (j + 1)
            stay *= 1.0 - r
        return value
    raise AssertionError(name)


def random_queries(seed, n_queries=25, max_docs=14, levels=4, tie_levels=4):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_docs + 1, size=n_queries)
    qid = np.repeat(rng.permutation(1000)[:n_queries], sizes)
    y = rng.integers(0, levels, size=qid.size).astype(float)
    y[qid == qid[0]] = 0  # a query with no relevant document
    scores = rng.integers(0, tie_levels, size=qid.size) / 3.0  # many ties
    return y, scores, qid


CONVENTIONS = [PRESETS[name] for name in ("default", "xgboost", "trec", "trec10", "letor")] + [
    get_convention("default").replace(ties="pessimistic", empty="skip"),
    get_convention("default").replace(ties="optimistic", short_list="zero", gain="linear"),
    Convention(gain=(0.0, 2.0, 5.0, 9.0), discount="letor", empty="zero", map_denominator="all",
               relevance_threshold=1.5, ties="reverse"),
]


@pytest.mark.parametrize("conv", CONVENTIONS, ids=lambda c: c.name + "/" + c.ties)
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_reference(conv, seed):
    y, scores, qid = random_queries(seed)
    _, per_query = evaluate(y, scores, qid, METRICS, convention=conv, per_query=True)
    gmax = max(float(y.max()), 1.0)
    for qi, q in enumerate(dict.fromkeys(qid)):  # order of first appearance
        rows = qid == q
        labels, s = list(y[rows]), list(scores[rows])
        if conv.score_dtype == "float32":
            s = [float(np.float32(v)) for v in s]
        for name in METRICS:
            expected = ref_metric(name, labels, s, conv, gmax)
            got = per_query[name][qi]
            if math.isnan(expected):
                assert math.isnan(got), (name, q)
            else:
                assert got == pytest.approx(expected, abs=1e-12), (name, q)


def test_average_ties_equal_mean_over_all_tie_orders():
    """McSherry-Najork: the expected metric over every order of the tied documents."""
    conv = get_convention("default").replace(ties="average")
    rng = np.random.default_rng(3)
    for _ in range(40):
        m = int(rng.integers(2, 8))
        labels = rng.integers(0, 3, size=m).astype(float)
        scores = rng.integers(0, 3, size=m).astype(float)
        metrics = ["ndcg@2", "dcg@3", "precision@2", "recall@3", "map", "map@2", "mrr", "mrr@2"]
        got = evaluate(labels, scores, metrics=metrics, convention=conv)
        blocks = [np.flatnonzero(scores == v) for v in sorted(set(scores), reverse=True)]
        totals = dict.fromkeys(metrics, 0.0)
        count = 0
        for perms in itertools.product(*[itertools.permutations(b) for b in blocks]):
            order = [i for block in perms for i in block]
            fake = np.empty(m)
            fake[order] = -np.arange(m, dtype=float)  # a distinct-score ranking with that order
            values = evaluate(labels, fake, metrics=metrics)
            for name in metrics:
                totals[name] += values[name]
            count += 1
        for name in metrics:
            assert got[name] == pytest.approx(totals[name] / count, abs=1e-12), name


# ---------------------------------------------------------------- LETOR 4.0 script, ported
def letor_script(labels_in_line_order, scores, top_n=10):
    """Python port of Eval-Score-4.0.pl for one query: (precision[1..10], map, ndcg[1..10])."""
    ndcg_gain = {0: 0, 1: 1, 2: 3}
    prec_rel = {0: 0, 1: 1, 2: 1}
    # Perl's sort is a stable merge sort: equal predictions keep line order
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    rates = [int(labels_in_line_order[i]) for i in order]
    prec = []
    num_rel = 0
    for i in range(top_n):
        r = rates[i] if i < len(rates) else 0
        if prec_rel.get(r, 0) == 1:
            num_rel += 1
        prec.append(num_rel / (i + 1))
    num_rel, avg = 0, 0.0
    for i, r in enumerate(rates):
        if prec_rel.get(r, 0) == 1:
            num_rel += 1
            avg += num_rel / (i + 1)
    ap = 0.0 if num_rel == 0 else avg / num_rel

    def dcg(rs):
        out = [ndcg_gain.get(rs[0], 0)]
        for i in range(1, min(top_n, len(rs))):
            g = ndcg_gain.get(rs[i], 0)
            out.append(out[-1] + (g if i < 2 else g * math.log(2.0) / math.log(i + 1.0)))
        return out

    d, best = dcg(rates), dcg(sorted(rates, reverse=True))
    ndcg = [0.0] * top_n  # positions beyond the list stay 0
    for i in range(min(top_n, len(rates))):
        ndcg[i] = d[i] / best[i] if best[i] != 0 else 0.0
    return prec, ap, ndcg


def test_letor_hand_computed():
    labels = np.array([2, 0, 1])
    scores = np.array([0.1, 0.9, 0.5])  # ranked labels: 0, 1, 2
    got = evaluate(labels, scores, metrics=["ndcg@1", "ndcg@2", "ndcg@3", "ndcg@5",
                                            "precision@2", "precision@5", "map"],
                   convention="letor")
    # gains 0,1,3 at discounts 1,1,1/log2(3); ideal 3,1,0
    assert got["ndcg@1"] == 0.0
    assert got["ndcg@2"] == pytest.approx(1 / 4)
    assert got["ndcg@3"] == pytest.approx((1 + 3 / math.log2(3)) / 4)
    assert got["ndcg@5"] == 0.0  # only 3 documents
    assert got["precision@2"] == pytest.approx(1 / 2)
    assert got["precision@5"] == pytest.approx(2 / 5)  # missing positions count as irrelevant
    assert got["map"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    nothing = evaluate([0, 0, 3], [1, 2, 3], metrics=["map", "ndcg@2"], convention="letor")
    assert nothing == {"map": 0.0, "ndcg@2": 0.0}  # label 3 is neither relevant nor a gain


def test_letor_equals_ported_script():
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 25, size=40)
    qid = np.repeat(np.arange(40), sizes)
    y = rng.choice(3, size=qid.size, p=[0.6, 0.25, 0.15]).astype(float)
    y[qid == 4] = 0
    scores = np.round(rng.normal(size=qid.size), 1)  # ties
    names = [f"ndcg@{k}" for k in range(1, 11)] + [f"precision@{k}" for k in range(1, 11)]
    names.append("map")
    _, got = evaluate(y, scores, qid, names, convention="letor", per_query=True)
    for q in range(40):
        rows = qid == q
        prec, ap, ndcg = letor_script(list(y[rows]), list(scores[rows]))
        assert got["map"][q] == pytest.approx(ap, abs=1e-12)
        for k in range(1, 11):
            assert got[f"ndcg@{k}"][q] == pytest.approx(ndcg[k - 1], abs=1e-12), (q, k)
            assert got[f"precision@{k}"][q] == pytest.approx(prec[k - 1], abs=1e-12), (q, k)


def test_evaluator_reuse_matches_evaluate():
    y, scores, qid = random_queries(4)
    ev = Evaluator(y, qid, "ndcg@1,3,10,map,mrr", convention="default")
    for shift in (0.0, 0.25):
        s = scores + shift * np.arange(scores.size) % 3
        assert ev(s) == evaluate(y, s, qid, "ndcg@1,3,10,map,mrr")


# ---------------------------------------------------------------- MQ2008 (real data)
def _load(path):
    from sklearn.datasets import load_svmlight_file

    X, y, qid = load_svmlight_file(str(path), query_id=True, n_features=46)
    return X.toarray(), y, qid


def test_letor_level_on_mq2008_fold1(mq2008_root):
    lightgbm = pytest.importorskip("lightgbm")
    X, y, qid = _load(mq2008_root / "Fold1" / "train.txt")
    Xt, yt, qt = _load(mq2008_root / "Fold1" / "test.txt")
    _, sizes = np.unique(qid, return_counts=True)
    order = np.argsort(qid, kind="stable")  # LightGBM needs contiguous groups
    model = lightgbm.LGBMRanker(n_estimators=100, learning_rate=0.05, num_leaves=15,
                                min_child_samples=20, verbose=-1, random_state=0, n_jobs=1)
    model.fit(X[order], y[order], group=sizes)
    scores = model.predict(Xt)
    names = ["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10", "precision@10", "map"]
    letor, per_query = evaluate(yt, scores, qt, names, convention="letor", per_query=True)
    lgb = evaluate(yt, scores, qt, names)
    assert 0.18 < letor["ndcg@10"] < 0.28  # published LETOR baselines: ~0.23
    assert 0.38 < letor["ndcg@5"] < 0.55   # ~0.47
    assert lgb["ndcg@10"] > letor["ndcg@10"] + 0.2  # short lists and empty queries score 1
    # every query agrees with the port of Eval-Score-4.0.pl
    for i, q in enumerate(dict.fromkeys(qt)):
        rows = qt == q
        prec, ap, ndcg = letor_script(list(yt[rows]), list(scores[rows]))
        assert per_query["ndcg@10"][i] == pytest.approx(ndcg[9], abs=1e-12)
        assert per_query["precision@10"][i] == pytest.approx(prec[9], abs=1e-12)
        assert per_query["map"][i] == pytest.approx(ap, abs=1e-12)
