"""tuning.selection: select="significant" keeps the default configuration unless the best
trial beats it on the validation queries beyond the luck of the best of the study's trials
(max-t test, itself checked against brute force in test_metrics_max_t.py); the stored per-query
values against a brute-force recomputation."""

from __future__ import annotations

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")
lightgbm_ranker = pytest.importorskip("boostrank.boosters.lightgbm_ranker")
scipy_stats = pytest.importorskip("scipy.stats")

from optuna.distributions import FloatDistribution  # noqa: E402

from boostrank.data import RankingData  # noqa: E402
from boostrank.metrics import evaluate  # noqa: E402
from boostrank.metrics.max_t import max_t_test  # noqa: E402
from tuning import query_folds, tune  # noqa: E402
from tuning.selection import QUERY_SCORES_ATTR, check_select, select_trial  # noqa: E402

LGBM = lightgbm_ranker.LightGBMLambdaMART


def _trial(number: int, value: float, scores) -> optuna.trial.FrozenTrial:
    trial = optuna.trial.create_trial(
        value=value, params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)},
        user_attrs={QUERY_SCORES_ATTR: list(scores)})
    trial.number = number
    return trial


def test_significant_gain_selects_the_best_and_reports_the_max_t_p():
    rng = np.random.default_rng(0)
    default_scores = rng.uniform(0.2, 0.8, 200)
    best_scores = np.clip(default_scores + rng.normal(0.05, 0.05, 200), 0, 1)
    default, best = _trial(0, default_scores.mean(), default_scores), \
        _trial(7, best_scores.mean(), best_scores)
    chosen, selection = select_trial(best, default, "significant")
    assert chosen is best and not selection.kept_default
    assert selection.p_value == max_t_test([best_scores], default_scores)[1]
    assert selection.p_value < 1e-3 and selection.n_compared == 1
    assert selection.gain == pytest.approx(float(np.mean(best_scores - default_scores)))
    assert selection.n_queries == 200 and "significant" in selection.verdict()


def test_the_luckiest_of_many_trials_keeps_the_default():
    """The best of 40 trials no better than the default passes a plain paired t-test
    (p < 0.05) but not the max-t test over the 40 it was picked from."""
    rng = np.random.default_rng(2)
    default_scores = rng.uniform(0.2, 0.8, 150)
    noisy = default_scores + rng.normal(0, 0.08, (40, 150))
    trials = [_trial(i + 1, row.mean(), row) for i, row in enumerate(noisy)]
    best = max(trials, key=lambda t: t.value)
    best_scores = np.asarray(best.user_attrs[QUERY_SCORES_ATTR])
    assert scipy_stats.ttest_rel(best_scores, default_scores).pvalue < 0.05
    default = _trial(0, default_scores.mean(), default_scores)
    alone = select_trial(best, default, "significant")[1]
    assert not alone.kept_default  # without the family the luck passes
    chosen, selection = select_trial(best, default, "significant", candidates=trials + [default])
    assert chosen is default and selection.kept_default and selection.n_compared == 40
    assert selection.p_value == max_t_test(
        [best_scores] + [t.user_attrs[QUERY_SCORES_ATTR] for t in trials if t is not best],
        default_scores, index=0)[1]
    assert "best of 40 trials" in selection.verdict()


def test_noise_keeps_the_default():
    rng = np.random.default_rng(1)
    default_scores = rng.uniform(0.2, 0.8, 60)
    best_scores = np.clip(default_scores + rng.normal(0.002, 0.1, 60), 0, 1)
    default, best = _trial(0, 0.5, default_scores), _trial(3, 0.51, best_scores)
    chosen, selection = select_trial(best, default, "significant")
    p = scipy_stats.ttest_rel(best_scores, default_scores).pvalue
    assert p >= 0.05  # the generated gain is noise
    assert chosen is default and selection.kept_default
    assert selection.chosen_trial == 0 and selection.best_trial == 3
    assert "kept the default configuration" in selection.verdict()


def test_nan_queries_are_left_out_of_both_and_identical_scores_keep_the_default():
    scores = [0.5, None, 0.7, 0.1]
    default, best = _trial(0, 0.4, scores), _trial(1, 0.4, scores)
    chosen, selection = select_trial(best, default, "significant")
    assert chosen is default and selection.n_queries == 3 and selection.p_value == 1.0


def test_default_with_the_best_value_is_kept_and_said_so():
    default = _trial(0, 0.9, [0.9, 0.8])
    chosen, selection = select_trial(default, default, "significant", candidates=[default])
    assert chosen is default and selection.kept_default and selection.gain is None
    assert selection.verdict().startswith("kept the default configuration (trial 0)")


def test_rule_best_and_missing_default():
    best = _trial(2, 0.9, [0.9, 0.8])
    assert select_trial(best, None, "significant")[0] is best
    assert select_trial(best, _trial(0, 0.1, [0.1, 0.2]), "best")[0] is best
    with pytest.raises(ValueError, match="per-query validation scores"):
        select_trial(best, optuna.trial.create_trial(value=0.1), "significant")


@pytest.mark.parametrize("select,alpha", [("sig", 0.05), ("best", 0.0), ("best", 1.5)])
def test_bad_select_arguments(select, alpha):
    with pytest.raises(ValueError, match="select"):
        check_select(select, alpha)


@pytest.fixture(scope="module")
def data(ranking_splits):
    return ranking_splits((90, 40, 40), (5, 12), 8, random_state=4)


def _per_query(model, part):
    _, values = evaluate(part.y, model.predict(part.X), part.qid, metrics=("ndcg@10",),
                         per_query=True)
    return np.asarray(values["ndcg@10"], dtype=np.float64)


def test_tune_stores_out_of_fold_query_scores_and_selects(data):
    train, valid, _ = data
    model = LGBM(n_estimators=20, early_stopping_rounds=None, n_jobs=1, random_state=0)
    result = tune(model, train, valid, cv=3, n_trials=4, random_state=0, select="significant")
    trials = {t.number: t for t in result.study.trials}
    default = trials[0]
    # brute force: the default configuration fitted fold by fold, scored per query
    whole = RankingData.concat([train, valid])
    expected = np.concatenate([_per_query(LGBM(**model.get_params()).fit(fit_part), held)
                               for fit_part, held in query_folds(whole, 3)])
    stored = np.asarray(default.user_attrs[QUERY_SCORES_ATTR], dtype=np.float64)
    np.testing.assert_allclose(stored, expected, atol=1e-7)
    selection = result.selection
    assert selection.rule == "significant"
    assert result.best_trial == selection.chosen_trial
    if selection.kept_default:
        assert result.best_trial == 0 and result.best_value == default.value
    assert "selection" in result.summary()


def test_select_best_stores_no_query_scores(data):
    train, valid, _ = data
    model = LGBM(n_estimators=10, n_jobs=1, random_state=0)
    result = tune(model, train, valid, n_trials=2, random_state=0)
    assert all(QUERY_SCORES_ATTR not in t.user_attrs for t in result.study.trials)
    assert result.selection.rule == "best"


def test_resuming_a_best_study_with_significant_fails_before_any_trial(data, tmp_path):
    train, valid, _ = data
    model = LGBM(n_estimators=10, n_jobs=1, random_state=0)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune(model, train, valid, n_trials=2, random_state=0, storage=url, study_name="s")
    with pytest.raises(ValueError, match="without per-query scores"):
        tune(model, train, valid, n_trials=2, random_state=0, storage=url, study_name="s",
             select="significant")
    study = optuna.load_study(study_name="s", storage=url)
    assert len(study.trials) == 2


def test_where_tuning_pays_the_rule_takes_the_tuned_trial():
    """A default configuration that is far from good (a learning rate of 0.001 on stumps):
    the best trial beats it beyond the luck of the study, and is returned."""
    from boostrank.data import make_ranking

    data = make_ranking(240, (8, 20), 10, random_state=1)
    train, valid = data.queries(slice(0, 160)), data.queries(slice(160, 240))
    model = LGBM(n_estimators=60, learning_rate=0.001, num_leaves=2, n_jobs=1, random_state=0)
    result = tune(model, train, valid, cv=3, n_trials=10, random_state=0, select="significant",
                  refit=False)
    selection = result.selection
    assert not selection.kept_default and selection.chosen_trial == selection.best_trial != 0
    assert selection.p_value < 0.01 and selection.gain > 0.05
    assert selection.n_compared >= 2 and selection.n_queries == 240
    assert result.best_value > result.default_value
