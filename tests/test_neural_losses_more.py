"""Hinge against torch.nn.MarginRankingLoss on every ordered pair, the softmax and ListNet
targets, RMSE at an exact prediction, parameter checks (the brute-force references of these
losses run with the others in test_neural_losses.py)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from test_neural_losses import _batch, ordered_pairs  # noqa: E402

from neural.losses import get_loss, hinge_loss, listnet_loss, rmse_loss, softmax_loss  # noqa: E402,E501


@pytest.mark.parametrize("margin", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_hinge_equals_margin_ranking_loss_on_every_ordered_pair(margin, seed):
    scores, labels, mask = _batch(seed, levels=3)
    x1, x2, target = ordered_pairs(scores, labels, mask)
    want = torch.nn.MarginRankingLoss(margin=margin)(x1, x2, target)
    got = hinge_loss(scores, labels, mask, margin=margin)
    assert got.item() == pytest.approx(want.item(), rel=1e-12)
    want_sum = torch.nn.MarginRankingLoss(margin=margin, reduction="sum")(x1, x2, target)
    assert 2 * hinge_loss(scores, labels, mask, margin=margin, reduction="sum").item() == \
        pytest.approx(want_sum.item(), rel=1e-12)


def test_softmax_and_listnet_targets_differ_as_documented():
    scores = torch.tensor([[0.3, -0.2, 1.0]], dtype=torch.float64)
    labels = torch.tensor([[2.0, 0.0, 1.0]], dtype=torch.float64)
    log_p = torch.log_softmax(scores, dim=1)
    listnet_target = torch.softmax(labels, dim=1)  # every document gets target mass
    softmax_target = labels / labels.sum()  # label 0 gets none; the list weighs sum(labels)
    assert listnet_loss(scores, labels).item() == pytest.approx(
        -(listnet_target * log_p).sum().item())
    assert softmax_loss(scores, labels).item() == pytest.approx(
        -(softmax_target * log_p).sum().item() * 3.0)


def test_rmse_exact_prediction_has_zero_finite_gradient():
    labels = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    scores = labels.clone().requires_grad_(True)
    out = rmse_loss(scores, labels)
    out.backward()
    assert out.item() == 0.0 and torch.isfinite(scores.grad).all()


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="margin must be a finite number >= 0"):
        get_loss("hinge", margin=-1)
    with pytest.raises(ValueError, match="n_thresholds must be an integer >= 1"):
        get_loss("ordinal", n_thresholds=0)
    with pytest.raises(ValueError, match="score_scale"):
        rmse_loss(torch.zeros(1, 2), torch.zeros(1, 2), score_scale=0.0)
