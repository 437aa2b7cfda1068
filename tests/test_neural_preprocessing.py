"""FeaturePreprocessor: the DASALC log1p transform against a NumPy reference, fitted state
saved and restored, robustness to huge values, NaN and constant features."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from neural.preprocessing import FeaturePreprocessor, signed_log1p


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((50, 4)) * np.array([1.0, 100.0, 1e5, 0.01])
    X[:, 2] = np.abs(X[:, 2])  # a heavy-tailed, non-negative count-like feature
    return X


def test_log1p_is_signed_log_then_standardisation():
    X = _data()
    pre = FeaturePreprocessor("log1p").fit(X)
    Z = np.sign(X) * np.log(1.0 + np.abs(X))
    expected = (Z - Z.mean(axis=0)) / Z.std(axis=0)
    np.testing.assert_allclose(pre.transform(X), expected, rtol=1e-5, atol=1e-5)
    X_new = _data(1)
    Z_new = np.sign(X_new) * np.log1p(np.abs(X_new))
    np.testing.assert_allclose(pre.transform(X_new), (Z_new - Z.mean(0)) / Z.std(0),
                               rtol=1e-5, atol=1e-5)
    assert pre.transform(X).dtype == np.float32


def test_signed_log1p_is_odd_and_keeps_nan():
    x = np.array([-1e300, -3.0, 0.0, 2.0, np.nan])
    out = signed_log1p(x)
    np.testing.assert_allclose(out[:4], [-np.log1p(1e300), -np.log(4.0), 0.0, np.log(3.0)])
    assert np.isnan(out[4])


def test_log1p_state_round_trip_gives_identical_output():
    X = _data()
    pre = FeaturePreprocessor("log1p", clip=50.0).fit(X)
    meta, arrays = pre.state()
    assert meta["method"] == "log1p"
    restored = FeaturePreprocessor.from_state(meta, arrays)
    np.testing.assert_array_equal(restored.transform(_data(2)), pre.transform(_data(2)))


def test_log1p_handles_huge_nan_constant_and_sparse_input():
    X = _data()
    X[0, 0] = 1e308
    X[1, 1] = np.nan
    X[:, 3] = 7.0
    out = FeaturePreprocessor("log1p").fit_transform(X)
    assert np.isfinite(out).all()
    assert (out[:, 3] == 0).all() and out[1, 1] == 0.0
    dense = FeaturePreprocessor("log1p").fit_transform(_data())
    sparse = FeaturePreprocessor("log1p").fit_transform(sp.csr_matrix(_data()))
    np.testing.assert_allclose(sparse, dense)


def test_unknown_method_names_the_allowed_ones():
    with pytest.raises(ValueError, match="preprocessing must be one of.*log1p"):
        FeaturePreprocessor("log")
