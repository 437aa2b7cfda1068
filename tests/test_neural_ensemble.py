"""Seed ensembles (``NeuralRanker(ensemble_size=K)``): the scores are the mean of the members'
standardised scores, member k is exactly the single model of seed ``random_state + k``, and
the ensemble survives save / load and pickling (export: tests/test_neural_thermometer.py)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import neural  # noqa: E402
from boostrank.data import make_ranking  # noqa: E402
from boostrank.metrics import evaluate  # noqa: E402
from neural.attention import AttentionScorer  # noqa: E402
from neural.ensemble import ScorerEnsemble, member_seeds, standardising_stats  # noqa: E402

SMALL = dict(hidden_sizes=(16,), n_epochs=4, batch_size=8, device="cpu")


@pytest.fixture(scope="module")
def splits():
    data = make_ranking(60, (4, 12), 6, random_state=5)
    return data.queries(slice(0, 40)), data.queries(slice(40, 50)), data.queries(slice(50, 60))


def _reference(cls, params, seeds, train, valid, test):
    """The ensemble written out by hand: single models, standardised on the training rows."""
    parts = []
    for seed in seeds:
        single = cls(random_state=seed, **params).fit(train, eval_set=valid)
        on_train = single.predict(train)
        parts.append((single.predict(test) - on_train.mean()) / on_train.std())
    return np.mean(parts, axis=0)


@pytest.mark.parametrize("cls,params", [
    (neural.RankNet, SMALL),
    (neural.ListNet, {**SMALL, "preprocessing": "thermometer"}),
    (neural.AttentionListNet, dict(n_epochs=3, batch_size=8, device="cpu", d_model=8,
                                   n_layers=1, n_heads=2, d_ff=16)),
])
def test_scores_are_the_mean_of_standardised_single_models(splits, cls, params):
    train, valid, test = splits
    model = cls(random_state=7, ensemble_size=3, **params).fit(train, eval_set=valid)
    expected = _reference(cls, params, [7, 8, 9], train, valid, test)
    np.testing.assert_allclose(model.predict(test), expected, rtol=1e-5, atol=1e-5)
    assert len(model.ensemble_best_epochs_) == 3
    single = cls(random_state=7, **params).fit(train, eval_set=valid)
    assert model.best_epoch_ == single.best_epoch_ == model.ensemble_best_epochs_[0]
    assert model.evals_result_ == single.evals_result_
    own = evaluate(valid.y, model.predict(valid), valid.qid, metrics=("ndcg@10",))["ndcg@10"]
    assert model.best_score_ == {"valid_0": {"ndcg@10": pytest.approx(own, abs=1e-12)}}


def test_member_zero_has_the_single_models_weights(splits):
    train, valid, _ = splits
    ensemble = neural.RankNet(random_state=3, ensemble_size=2, **SMALL).fit(train, eval_set=valid)
    single = neural.RankNet(random_state=3, **SMALL).fit(train, eval_set=valid)
    member = ensemble.model_.members[0].state_dict()
    for name, tensor in single.model_.state_dict().items():
        assert torch.equal(member[name], tensor), name
    other = ensemble.model_.members[1].state_dict()
    assert not all(torch.equal(other[k], v) for k, v in member.items())


def test_a_fixed_seed_gives_identical_scores(splits):
    train, valid, test = splits
    first, second = (neural.RankNet(random_state=11, ensemble_size=2, **SMALL)
                     .fit(train, eval_set=valid).predict(test) for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_save_load_and_pickle_keep_every_member(splits, tmp_path):
    train, valid, test = splits
    model = neural.RankNet(random_state=1, ensemble_size=3, **SMALL).fit(train, eval_set=valid)
    expected = model.predict(test)
    loaded = neural.RankNet.load(model.save(tmp_path / "ensemble.zip"))
    assert loaded.ensemble_size == 3 and isinstance(loaded.model_, ScorerEnsemble)
    np.testing.assert_array_equal(loaded.predict(test), expected)
    assert loaded.ensemble_best_epochs_ == model.ensemble_best_epochs_
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(test), expected)


# (ensembles through onnxruntime and the torch export: tests/test_neural_thermometer.py)


def test_listwise_ensemble_ignores_padding_and_order():
    torch.manual_seed(0)
    members = [AttentionScorer(5, d_model=8, n_layers=1, n_heads=2, d_ff=16).eval()
               for _ in range(3)]
    ensemble = ScorerEnsemble(members, [0.5, -1.0, 2.0], [1.0, 2.0, 0.5]).eval()
    x = torch.randn(1, 6, 5)
    mask = torch.tensor([[True] * 4 + [False] * 2])
    noisy = x.clone()
    noisy[0, 4:] = 100.0 * torch.randn(2, 5)  # padding content must not matter
    with torch.no_grad():
        scores = ensemble(x, mask)
        assert torch.equal(scores[0, 4:], torch.zeros(2))
        torch.testing.assert_close(ensemble(noisy, mask)[0, :4], scores[0, :4])
        order = torch.tensor([2, 0, 3, 1, 4, 5])
        torch.testing.assert_close(ensemble(x[:, order], mask)[0, :4], scores[0, order[:4]])
        by_hand = sum((m(x, mask) - mu) / s for m, mu, s in
                      zip(members, [0.5, -1.0, 2.0], [1.0, 2.0, 0.5], strict=True)) / 3
        torch.testing.assert_close(scores[0, :4], by_hand[0, :4])


def test_helpers():
    assert member_seeds(5, 3) == [5, 6, 7]
    assert member_seeds(2**31 - 2, 3) == [2**31 - 2, 0, 1]
    assert standardising_stats(np.array([2.0, 2.0, 2.0])) == (2.0, 1.0)
    mean, scale = standardising_stats(np.array([1.0, 3.0]))
    assert (mean, scale) == (2.0, 1.0)
    with pytest.raises(ValueError, match="at least one member"):
        ScorerEnsemble([])
    with pytest.raises(ValueError, match="every scale must be > 0"):
        ScorerEnsemble([torch.nn.Linear(2, 1)], [0.0], [0.0])
    with pytest.raises(ValueError, match="2 members, got 1 means"):
        ScorerEnsemble([torch.nn.Linear(2, 1)] * 2, [0.0], [1.0, 1.0])


@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True])
def test_bad_ensemble_size_is_one_clear_error(splits, value):
    train, _, _ = splits
    with pytest.raises(ValueError, match="ensemble_size"):
        neural.RankNet(ensemble_size=value, **SMALL).fit(train)


def test_ensemble_with_position_bias_is_refused_before_training(splits):
    train, _, _ = splits
    with pytest.raises(ValueError, match="ensemble_size=2 with position_bias"):
        neural.RankNet(ensemble_size=2, position_bias=True, **SMALL).fit(train)


def test_parameter_is_a_real_estimator_parameter():
    from sklearn.base import clone

    model = neural.AttentionNeuralNDCG(ensemble_size=4)
    assert model.get_params()["ensemble_size"] == 4
    assert clone(model).ensemble_size == 4
    assert neural.NeuralRanker().ensemble_size == 1


def test_callbacks_follow_member_zero(splits):
    train, valid, _ = splits
    steps = []
    model = neural.RankNet(random_state=4, ensemble_size=3, early_stopping_rounds=None,
                           **SMALL)
    model.fit(train, eval_set=valid, callbacks=[lambda step: steps.append(step.step)])
    assert steps == list(range(SMALL["n_epochs"]))  # once per epoch of member 0 only
    assert len(model.ensemble_best_epochs_) == 3
