"""``boostrank data info`` and ``boostrank data convert``: output, files written, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from boostrank.cli import main
from boostrank.data.libsvm import load_libsvm
from boostrank.data.ranking_data import RankingData

TEXT = (
    "2 qid:1 1:0.5 2:1 #docid = A\n"
    "0 qid:1 1:0 3:2 #docid = B\n"
    "1 qid:1 2:0.25 #docid = C\n"
    "0 qid:2 1:1 #docid = D\n"
    "4 qid:3 3:-1 #docid = E\n"
    "0 qid:3 1:0 #docid = F\n"
)


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.txt"
    path.write_text(TEXT)
    return path


def test_info_text(text_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "info", str(text_file)]) == 0
    out = capsys.readouterr().out
    assert "rows:            6" in out
    assert "queries:         3" in out
    assert "features:        3" in out
    assert "docs per query:  min 1, median 2, max 3" in out
    # 6 nonzero cells of 18
    assert "density:         33.3% of cells nonzero" in out
    lines = out.splitlines()
    histogram = {line.split(":")[0].strip(): int(line.split(":")[1].split()[0])
                 for line in lines[lines.index("labels:") + 1:] if line.startswith("  ")}
    assert histogram == {"0": 3, "1": 1, "2": 1, "4": 1}
    assert "comments, docids" in out


def test_info_json_matches_the_data(text_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "info", str(text_file), "--json", "--layout", "sparse"]) == 0
    facts = json.loads(capsys.readouterr().out)
    data = load_libsvm(text_file, sparse=True)
    assert facts["rows"] == data.n_rows and facts["queries"] == data.n_queries
    assert facts["layout"].startswith("sparse")
    assert facts["stored_fraction"] == pytest.approx(data.X.nnz / 18)
    assert facts["density"] == pytest.approx(6 / 18)
    assert facts["docs_per_query"] == {"min": 1, "median": 2.0, "max": 3, "mean": 2.0}
    assert facts["label_histogram"] == {"0": 3, "1": 1, "2": 1, "4": 1}


def test_convert_text_to_cache_and_back(text_file: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "small.cache"
    assert main(["data", "convert", str(text_file), str(cache), "--dtype", "float64"]) == 0
    assert "wrote cache" in capsys.readouterr().out
    assert (cache / "meta.json").is_file()
    original = load_libsvm(text_file, dtype=np.float64)
    cached = RankingData.load(cache)
    np.testing.assert_array_equal(np.asarray(cached.X), original.X)
    np.testing.assert_array_equal(cached.y, original.y)
    np.testing.assert_array_equal(cached.qid, original.qid)
    assert cached.docid.tolist() == list("ABCDEF")

    # info accepts the cache folder
    assert main(["data", "info", str(cache)]) == 0
    assert "rows:            6" in capsys.readouterr().out

    back = tmp_path / "back.txt.gz"
    assert main(["data", "convert", str(cache), str(back)]) == 0
    reread = load_libsvm(back, dtype=np.float64)
    np.testing.assert_array_equal(reread.X, original.X)
    np.testing.assert_array_equal(reread.y, original.y)
    np.testing.assert_array_equal(reread.qid, original.qid)
    assert reread.docid.tolist() == list("ABCDEF")


def test_convert_refuses_to_overwrite(text_file: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.txt"
    out.write_text("keep me")
    assert main(["data", "convert", str(text_file), str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert main(["data", "convert", str(text_file), str(out), "--force"]) == 0
    assert load_libsvm(out).n_rows == 6
    assert main(["data", "convert", str(text_file), str(text_file), "--force"]) == 2


def test_convert_to_option_and_zero_based_output(text_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain_name"
    assert main(["data", "convert", str(text_file), str(out), "--to", "text",
                 "--zero-based-output"]) == 0
    assert out.is_file() and " 0:0.5" in out.read_text()


def test_bad_input_exits_2_with_file_line_token(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1 qid:1 1:1\n1 qid:1 1:x\n")
    assert main(["data", "info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.txt, line 2" in err and "'1:x'" in err and "Traceback" not in err
    assert main(["data", "info", str(tmp_path / "missing.txt")]) == 2
    assert "does not exist" in capsys.readouterr().err
    folder = tmp_path / "not_a_cache"
    folder.mkdir()
    assert main(["data", "info", str(folder)]) == 2
    assert "not a boostrank cache" in capsys.readouterr().err


def test_nan_needs_allow_nan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nan.txt"
    path.write_text("1 qid:1 1:nan\n")
    assert main(["data", "info", str(path)]) == 2
    assert main(["data", "info", str(path), "--allow-nan"]) == 0


def test_data_without_action_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data"]) == 1
    assert "info" in capsys.readouterr().out
