"""tuning.tune: real Optuna studies on small generated data (in-memory storage)."""

from __future__ import annotations

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")
lightgbm_ranker = pytest.importorskip("boostrank.boosters.lightgbm_ranker")

from boostrank.data import make_ranking  # noqa: E402
from boostrank.metrics import evaluate  # noqa: E402
from tuning import query_folds, tune  # noqa: E402
from tuning.objective import CURVE_ATTR  # noqa: E402
from tuning.pruners import make_pruner  # noqa: E402
from tuning.samplers import make_sampler  # noqa: E402
from tuning.spaces import SearchSpace, default_space, resolve_space  # noqa: E402

LGBM = lightgbm_ranker.LightGBMLambdaMART
optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def data():
    train = make_ranking(120, (5, 15), 8, random_state=11)
    valid = make_ranking(60, (5, 15), 8, random_state=12)
    return train, valid


def small_lgbm(**params):
    base = dict(n_estimators=40, early_stopping_rounds=10, n_jobs=1, random_state=3)
    base.update(params)
    return LGBM(**base)


def test_best_never_below_enqueued_default(data):
    train, valid = data
    model = small_lgbm()
    result = tune(model, train, valid, n_trials=6, random_state=1)
    first = result.study.trials[0]
    assert first.user_attrs["boostrank:default"] is True
    # brute force: the default configuration fitted by hand scores the default trial's value
    reference = small_lgbm().fit(train, eval_set=valid)
    expected = evaluate(valid.y, reference.predict(valid.X), valid.qid, metrics=("ndcg@10",))
    assert first.value == pytest.approx(expected["ndcg@10"], abs=1e-12)
    assert result.default_value == pytest.approx(first.value)
    assert result.best_value >= result.default_value
    assert result.best_value == max(t.value for t in result.study.trials
                                    if t.state.name == "COMPLETE")
    # the refitted estimator is the best trial's model
    refit = result.best_estimator
    got = evaluate(valid.y, refit.predict(valid.X), valid.qid, metrics=("ndcg@10",))
    assert got["ndcg@10"] == pytest.approx(result.best_value, abs=1e-12)
    assert len(result.trials) == 6 and set(result.trials["state"]) <= {"COMPLETE", "PRUNED"}
    # the model instance passed in is left untouched (never fitted)
    assert not hasattr(model, "n_features_in_")


def test_reported_values_are_the_estimators_per_round_metric(data):
    train, valid = data
    result = tune(small_lgbm(n_estimators=60, early_stopping_rounds=30), train, valid,
                  n_trials=1, random_state=0, pruner="median")
    trial = result.study.trials[0]
    reference = small_lgbm(n_estimators=60, early_stopping_rounds=30).fit(train, eval_set=valid)
    curve = reference.evals_result_["valid_0"]["ndcg@10"]
    # the full per-round curve is stored once, in the trial's attributes
    assert trial.user_attrs[CURVE_ATTR] == pytest.approx(curve, abs=0)
    assert len(set(np.round(curve, 12))) > 1  # a real curve, not a constant one
    # only the median pruner's check points (warm-up 5 rounds, then every 10) and the last
    # round are reported; with early stopping the reported value is the best so far
    last = len(curve) - 1
    expected_steps = sorted({s for s in range(5, len(curve), 10)} | {last})
    assert sorted(trial.intermediate_values) == expected_steps
    best_so_far = np.maximum.accumulate(np.asarray(curve))
    assert [trial.intermediate_values[s] for s in expected_steps] == \
        pytest.approx(best_so_far[expected_steps].tolist(), abs=1e-15)
    assert trial.intermediate_values[last] == pytest.approx(trial.value, abs=1e-12)


def test_report_every_sets_the_check_points(data):
    train, valid = data
    result = tune(small_lgbm(early_stopping_rounds=None), train, valid, n_trials=1,
                  random_state=0, pruner="median", report_every=3)
    trial = result.study.trials[0]
    assert sorted(trial.intermediate_values) == [5, 8, 11, 14, 17, 20, 23, 26, 29, 32, 35,
                                                 38, 39]
    with pytest.raises(ValueError, match="report_every"):
        tune(small_lgbm(), train, valid, n_trials=1, report_every=0)


def test_successive_halving_reports_at_its_rungs(data):
    train, valid = data
    result = tune(small_lgbm(early_stopping_rounds=None), train, valid, n_trials=1,
                  random_state=0, pruner="successive_halving")
    # minimum resource 5 rounds, reduction factor 3: rungs 5, 15 (then 45 > 40), + last
    assert sorted(result.study.trials[0].intermediate_values) == [5, 15, 39]


def test_without_early_stopping_the_current_round_is_reported(data):
    train, valid = data

    def space(trial):  # a user space that keeps every round: report the round's own value
        return {"learning_rate": trial.suggest_float("learning_rate", 0.05, 0.3),
                "early_stopping_rounds": None}

    result = tune(small_lgbm(), train, valid, n_trials=2, random_state=0, pruner="median",
                  space=space, enqueue_default=False)
    trial = result.study.trials[0]
    reference = small_lgbm(**trial.params, early_stopping_rounds=None).fit(
        train, eval_set=valid)
    curve = reference.evals_result_["valid_0"]["ndcg@10"]
    assert trial.user_attrs[CURVE_ATTR] == pytest.approx(curve, abs=0)
    steps = sorted(trial.intermediate_values)
    assert steps == [5, 15, 25, 35, 39]
    assert [trial.intermediate_values[s] for s in steps] == pytest.approx(
        [curve[s] for s in steps], abs=0)


def test_metric_and_convention_are_what_is_maximised(data):
    train, valid = data
    result = tune(small_lgbm(), train, valid, metric="MAP", convention="letor", n_trials=3,
                  random_state=0)
    assert result.metric == "map" and result.convention == "letor"
    assert result.study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert result.best_params["eval_metric"] == "map"
    assert result.best_params["eval_convention"] == "letor"
    refit = result.best_estimator
    assert refit.eval_metric == "map"
    expected = evaluate(valid.y, refit.predict(valid.X), valid.qid, metrics=("map",),
                        convention="letor")["map"]
    assert result.best_value == pytest.approx(expected, abs=1e-12)


def test_pruning_happens_on_a_case_built_to_prune(data):
    train, valid = data

    def space(trial):
        # every trial after the first two learns almost nothing: far below the median curve
        slow = trial.number >= 2
        lr = trial.suggest_float("learning_rate", 1e-6 if slow else 0.1,
                                 2e-6 if slow else 0.2, log=True)
        return {"learning_rate": lr, "early_stopping_rounds": None}

    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=3)
    result = tune(small_lgbm(n_estimators=40), train, valid, space=space, pruner=pruner,
                  n_trials=6, random_state=0, enqueue_default=False)
    states = list(result.trials["state"])
    assert states[:2] == ["COMPLETE", "COMPLETE"]
    assert states.count("PRUNED") >= 3
    assert "FAIL" not in states
    pruned = result.trials[result.trials["state"] == "PRUNED"]
    assert (pruned["steps_reported"] < 40).all()
    assert result.best_trial in (0, 1)


def test_pruner_none_reports_nothing(data):
    train, valid = data
    result = tune(small_lgbm(), train, valid, n_trials=2, pruner="none", random_state=0)
    assert all(not t.intermediate_values for t in result.study.trials)


def test_same_seed_same_study(data):
    train, valid = data
    a = tune(small_lgbm(), train, valid, n_trials=4, random_state=5)
    b = tune(small_lgbm(), train, valid, n_trials=4, random_state=5)
    assert list(a.trials["value"]) == list(b.trials["value"])
    assert a.best_params == b.best_params


def test_default_space_and_params(data):
    train, valid = data
    space = default_space(small_lgbm())
    assert {"learning_rate", "num_leaves", "min_child_samples", "colsample_bytree",
            "subsample", "reg_alpha", "reg_lambda"} == set(space.param_names)
    result = tune(small_lgbm(), train, valid, n_trials=3, random_state=0)
    sampled = result.study.trials[1]
    assert set(sampled.params) == set(space.param_names)
    # the sampled trial's parameters are what the estimator got (bagging frequency fixed on)
    params = result.trials.iloc[1]
    assert params["param_subsample_freq"] == 1
    assert params["param_num_leaves"] == sampled.params["num_leaves"]
    # the default trial records the estimator's own values, including those outside the space
    assert result.trials.iloc[0]["param_reg_alpha"] == 0.0


def test_dict_space(data):
    train, valid = data
    space = {"num_leaves": optuna.distributions.IntDistribution(3, 15)}
    result = tune(small_lgbm(num_leaves=40), train, valid, space=space, n_trials=4, random_state=0)
    default, *sampled = result.study.trials
    # num_leaves=40 lies outside the range: the default trial keeps it without sampling it
    assert default.params == {} and result.trials.iloc[0]["param_num_leaves"] == 40
    for trial in sampled:
        assert set(trial.params) == {"num_leaves"}
        assert 3 <= trial.params["num_leaves"] <= 15
    assert set(result.best_params) <= {"num_leaves", "random_state"}


def test_cross_validation_splits_whole_queries(data):
    train, _ = data
    folds = query_folds(train, 4)
    assert len(folds) == 4
    seen = []
    for part_train, part_valid in folds:
        assert not set(part_train.qid) & set(part_valid.qid)
        assert part_train.n_queries + part_valid.n_queries == train.n_queries
        seen.extend(np.unique(part_valid.qid))
        # a query keeps all its rows
        sizes = dict(zip(train.query_ids, train.group_sizes, strict=True))
        for q, size in zip(part_valid.query_ids, part_valid.group_sizes, strict=True):
            assert sizes[q] == size
    assert sorted(seen) == sorted(train.query_ids)


def test_cv_tuning_refits_for_mean_kept_rounds(data):
    train, _ = data
    result = tune(small_lgbm(), train, None, cv=3, n_trials=3, random_state=0)
    best = result.study.best_trial
    scores = best.user_attrs["boostrank:fold_scores"]
    assert len(scores) == 3 and result.best_value == pytest.approx(np.mean(scores))
    kept = best.user_attrs["boostrank:best_iteration"]
    assert result.best_params["n_estimators"] == int(round(np.mean(kept)))
    assert result.best_params["early_stopping_rounds"] is None
    assert result.best_estimator.best_iteration_ == result.best_params["n_estimators"]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(model="no_such_model"), ValueError, "unknown model"),
        (dict(metric="ndgc@10"), ValueError, "unknown metric"),
        (dict(metric="ndcg@10,map"), ValueError, "exactly one"),
        (dict(convention="nope"), ValueError, "nope"),
        (dict(space={"max_bins": optuna.distributions.IntDistribution(2, 9)}), ValueError,
         "max_bins"),
        (dict(space=lambda trial: {"hidden": trial.suggest_int("hidden", 1, 2)}), ValueError,
         "hidden"),
        (dict(space={"num_leaves": (2, 9)}), TypeError, "num_leaves"),
        (dict(pruner="sometimes"), ValueError, "unknown pruner"),
        (dict(sampler="magic"), ValueError, "unknown sampler"),
        (dict(valid=None), ValueError, "validation set"),
        (dict(cv=1), ValueError, "cv"),
        (dict(cv=10_000), ValueError, "queries"),
        (dict(n_trials=-1), ValueError, "n_trials"),
        (dict(n_trials=None), ValueError, "n_trials or timeout"),
        (dict(storage="study.db"), ValueError, "sqlite:///"),
        (dict(n_jobs=0), ValueError, "n_jobs"),
        (dict(model=LGBM(num_leaves=-3)), ValueError, "num_leaves"),
    ],
)
def test_bad_arguments_fail_before_any_trial(data, monkeypatch, kwargs, error, match):
    train, valid = data
    fits = []
    original = LGBM.fit

    def counting_fit(self, *args, **kw):
        fits.append(1)
        return original(self, *args, **kw)

    monkeypatch.setattr(LGBM, "fit", counting_fit)
    arguments = dict(model=small_lgbm(), train=train, valid=valid, n_trials=2)
    arguments.update(kwargs)
    model = arguments.pop("model")
    with pytest.raises(error, match=match):
        tune(model, arguments.pop("train"), arguments.pop("valid"), **arguments)
    assert fits == []


def test_no_completed_trial_is_an_error(data):
    train, valid = data

    class AlwaysPrune(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            return True

    with pytest.raises(RuntimeError, match="no trial completed.*2 pruned"):
        tune(small_lgbm(), train, valid, pruner=AlwaysPrune(), n_trials=2,
             enqueue_default=False)


def test_resolve_space_reports_names():
    model = small_lgbm()
    space, names = resolve_space(None, model)
    assert isinstance(space, SearchSpace) and names == space.param_names
    _, names = resolve_space(lambda t: {"learning_rate": t.suggest_float("lr", 0.01, 0.1)},
                             model)
    assert names == ["learning_rate"]


def test_sampler_and_pruner_names():
    assert isinstance(make_sampler("random", random_state=1), optuna.samplers.RandomSampler)
    assert isinstance(make_sampler("tpe"), optuna.samplers.TPESampler)
    assert isinstance(make_sampler("qmc"), optuna.samplers.QMCSampler)
    sampler = optuna.samplers.RandomSampler()
    assert make_sampler(sampler) is sampler
    assert isinstance(make_pruner("none"), optuna.pruners.NopPruner)
    assert isinstance(make_pruner(None), optuna.pruners.NopPruner)
    assert isinstance(make_pruner("median"), optuna.pruners.MedianPruner)
    assert isinstance(make_pruner("hyperband"), optuna.pruners.HyperbandPruner)
    assert isinstance(make_pruner("successive_halving"),
                      optuna.pruners.SuccessiveHalvingPruner)
    with pytest.raises(TypeError):
        make_pruner(3)


def test_xgboost_tuning_stores_every_round(data):
    xgb = pytest.importorskip("boostrank.boosters.xgboost_ranker")
    train, valid = data
    model = xgb.XGBoostLambdaMART(n_estimators=15, early_stopping_rounds=None, n_jobs=1,
                                  random_state=0)
    result = tune(model, train, valid, n_trials=2, random_state=0)
    assert result.best_value >= result.default_value
    assert len(result.study.trials[0].user_attrs[CURVE_ATTR]) == 15
    assert "max_depth" in result.study.trials[1].params


@pytest.mark.parametrize("name", ["ListNet", "RankNet"])
def test_neural_tuning_stores_every_epoch(data, name):
    estimators = pytest.importorskip("neural.estimators")
    train, valid = data
    model = getattr(estimators, name)(n_epochs=4, early_stopping_rounds=None, n_jobs=1,
                                      hidden_sizes=(16,), random_state=0)
    result = tune(model, train, valid, n_trials=2, random_state=0)
    assert result.best_value >= result.default_value
    assert len(result.study.trials[0].user_attrs[CURVE_ATTR]) == 4
    assert sorted(result.study.trials[0].intermediate_values) == [2, 3]  # after 2 epochs
    sampled = result.study.trials[1]
    loss_option = "temperature" if name == "ListNet" else "sigma"
    assert {"learning_rate", "hidden_sizes", "dropout", loss_option} <= set(sampled.params)
    # hidden sizes are stored as text by Optuna, handed to the model as a tuple
    assert isinstance(result.trials.iloc[1]["param_hidden_sizes"], str)
    if result.best_trial == 1:
        assert isinstance(result.best_params["hidden_sizes"], tuple)
        assert result.best_estimator.hidden_sizes == result.best_params["hidden_sizes"]
