"""AttentionScorer: scores independent of padding, permutation-equivariant without positional
encoding (and not with one), deterministic under a seed, clear errors for bad parameters."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from neural.attention import AttentionScorer  # noqa: E402


def _inputs(batch=3, length=6, n_features=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, length, n_features, generator=gen)
    mask = torch.arange(length).unsqueeze(0) < torch.tensor([[length], [4], [1]])[:batch]
    return x, mask


def _scorer(positional=None, seed=0, **kw):
    torch.manual_seed(seed)
    return AttentionScorer(5, d_model=16, n_layers=2, n_heads=4, d_ff=32, dropout=0.1,
                           positional=positional, **kw).eval()


@pytest.mark.parametrize("positional", [None, "learned", "fixed"])
def test_scores_do_not_depend_on_padding(positional):
    model = _scorer(positional)
    x, mask = _inputs()
    base = model(x, mask)
    garbage = torch.cat([x, torch.full((3, 4, 5), 1e3)], dim=1)
    garbage[~torch.cat([mask, torch.zeros(3, 4, dtype=torch.bool)], 1)] = -7.0
    wider = torch.cat([mask, torch.zeros(3, 4, dtype=torch.bool)], 1)
    out = model(garbage, wider)
    assert torch.allclose(out[:, :6][mask], base[mask], atol=1e-5)
    assert (out[~wider] == 0).all() and torch.isfinite(out).all()


def test_permutation_equivariance_without_positional_encoding():
    model = _scorer(None)
    x, mask = _inputs()
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    out, out_perm = model(x, mask), model(x[:, perm], mask[:, perm])
    assert torch.allclose(out_perm[mask[:, perm]], out[:, perm][mask[:, perm]], atol=1e-5)


def test_input_layers_keep_padding_and_order_invariance():
    model = _scorer(None, input_layers=(7, 6))
    x, mask = _inputs()
    base = model(x, mask)
    wider = torch.cat([mask, torch.zeros(3, 2, dtype=torch.bool)], 1)
    padded = model(torch.cat([x, torch.full((3, 2, 5), -50.0)], dim=1), wider)
    assert torch.allclose(padded[:, :6][mask], base[mask], atol=1e-5)
    perm = torch.tensor([2, 5, 0, 1, 4, 3])
    assert torch.allclose(model(x[:, perm], mask[:, perm])[mask[:, perm]],
                          base[:, perm][mask[:, perm]], atol=1e-5)
    # the stack runs per document: Linear 5 -> 7 -> 6, ELU, then the projection to d_model
    stack = model.input_layers
    assert [m.out_features for m in stack if isinstance(m, torch.nn.Linear)] == [7, 6]
    assert model.input_projection.in_features == 6
    one_document = model.input_layers(x[:1, :1])
    assert torch.allclose(one_document, model.input_layers(x)[:1, :1], atol=1e-6)


def test_positional_encoding_breaks_equivariance():
    model = _scorer("learned")
    x, mask = _inputs()
    perm = torch.tensor([1, 0, 2, 3, 4, 5])
    assert not torch.allclose(model(x[:1, perm], mask[:1]), model(x[:1], mask[:1])[:, perm],
                              atol=1e-4)


def test_scores_are_contextual_and_trainable():
    model = _scorer(None)
    x, mask = _inputs()
    other = x.clone()
    other[0, 5] += 3.0  # changing one document changes the others' scores (attention)
    assert not torch.allclose(model(x, mask)[0, :5], model(other, mask)[0, :5])
    model.train()
    out = model(x, mask)
    out[mask].sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_same_seed_same_scores_and_empty_lists_are_finite():
    x, mask = _inputs()
    assert torch.equal(_scorer(seed=3)(x, mask), _scorer(seed=3)(x, mask))
    empty = torch.zeros_like(mask)
    assert (_scorer()(x, empty) == 0).all()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"d_model": 30, "n_heads": 4}, "n_heads=4 must divide d_model=30"),
    ({"n_layers": 0}, "n_layers must be an integer >= 1"),
    ({"dropout": 1.0}, "dropout must be in"),
    ({"positional": "rotary"}, "positional must be one of"),
    ({"input_layers": (8, 0)}, "input_layers must be a sequence of integers >= 1"),
    ({"input_layers": 8}, "input_layers must be a sequence"),
    ({"input_layers": (True,)}, "input_layers must be a sequence"),
    ({"input_layers": "256"}, "input_layers must be a sequence"),
    ({"input_layers": (8.0,)}, "input_layers must be a sequence"),
    ({"d_model": 16.0}, "d_model must be an integer >= 1"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AttentionScorer(5, **kwargs)


def test_numpy_integers_build_the_same_network_as_python_ones():
    import numpy as np

    x, mask = _inputs()
    expected = _scorer(None, input_layers=(7, 6))(x, mask)
    torch.manual_seed(0)
    from_numpy = AttentionScorer(5, d_model=np.int64(16), n_layers=np.int32(2),
                                 n_heads=np.int64(4), d_ff=np.int64(32), dropout=0.1,
                                 input_layers=np.array([7, 6])).eval()
    assert from_numpy.input_projection.in_features == 6
    assert torch.equal(from_numpy(x, mask), expected)


def test_bad_inputs_and_lists_too_long():
    model = _scorer("fixed", max_len=8)
    x, mask = _inputs()
    with pytest.raises(ValueError, match=r"x must have shape \[batch, list, 5\]"):
        model(x[..., :4], mask)
    with pytest.raises(ValueError, match="mask shape"):
        model(x, mask[:, :3])
    long_x, long_mask = torch.zeros(1, 9, 5), torch.ones(1, 9, dtype=torch.bool)
    with pytest.raises(ValueError, match="list of 9 documents is longer than max_len=8"):
        model(long_x, long_mask)
    with pytest.raises(ValueError, match="20000 documents needs attention matrices"):
        _scorer()(torch.zeros(1, 20_000, 5), torch.ones(1, 20_000, dtype=torch.bool))
