"""Position-bias correction: the shared helpers, and ``position_bias=True`` in every family.

References: brute-force code written here (grouping, sorting, IPW labels), raw
``lightgbm.train`` / ``xgboost.train`` given the same data, and a simulated position-based
click log whose true examination curve is known.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from boostrank.boosters.position_bias import (
    lightgbm_positions,
    position_sorted_order,
    require_positions,
    xgboost_position_biases,
)
from boostrank.data.ranking_data import RankingData
from boostrank.validation import to_ranking_data
from neural.position_bias import (
    BIAS_STEP_SCALE,
    POSITION_COLUMN_SCALE,
    PositionBiasScorer,
    check_propensities,
    ipw_labels,
    resolve_position_bias,
    with_position_column,
)


def _log(n_queries: int = 6, size: int = 5, seed: int = 0) -> RankingData:
    rng = np.random.default_rng(seed)
    n = n_queries * size
    X = rng.normal(size=(n, 3))
    y = (rng.random(n) < 0.4).astype(np.float64)
    qid = np.repeat(np.arange(n_queries), size)
    position = np.concatenate([rng.permutation(size) + 1 for _ in range(n_queries)])
    return RankingData(X, y, qid, position=position)


# ---------------------------------------------------------------- shared helpers
def test_positions_follow_the_query_grouping_of_fit():
    rng = np.random.default_rng(1)
    qid = rng.integers(0, 4, size=30)
    X = rng.normal(size=(30, 2))
    position = rng.integers(1, 11, size=30)
    grouped, _ = RankingData.from_arrays_with_order(X, np.zeros(30), qid, warn=False,
                                                    position=position)
    got = to_ranking_data(X, np.zeros(30), qid=qid, position=position)[0].position
    np.testing.assert_array_equal(got, grouped.position)
    # brute force: rows of each query in first-appearance order of the queries, stable
    order = [i for q in dict.fromkeys(qid.tolist()) for i in range(30) if qid[i] == q]
    np.testing.assert_array_equal(got, position[order])


def test_positions_of_a_ranking_data_and_bad_positions():
    log = _log()
    def positions_of(X, **kwargs):
        y = None if isinstance(X, RankingData) else log.y
        return to_ranking_data(X, y, **kwargs)[0].position

    np.testing.assert_array_equal(positions_of(log), log.position)
    assert positions_of(log.X, qid=log.qid) is None
    with pytest.raises(ValueError, match="X.position"):
        positions_of(log, position=log.position)
    with pytest.raises(ValueError, match=">= 1"):
        positions_of(log.X, qid=log.qid, position=np.zeros(log.n_rows))
    with pytest.raises(ValueError, match="rows"):
        positions_of(log.X, qid=log.qid, position=np.ones(3))


def test_missing_positions_is_one_clear_error():
    data = RankingData(np.zeros((4, 1)), np.zeros(4), np.array([1, 1, 2, 2]))
    with pytest.raises(ValueError, match=r"position_bias=True.*\.position.*position="):
        require_positions(data, "LightGBMLambdaMART")


def test_position_sorted_order_sorts_inside_each_query_stably():
    log = _log(n_queries=5, size=6, seed=3)
    positions = log.position.copy()
    positions[2] = positions[3]  # a tie: stable order keeps row 2 before row 3
    order = position_sorted_order(log, positions)
    expected = []
    for q in range(log.n_queries):
        rows = list(range(log.group_offsets[q], log.group_offsets[q + 1]))
        expected += sorted(rows, key=lambda r: (positions[r], r))
    np.testing.assert_array_equal(order, expected)
    assert position_sorted_order(log, np.tile(np.arange(1, 7), 5)) is None


def test_lightgbm_position_ids_are_zero_based_int32():
    ids = lightgbm_positions(np.array([1, 2, 10]))
    assert ids.dtype == np.int32
    np.testing.assert_array_equal(ids, [0, 1, 9])


def test_xgboost_position_biases_from_the_booster_config():
    import xgboost as xgb

    log = _log(n_queries=20, size=8, seed=4)
    dmat = xgb.DMatrix(log.X, label=log.y, qid=log.qid)
    unbiased = xgb.train({"objective": "rank:ndcg", "lambdarank_unbiased": True}, dmat, 3)
    t_plus, t_minus = xgboost_position_biases(unbiased)
    assert t_plus.shape == t_minus.shape and t_plus[0] == 1.0
    assert np.isfinite(t_plus).all()
    plain = xgb.train({"objective": "rank:ndcg"}, dmat, 3)
    assert xgboost_position_biases(plain) is None


# ---------------------------------------------------------------- neural helpers
def test_propensities_are_checked_and_normalised_to_rank_one():
    np.testing.assert_allclose(check_propensities([0.5, 0.25, 0.125], "R"), [1, 0.5, 0.25])
    assert check_propensities(None, "R") is None
    for bad, match in (([], "non-empty"), ([1.0, 0.0], r"propensities\[1\] \(rank 2\)"),
                       ([[1.0]], "1-D"), ([1.0, np.nan], "finite")):
        with pytest.raises(ValueError, match=match):
            check_propensities(bad, "R")


def test_ipw_labels_divide_clicks_by_the_propensity_of_their_rank():
    clicks = np.array([1.0, 0.0, 1.0, 1.0])
    positions = np.array([1, 2, 3, 2])
    propensities = np.array([1.0, 0.5, 0.25])
    np.testing.assert_allclose(ipw_labels(clicks, positions, propensities, "R"),
                               [1.0, 0.0, 4.0, 2.0])
    with pytest.raises(ValueError, match="positions go up to 4"):
        ipw_labels(clicks, np.array([1, 2, 4, 1]), propensities, "R")


def test_position_bias_modes():
    assert resolve_position_bias(False, "ranknet", "R") is None
    assert resolve_position_bias(True, "ranknet", "R") == "learned"
    assert resolve_position_bias(True, "softmax", "R") == "dla"
    with pytest.raises(ValueError, match="position_bias='dla'.*loss='listnet'"):
        resolve_position_bias("dla", "listnet", "R")
    assert resolve_position_bias("ipw", "softmax", "R") == "ipw"
    with pytest.raises(ValueError, match="position_bias='ipw'.*loss='ranknet'"):
        resolve_position_bias("ipw", "ranknet", "R")
    with pytest.raises(ValueError, match="position_bias must be one of"):
        resolve_position_bias("yes", "softmax", "R")


def test_position_tower_adds_a_bias_in_training_only():
    torch.manual_seed(0)
    relevance = torch.nn.Linear(3, 1)
    scorer = PositionBiasScorer(torch.nn.Sequential(relevance, torch.nn.Flatten(0)), 3, 4)
    with torch.no_grad():
        scorer.bias.copy_(torch.tensor([-0.5, -1.0, -2.0]) / BIAS_STEP_SCALE)
    Z = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    positions = np.array([1, 2, 3, 4, 2, 1])
    plain = scorer(torch.from_numpy(Z))
    # input noise far below the position column's scale leaves the positions readable
    noisy_column = torch.from_numpy(with_position_column(Z, positions))
    noisy_column[:, -1] += 0.3 * POSITION_COLUMN_SCALE / 4096 * torch.randn(6)
    biased = scorer(noisy_column)
    expected_bias = np.array([0.0, -0.5, -1.0, -2.0, -0.5, 0.0])
    np.testing.assert_allclose((biased - plain).detach().numpy(), expected_bias, atol=1e-6)
    np.testing.assert_allclose(scorer.propensities(), np.exp([0.0, -0.5, -1.0, -2.0]))


# ---------------------------------------------------------------- families end to end
@pytest.fixture(scope="module")
def click_log():
    """A PBM click log of a generated set (logging ranker: a noisy copy of the labels)."""
    from boostrank import make_ranking
    from boostrank.clicks import simulate_clicks

    data = make_ranking(60, (8, 14), 6, random_state=0)
    logging = data.y + np.random.default_rng(0).normal(scale=1.5, size=data.n_rows)
    log = simulate_clicks(data, logging, "pbm", random_state=0, n_shown=8, n_sessions=3,
                          output="impressions", eta=1.0, noise=0.1)
    return data, log


def test_lightgbm_position_bias_matches_raw_lightgbm(click_log):
    import lightgbm as lgb

    from boostrank import LightGBMLambdaMART

    _, log = click_log
    model = LightGBMLambdaMART(position_bias=True, position_bias_regularization=0.5,
                               n_estimators=15, random_state=0, n_jobs=1)
    model.fit(log)
    params = model._lgb_params(None)
    assert params["lambdarank_position_bias_regularization"] == 0.5
    dtrain = lgb.Dataset(log.X, label=log.y, group=log.group_sizes,
                         position=log.position - 1, params=params)
    raw = lgb.train(params, dtrain, num_boost_round=15)
    np.testing.assert_array_equal(model.predict(log.X), raw.predict(log.X))
    assert model.propensities_ is None
    naive = LightGBMLambdaMART(n_estimators=15, random_state=0, n_jobs=1).fit(log)
    assert not np.array_equal(naive.predict(log.X), model.predict(log.X))
    assert "propensities_" not in naive.__dict__


def test_lightgbm_position_bias_needs_lambdarank():
    from boostrank import LightGBMLambdaMART

    log = _log()
    with pytest.raises(ValueError, match="position_bias=True needs objective='lambdarank'"):
        LightGBMLambdaMART(objective="rank_xendcg", position_bias=True).fit(log)


def _shuffled_inside_queries(log: RankingData, seed: int) -> RankingData:
    rng = np.random.default_rng(seed)
    order = np.concatenate([lo + rng.permutation(hi - lo) for lo, hi in
                            zip(log.group_offsets[:-1], log.group_offsets[1:], strict=True)])
    return RankingData(log.X[order], log.y[order], log.qid[order], position=log.position[order])


def test_xgboost_unbiased_sorts_rows_by_position_and_predicts_in_caller_order(click_log):
    import xgboost as xgb

    from boostrank import XGBoostLambdaMART

    _, log = click_log
    shuffled = _shuffled_inside_queries(log, seed=1)
    kwargs = dict(position_bias=True, position_bias_norm=0.5, n_estimators=10,
                  random_state=0, n_jobs=1)
    model = XGBoostLambdaMART(**kwargs).fit(shuffled)
    # raw XGBoost on the rows in position order (the simulated log is already in that order)
    assert np.all(np.diff(log.position)[np.diff(log.qid) == 0] > 0)
    params = model._xgb_params(model._gain_spec)
    assert params["lambdarank_unbiased"] is True and params["lambdarank_bias_norm"] == 0.5
    assert params["lambdarank_normalization"] is False  # keeps the IPW weights across queries
    qindex = np.repeat(np.arange(log.n_queries), log.group_sizes)
    raw = xgb.train(params, xgb.DMatrix(log.X, label=log.y, qid=qindex), 10)
    np.testing.assert_array_equal(model.predict(shuffled.X),
                                  raw.predict(xgb.DMatrix(shuffled.X)))
    np.testing.assert_array_equal(model.predict(log.X), raw.predict(xgb.DMatrix(log.X)))
    # the same log in another row order trains the same model
    other = XGBoostLambdaMART(**kwargs).fit(_shuffled_inside_queries(log, seed=2))
    np.testing.assert_array_equal(other.predict(log.X), model.predict(log.X))
    t_plus = json_biases(raw)
    np.testing.assert_array_equal(model.propensities_, t_plus[:model.propensities_.size])
    assert model.propensities_[0] == 1.0 and model.propensities_.size == log.position.max()
    assert model.nonclick_propensities_.shape == model.propensities_.shape


def test_xgboost_unbiased_query_normalization_is_off_unless_asked():
    from boostrank import XGBoostLambdaMART

    params = XGBoostLambdaMART(position_bias=True)._xgb_params(None)
    assert params["lambdarank_normalization"] is False
    kept = XGBoostLambdaMART(position_bias=True, params={"lambdarank_normalization": True})
    assert kept._xgb_params(None)["lambdarank_normalization"] is True
    assert "lambdarank_normalization" not in XGBoostLambdaMART()._xgb_params(None)


def json_biases(booster) -> np.ndarray:
    import json

    return np.asarray(json.loads(booster.save_config())["learner"]["objective"]["ti+"])


def test_xgboost_position_biases_survive_save_and_load(click_log, tmp_path):
    from boostrank import XGBoostLambdaMART

    _, log = click_log
    model = XGBoostLambdaMART(position_bias=True, n_estimators=5, random_state=0,
                              n_jobs=1).fit(log)
    loaded = XGBoostLambdaMART.load(model.save(tmp_path / "m.zip"))
    np.testing.assert_array_equal(loaded.propensities_, model.propensities_)
    np.testing.assert_array_equal(loaded.predict(log.X), model.predict(log.X))


@pytest.mark.parametrize("family", ["lightgbm", "xgboost"])
def test_boosters_without_positions_are_one_clear_error(family):
    from boostrank import LightGBMLambdaMART, XGBoostLambdaMART

    cls = {"lightgbm": LightGBMLambdaMART, "xgboost": XGBoostLambdaMART}[family]
    log = _log()
    plain = RankingData(log.X, log.y, log.qid)
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(position_bias=True\) needs the "
                                         r"display position.*fit\(X, y, qid=\.\.\., position"):
        cls(position_bias=True, n_estimators=2).fit(plain)
    # positions as a fit argument, rows of a query not contiguous: same model as the log
    rng = np.random.default_rng(0)
    order = rng.permutation(log.n_rows)
    model = cls(position_bias=True, n_estimators=3, random_state=0, n_jobs=1)
    model.fit(log.X[order], log.y[order], qid=log.qid[order], position=log.position[order])
    reference = cls(position_bias=True, n_estimators=3, random_state=0, n_jobs=1).fit(log)
    np.testing.assert_allclose(model.predict(log.X), reference.predict(log.X), rtol=1e-6)


# ---------------------------------------------------------------- neural
def _neural(**params):
    from neural import NeuralRanker

    base = dict(loss="softmax", hidden_sizes=(16,), n_epochs=4, batch_size=16,
                early_stopping_rounds=None, device="cpu", random_state=0, dropout=0.0)
    return NeuralRanker(**{**base, **params})


def test_neural_ipw_is_training_on_clicks_over_propensities(click_log, tmp_path):
    _, log = click_log
    propensities = 2.0 / np.arange(1, 9)  # normalised to rank 1 = 1 by the estimator
    model = _neural(position_bias="ipw", propensities=propensities).fit(log)
    weighted = RankingData(log.X, log.y / (propensities[log.position - 1] / 2.0), log.qid)
    reference = _neural().fit(weighted)
    np.testing.assert_array_equal(model.predict(log.X), reference.predict(log.X))
    np.testing.assert_allclose(model.propensities_, 1.0 / np.arange(1, 9))
    loaded = type(model).load(model.save(tmp_path / "ipw.zip"))
    np.testing.assert_array_equal(loaded.propensities_, model.propensities_)
    np.testing.assert_array_equal(loaded.predict(log.X), model.predict(log.X))


@pytest.mark.parametrize("mode", ["dla", "learned"])
def test_neural_learned_bias_recovers_the_examination_curve(mode):
    from boostrank import make_ranking
    from boostrank.clicks import simulate_clicks

    data = make_ranking(150, 10, 5, random_state=3)
    log = simulate_clicks(data, np.random.default_rng(3).normal(size=data.n_rows), "pbm",
                          random_state=3, n_shown=10, n_sessions=20, output="counts",
                          eta=1.0, noise=0.1)
    model = _neural(position_bias=mode, n_epochs=10, learning_rate=3e-3).fit(log)
    learned = model.propensities_
    assert learned.shape == (10,) and learned[0] == 1.0
    # the examination curve of the simulation, (1/rank)**eta, within a factor 2 at every rank
    truth = 1.0 / np.arange(1, 11)
    assert np.all(np.abs(np.log(learned / truth)) < np.log(2.0)), learned
    assert np.corrcoef(np.log(learned), np.log(truth))[0, 1] > 0.9
    # predict never needs positions, and scores relevance alone (the tower is dropped)
    assert isinstance(model.model_, type(_neural()._build_model(5)))
    assert model.predict(data.X).shape == (data.n_rows,)


def test_neural_ipw_without_propensities_estimates_them_first(click_log):
    _, log = click_log
    model = _neural(position_bias="ipw", loss="rmse").fit(log)
    learned = _neural(position_bias="dla").fit(log)
    np.testing.assert_array_equal(model.propensities_, learned.propensities_)


def test_neural_position_bias_errors():
    log = _log()
    plain = RankingData(log.X, log.y, log.qid)
    with pytest.raises(ValueError, match=r"NeuralRanker\(position_bias=True\) needs the display"):
        _neural(position_bias=True).fit(plain)
    with pytest.raises(ValueError, match="position_bias='ipw'.*loss='ranknet'"):
        _neural(position_bias="ipw", loss="ranknet").fit(log)
    with pytest.raises(ValueError, match="propensities are used by position_bias='ipw' only"):
        _neural(position_bias=True, propensities=[1.0, 0.5]).fit(log)
    with pytest.raises(ValueError, match="propensities"):
        _neural(position_bias="ipw", propensities=[1.0, -0.5]).fit(log)
    with pytest.raises(ValueError, match="positions go up to 5"):
        _neural(position_bias="ipw", propensities=[1.0, 0.5]).fit(log)
    with pytest.raises(ValueError, match="position_bias"):
        _neural(position_bias="sometimes").fit(log)


# ---------------------------------------------------------------- compare
def test_compare_runs_naive_and_corrected_models_on_a_click_log(click_log):
    from boostrank.comparison import compare
    from boostrank.comparison.models import resolve_models

    data, log = click_log
    spec = resolve_models("xgboost+pb", {"xgboost+pb": {"n_estimators": 5}})[0]
    assert (spec.label, spec.name) == ("xgboost+pb", "xgboost")
    assert spec.params == {"position_bias": True, "n_estimators": 5}
    with pytest.raises(ValueError, match=r"unknown model 'nosuch\+pb'.*NAME\+pb"):
        resolve_models("nosuch+pb")
    test = data.queries(slice(40, None))
    params = {name: {"n_estimators": 10} for name in ("xgboost", "xgboost+pb")}
    res = compare("xgboost,xgboost+pb", log, None, test, params=params, progress=False,
                  n_resamples=200, random_state=0)
    # scored on the true labels of the test split; the corrected model is the one that
    # XGBoostLambdaMART(position_bias=True) trains on the same log
    from boostrank import XGBoostLambdaMART

    direct = XGBoostLambdaMART(position_bias=True, n_estimators=10, random_state=0).fit(log)
    np.testing.assert_allclose(res.run("xgboost+pb").scores, direct.predict(test.X),
                               rtol=1e-6)
    assert res.run("xgboost").params.get("position_bias") in (None, False)


def test_dual_learning_loss_weights_each_tower_by_the_other():
    from neural.losses import get_loss, softmax_loss
    from neural.position_bias import DualLearningLoss

    f = torch.tensor([[2.0, 0.5, -1.0, 0.0]], requires_grad=True)
    b = torch.tensor([[0.0, -0.7, -1.5, 0.0]], requires_grad=True)
    position = torch.tensor([[2.0, 1.0, 3.0, 0.0]])  # the best-placed document is the 2nd
    mask = torch.tensor([[True, True, True, False]])
    clicks = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    loss = DualLearningLoss(get_loss("softmax"))
    got = loss(torch.stack([f, b, position], dim=-1), clicks, mask)
    # brute force: inverse propensity exp(-b) for the ranker, inverse relevance ratio
    # exp(f_top - f) (top = the document at position 1) for the propensity tower
    ipw = clicks * torch.exp(-b.detach())
    irw = clicks * torch.exp(f.detach()[0, 1] - f.detach())
    expected = softmax_loss(f, ipw, mask) + softmax_loss(b, irw, mask)
    torch.testing.assert_close(got, expected)
    got.backward()
    assert f.grad is not None and b.grad is not None and f.grad[0, 3] == 0
