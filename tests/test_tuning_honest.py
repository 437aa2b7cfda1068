"""tuning.tune: held-out comparison with the default, cross-validation over all the data
given, refit on train + valid, study naming, logging, and bad input that must not touch the
storage."""

from __future__ import annotations

import logging

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")
lightgbm_ranker = pytest.importorskip("boostrank.boosters.lightgbm_ranker")

from boostrank.data import RankingData  # noqa: E402
from boostrank.metrics import evaluate  # noqa: E402
from boostrank.metrics.stats import bootstrap_ci, paired_ttest  # noqa: E402
from tuning import query_folds, resolve_convention, resolve_metric, tune  # noqa: E402
from tuning.arguments import metric_label  # noqa: E402
from tuning.spaces import default_space  # noqa: E402

LGBM = lightgbm_ranker.LightGBMLambdaMART


@pytest.fixture(scope="module")
def data(ranking_splits):
    return ranking_splits((100, 50, 80), (5, 12), 8, random_state=21)


def small_lgbm(**params):
    base = dict(n_estimators=30, early_stopping_rounds=10, n_jobs=1, random_state=3)
    base.update(params)
    return LGBM(**base)


def per_query_ndcg(model, data):
    _, values = evaluate(data.y, model.predict(data.X), data.qid, metrics=("ndcg@10",),
                         per_query=True)
    return np.asarray(values["ndcg@10"])


def test_held_out_comparison_is_the_paired_test_of_the_two_refits(data):
    train, valid, test = data
    result = tune(small_lgbm(), train, valid, test=test, n_trials=5, random_state=0)
    held = result.held_out
    # the default configuration refitted by hand, as the study's default trial ran it
    default = small_lgbm().fit(train, eval_set=valid)
    a = per_query_ndcg(result.best_estimator, test)
    b = per_query_ndcg(default, test)
    assert held.default == pytest.approx(b.mean(), abs=1e-12)
    assert held.best == pytest.approx(a.mean(), abs=1e-12)
    assert held.difference == pytest.approx((a - b).mean(), abs=1e-12)
    assert held.p_value == pytest.approx(paired_ttest(a, b)[1], abs=1e-12)
    assert (held.ci_low, held.ci_high) == pytest.approx(bootstrap_ci(a, b, random_state=0))
    assert held.n_queries == test.n_queries
    assert held.significant == (held.p_value < 0.05)
    # the summary and str say it in words
    text = str(result)
    assert "held-out ndcg@10" in text and held.verdict() in text
    assert ("NOT significant" in text) != held.significant or held.difference <= 0
    assert result.summary()["held_out"]["significant"] == held.significant


def test_verdict_says_plainly_when_the_gain_is_not_significant():
    from tuning.result import compare_on_held_out

    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, 200)
    noisy = base + np.tile([0.2, -0.19], 100)  # mean gain +0.005, spread 0.2: noise
    verdict = compare_on_held_out(base, noisy, metric="ndcg@10", convention="default")
    assert verdict.difference > 0
    assert not verdict.significant and "gain is NOT significant" in verdict.verdict()
    clear = compare_on_held_out(base, base + 0.05 + rng.normal(0, 0.01, 200),
                                metric="ndcg@10", convention="default")
    assert clear.significant and "gain is significant" in clear.verdict()


def test_cv_folds_all_the_data_given_and_refits_on_train_plus_valid(data):
    train, valid, _ = data
    result = tune(small_lgbm(), train, valid, cv=3, n_trials=3, random_state=0)
    whole = RankingData.concat([train, valid])
    # the folds are those of train + valid: the default trial's fold scores match a
    # hand-written loop over query_folds(train + valid)
    default = result.study.trials[0]
    expected = []
    for part_train, part_valid in query_folds(whole, 3):
        model = small_lgbm().fit(part_train, eval_set=part_valid)
        expected.append(evaluate(part_valid.y, model.predict(part_valid.X), part_valid.qid,
                                 metrics=("ndcg@10",))["ndcg@10"])
    assert default.user_attrs["boostrank:fold_scores"] == pytest.approx(expected, abs=1e-12)
    # refit on all of it, for the mean of the rounds the folds kept, without early stopping
    best = result.study.best_trial
    rounds = int(round(np.mean(best.user_attrs["boostrank:best_iteration"])))
    assert result.best_params["n_estimators"] == rounds
    assert result.best_params["early_stopping_rounds"] is None
    assert result.best_estimator.n_features_in_ == whole.n_features
    assert result.best_estimator.best_iteration_ == rounds
    assert result.extra["refit"] == "train+valid"


def test_refit_train_plus_valid_without_cv(data):
    train, valid, _ = data
    result = tune(small_lgbm(), train, valid, n_trials=2, random_state=0,
                  refit="train+valid")
    best = result.study.best_trial
    params = {**result.best_params}
    assert params["n_estimators"] == best.user_attrs["boostrank:best_iteration"]
    reference = small_lgbm().set_params(**params).fit(RankingData.concat([train, valid]))
    np.testing.assert_array_equal(result.best_estimator.predict(valid.X),
                                  reference.predict(valid.X))
    with pytest.raises(ValueError, match="refit"):
        tune(small_lgbm(), train, valid, n_trials=1, refit="everything")
    with pytest.raises(ValueError, match="test= .*refit"):
        tune(small_lgbm(), train, valid, test=valid, n_trials=1, refit=False)


def test_study_names_its_metric(data):
    train, valid, _ = data
    result = tune(small_lgbm(), train, valid, n_trials=1, convention="lightgbm")
    assert result.study.metric_names == ["NDCG@10 (validation, lightgbm convention)"]
    assert metric_label("map", "default", cv=5) == "MAP (5-fold CV mean, default convention)"
    assert metric_label("precision@5", "trec") == "Precision@5 (validation, trec convention)"


def test_plots_are_labelled_with_the_metric(data, tmp_path):
    pytest.importorskip("matplotlib")
    train, valid, _ = data
    result = tune(small_lgbm(), train, valid, n_trials=3, random_state=0)
    from tuning.plots import plot_curves

    axes = plot_curves(result.study)
    assert axes.get_ylabel() == "NDCG@10 (validation, default convention)"
    assert "running best" in axes.get_title()
    assert len(axes.lines) == 3
    written = result.save(tmp_path, plots=True)
    assert {"optimization_history", "intermediate_values", "model", "summary"} <= set(written)


def test_verbose_controls_optuna_logging(data, caplog):
    train, valid, _ = data
    optuna.logging.enable_propagation()
    try:
        previous = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.INFO)
        with caplog.at_level(logging.INFO, logger="optuna"):
            tune(small_lgbm(), train, valid, n_trials=2, refit=False)
        assert not {r.getMessage() for r in caplog.records if "finished with" in r.getMessage()}
        assert optuna.logging.get_verbosity() == optuna.logging.INFO  # restored
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="optuna"):
            tune(small_lgbm(), train, valid, n_trials=2, refit=False, verbose=1)
        assert len({r.getMessage() for r in caplog.records
                    if "finished with" in r.getMessage()}) == 2
        with pytest.raises(ValueError, match="verbose"):
            tune(small_lgbm(), train, valid, n_trials=1, verbose=7)
    finally:
        optuna.logging.set_verbosity(previous)
        optuna.logging.disable_propagation()


@pytest.mark.parametrize("n_trials", [0, -2, 1.5, True])
def test_bad_n_trials_leaves_no_trial_in_the_storage(data, tmp_path, n_trials):
    train, valid, _ = data
    path = tmp_path / "study.db"
    with pytest.raises(ValueError, match="n_trials must be a positive integer"):
        tune(small_lgbm(), train, valid, n_trials=n_trials, storage=f"sqlite:///{path}",
             study_name="s")
    assert not path.exists()  # no storage, no study, no WAITING trial
    # on an existing study: the bad call adds nothing either
    tune(small_lgbm(), train, valid, n_trials=1, storage=f"sqlite:///{path}", study_name="s",
         refit=False)
    with pytest.raises(ValueError, match="n_trials"):
        tune(small_lgbm(), train, valid, n_trials=n_trials, storage=f"sqlite:///{path}",
             study_name="s")
    trials = optuna.load_study(study_name="s", storage=f"sqlite:///{path}").trials
    assert [t.state.name for t in trials] == ["COMPLETE"]


def test_memory_and_sqlite_run_the_same_trials(data, tmp_path):
    train, valid, _ = data
    kwargs = dict(n_trials=8, random_state=4, refit=False)
    memory = tune(small_lgbm(n_estimators=40), train, valid, **kwargs)
    stored = tune(small_lgbm(n_estimators=40), train, valid,
                  storage=f"sqlite:///{tmp_path / 's.db'}", **kwargs)
    assert list(memory.trials["state"]) == list(stored.trials["state"])
    assert memory.trials["value"].tolist() == pytest.approx(stored.trials["value"].tolist(),
                                                           abs=0, nan_ok=True)
    assert [t.params for t in memory.study.trials] == [t.params for t in stored.study.trials]
    assert memory.best_value == stored.best_value
    assert memory.best_params == stored.best_params
    assert [t.user_attrs.get("boostrank:curve") for t in memory.study.trials] == \
        [t.user_attrs.get("boostrank:curve") for t in stored.study.trials]


def test_default_space_follows_the_class_registry():
    dask = pytest.importorskip("boostrank.distributed.dask_boosters")
    assert default_space(dask.DaskLightGBMLambdaMART()).name == "lightgbm"
    assert default_space(small_lgbm()).name == "lightgbm"

    from sklearn.base import BaseEstimator

    class Unknown(BaseEstimator):  # no listed class in its MRO
        def fit(self):
            return self

        def predict(self):
            return None

    with pytest.raises(ValueError, match="no default search space"):
        default_space(Unknown())


def test_public_metric_and_convention_checks():
    assert resolve_metric("NDCG@10") == "ndcg@10"
    with pytest.raises(ValueError, match="exactly one"):
        resolve_metric("ndcg@10,map")
    assert resolve_convention("letor")[1] == "letor"
    with pytest.raises(ValueError):
        resolve_convention("nope")


def test_seed_is_a_deprecated_alias(data):
    train, valid, _ = data
    with pytest.warns(DeprecationWarning, match="random_state"):
        old = tune(small_lgbm(), train, valid, n_trials=2, seed=3, refit=False)
    new = tune(small_lgbm(), train, valid, n_trials=2, random_state=3, refit=False)
    assert [t.params for t in old.study.trials] == [t.params for t in new.study.trials]


def test_reporting_only_at_the_rungs_decides_as_reporting_every_round(data):
    """Successive halving decides only at its rungs: reporting there (the default) gives the
    same trials, prunings and best value as reporting every round."""
    train, valid, _ = data
    kwargs = dict(n_trials=8, random_state=2, refit=False, pruner="successive_halving")
    rungs = tune(small_lgbm(early_stopping_rounds=None), train, valid, **kwargs)
    every = tune(small_lgbm(early_stopping_rounds=None), train, valid, report_every=1,
                 **kwargs)
    assert list(rungs.trials["state"]) == list(every.trials["state"])
    assert "PRUNED" in set(rungs.trials["state"])  # the pruner did decide something
    assert rungs.trials["value"].tolist() == pytest.approx(every.trials["value"].tolist(),
                                                          abs=0, nan_ok=True)
    assert rungs.best_value == every.best_value
    assert (rungs.trials["steps_reported"] < every.trials["steps_reported"]).all()


def test_attention_models_get_the_attention_space():
    pytest.importorskip("torch")
    from boostrank.registry import MODELS, get_model_class

    names = [n for n in MODELS if n.startswith("attention_") and n != "attention_dasalc"]
    assert len(names) >= 3
    assert default_space(get_model_class("attention_dasalc")()).name == "dasalc"  # its own
    for name in names:
        model = get_model_class(name)()
        space = default_space(model)
        assert space.name == "attention"
        params = model.get_params()
        for entry in ("d_model", "n_heads", "n_layers", "d_ff", "input_noise", "preprocessing"):
            assert entry in params, (name, entry)
