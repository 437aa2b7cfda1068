"""``boostrank evaluate`` end to end."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from boostrank.cli import main
from boostrank.metrics import evaluate


@pytest.fixture()
def files(tmp_path):
    rng = np.random.default_rng(0)
    qid = np.repeat([11, 12, 13], [4, 6, 3])
    y = rng.integers(0, 3, qid.size)
    y[qid == 13] = 0
    scores = rng.normal(size=qid.size)
    data = tmp_path / "test.txt"
    data.write_text("".join(
        f"{label} qid:{q} 1:{rng.random():.4f} 2:{rng.random():.4f} #docid = D{i}\n"
        for i, (label, q) in enumerate(zip(y, qid, strict=True))))
    pred = tmp_path / "pred.txt"
    pred.write_text("".join(f"{float(s)!r}\n" for s in scores))
    return data, pred, y.astype(float), scores, qid


def test_evaluate_prints_convention_and_values(files, capsys, tmp_path):
    data, pred, y, scores, qid = files
    out_csv = tmp_path / "per_query.csv"
    assert main(["evaluate", "--data", str(data), "--scores", str(pred), "--metrics",
                 "ndcg@1,3,map", "--convention", "letor", "--per-query", str(out_csv)]) == 0
    text = capsys.readouterr().out
    expected, per_query = evaluate(y, scores, qid, "ndcg@1,3,map", convention="letor",
                                   per_query=True)
    assert "convention 'letor'" in text and "3 queries, 13 rows" in text
    for name, value in expected.items():
        assert f"{name}" in text and f"{value:.6f}" in text
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["qid"] for r in rows] == ["11", "12", "13"]
    assert [int(r["n_docs"]) for r in rows] == [4, 6, 3]
    np.testing.assert_allclose([float(r["map"]) for r in rows], per_query["map"], rtol=0)


def test_evaluate_json(files, capsys):
    data, pred, y, scores, qid = files
    assert main(["evaluate", "--data", str(data), "--scores", str(pred), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["convention"] == "default"
    expected = evaluate(y, scores, qid, "ndcg@1,3,5,10,map,mrr")
    assert report["metrics"] == pytest.approx(expected, abs=1e-15)


def test_evaluate_user_errors(files, capsys, tmp_path):
    data, pred, *_ = files
    bad = tmp_path / "bad.txt"
    bad.write_text("0.5\n0.25\nabc\n")
    assert main(["evaluate", "--data", str(data), "--scores", str(bad)]) == 2
    assert f"{bad}:3: not a number: 'abc'" in capsys.readouterr().err
    short = tmp_path / "short.txt"
    short.write_text("0.5\n0.25\n")
    assert main(["evaluate", "--data", str(data), "--scores", str(short)]) == 2
    assert "has 2 scores but" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(data), "--scores", str(pred), "--metrics",
                 "ndcg@x"]) == 2
    assert "unknown metric" in capsys.readouterr().err
    nan = tmp_path / "nan.txt"
    nan.write_text("nan\n")
    assert main(["evaluate", "--data", str(data), "--scores", str(nan)]) == 2
    assert "nan.txt:1: score is not finite" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(tmp_path / "missing.txt"), "--scores",
                 str(pred)]) == 2
    assert "missing.txt does not exist" in capsys.readouterr().err


def test_evaluate_huge_cutoff_is_one_line_naming_the_metric(files, capsys):
    data, pred, *_ = files
    assert main(["evaluate", "--data", str(data), "--scores", str(pred), "--metrics",
                 "ndcg@99999999999999999999"]) == 2
    err = capsys.readouterr().err
    assert "metric 'ndcg@99999999999999999999': the cutoff k must be between 1 and " \
           "2,147,483,647" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_evaluate_trec10_preset(files, capsys):
    data, pred, *_ = files
    assert main(["evaluate", "--data", str(data), "--scores", str(pred), "--convention",
                 "trec10", "--metrics", "ndcg@5"]) == 0
    assert "convention 'trec10'" in capsys.readouterr().out
