"""Quality of the default boosters on real data: LETOR 4.0 MQ2008, all five folds."""

from __future__ import annotations

import numpy as np
import pytest

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
from boostrank.metrics import evaluate

#: LightGBM 4.7 lambdarank, 500 trees, lr 0.05, early stopping on vali NDCG@10 (LETOR rules)
REFERENCE_NDCG10 = 0.229


@pytest.fixture(scope="module")
def folds(mq2008_root):
    from boostrank.data import load_letor_fold

    return [load_letor_fold(mq2008_root, fold=f) for f in range(1, 6)]


@pytest.mark.parametrize("cls", [LightGBMLambdaMART, XGBoostLambdaMART])
def test_defaults_reach_the_reference_ndcg_on_mq2008(cls, folds):
    scores = []
    for train, valid, test in folds:
        model = cls(n_jobs=1, random_state=0).fit(train, eval_set=valid)
        result = evaluate(test.y, model.predict(test.X), test.qid, metrics=["ndcg@10"],
                          convention="letor")
        scores.append(result["ndcg@10"])
    assert np.mean(scores) >= REFERENCE_NDCG10
