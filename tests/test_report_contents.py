"""What the comparison report holds: escaped Markdown, LaTeX tables for papers, mean ± sd over
folds, input checksums, version / commit / CPU, importances, the subtitle.

Built on a `ComparisonResult` assembled by hand (known per-query values, no training), so
every expected number is computed here independently."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from boostrank.comparison.result import ComparisonResult, FoldResult, ModelRun
from boostrank.metrics import get_convention
from boostrank.report import (
    collect_environment,
    input_files,
    render_html,
    render_latex,
    render_markdown,
    write_report,
)
from boostrank.report.latex import escape_latex
from boostrank.report.markdown import code_span, escape_markdown

EVIL_LABEL = "<script>alert(1)</script>"
METRICS = ["ndcg@10", "map"]


def _stats(source):
    return {"queries": 40, "documents": 400, "features": 3,
            "docs_per_query": {"min": 5, "median": 10.0, "max": 15},
            "queries_without_relevant": 2, "label_histogram": {0: 300, 1: 80, 2: 20},
            "source": source}


def _run(model, fold, values, importances=None):
    run = ModelRun(model=model, fold=fold, scores=np.zeros(4),
                   means={m: float(np.mean(v)) for m, v in values.items()},
                   per_query=values, ndcg_at_k=np.linspace(0.3, 0.5, 10), fit_time=1.5,
                   predict_time=0.01, params={"label": model}, estimator_class="Fake")
    if importances is not None:
        run.importances = importances
        run.importance_type = "gain"
    return run


def build_result(tmp_path, models=("good", "bad", EVIL_LABEL), n_folds=3, with_files=True,
                 importances=False):
    """Per-query values: 'good' clearly above 'bad'; the evil label in between."""
    rng = np.random.default_rng(0)
    offsets = {"good": 0.15, "bad": -0.15, EVIL_LABEL: 0.0}
    folds = []
    for j in range(n_folds):
        name = f"Fold{j + 1}"
        stats = {}
        for split in ("train", "test"):
            source = None
            if with_files:
                path = tmp_path / f"weird |*<{name}" / f"{split}.txt"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(f"0 qid:{j} 1:{split}\n".encode())
                source = str(path)
            stats[split] = _stats(source)
        base = rng.uniform(0.2, 0.6, size=40)
        runs = {}
        for model in models:
            values = {m: np.clip(base + offsets.get(model, 0.0) + rng.normal(0, 0.02, 40),
                                 0, 1) for m in METRICS}
            imp = ({"f0": 3.0, "f1": 1.0 + j, "f2": 0.0} if importances else None)
            runs[model] = _run(model, name, values, imp)
        folds.append(FoldResult(name=name, query_ids=np.arange(40) + 100 * j, stats=stats,
                                runs=runs))
    return ComparisonResult(list(models), METRICS, get_convention("default"), folds,
                            baseline="bad", n_resamples=300,
                            config={"command": "boostrank compare --label `x` <b>"},
                            environment=collect_environment())


# ------------------------------------------------------------------ Markdown escaping
def test_markdown_escapes_labels_paths_and_command(tmp_path):
    result = build_result(tmp_path)
    text = render_markdown(result)
    # literal text inside fenced code blocks and code spans is never HTML: drop it, then no
    # raw tag may remain but the ones the report writes itself
    prose = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", text, flags=re.S | re.M)
    prose = re.sub(r"(`+) .*? \1|`[^`]*`", "", prose)
    assert "<script>" not in prose and "</script>" not in prose
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in prose
    tags = set(re.findall(r"</?([a-zA-Z]+)", prose))
    assert tags <= {"details", "summary"}, tags
    # paths with | * < are escaped: the table rows keep their column count
    assert "weird \\|\\*&lt;Fold1" in text
    for line in text.splitlines():
        if line.startswith("| ") and "weird" in line:
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            assert len(cells) == 5, line  # fold, split, file, bytes, sha256
    # the command with a backtick and a tag is a code span it cannot close
    assert "Command: `` boostrank compare --label `x` <b> ``" in text


def test_escape_helpers():
    assert escape_markdown("a|b*c_d<e>&[f](g)`h`") == (
        "a\\|b\\*c\\_d&lt;e&gt;&amp;\\[f\\](g)\\`h\\`")
    assert code_span("plain") == "`plain`"
    assert code_span("a `b` c") == "`` a `b` c ``"
    assert escape_latex("50% of a_b & {c} #1 $x ~ ^ \\") == (
        r"50\% of a\_b \& \{c\} \#1 \$x \textasciitilde{} \textasciicircum{} "
        r"\textbackslash{}")


def test_html_subtitle_and_escaping(tmp_path):
    result = build_result(tmp_path)
    html = render_html(result, plots=[])
    assert "3 models on 3 folds (Fold1, Fold2, Fold3), scored with the common evaluator " \
           "under the default convention." in html
    assert "on a 3 folds" not in html and EVIL_LABEL not in html
    single = build_result(tmp_path, models=("good", "bad"), n_folds=1)
    assert "2 models on one train / valid / test split" in render_html(single, plots=[])


# ------------------------------------------------------------------ mean ± sd over folds
def test_per_fold_tables_show_mean_and_sample_sd(tmp_path):
    result = build_result(tmp_path)
    text = render_markdown(result)
    for model in ("good", "bad"):
        folds = result.fold_means(model, "ndcg@10")
        expected = f"{np.mean(folds):.4f} ± {np.std(folds, ddof=1):.4f}"
        row = next(line for line in text.splitlines()
                   if line.startswith(f"| {escape_markdown(model)}") and "±" in line
                   and f"{folds[0]:.4f}" in line)
        assert expected in row
    assert "| model | Fold1 | Fold2 | Fold3 | mean ± sd |" in text
    assert "sample standard deviation (n - 1)" in text


# ------------------------------------------------------------------ LaTeX
def test_latex_table_has_booktabs_bold_best_and_markers(tmp_path):
    result = build_result(tmp_path)
    tex = render_latex(result)
    main = tex.split(r"\end{table}")[0]
    assert main.count(r"\toprule") == main.count(r"\midrule") == main.count(r"\bottomrule") == 1
    assert main.index(r"\toprule") < main.index(r"\midrule") < main.index(r"\bottomrule")
    assert r"\hline" not in tex and "|" not in main.split(r"\begin{tabular}")[1].split("}")[0]
    rows = [line.removesuffix(r" \\") for line in main.splitlines()
            if line.endswith(r"\\")][1:]  # after the header
    assert len(rows) == 3
    by_model = {row.split(" & ")[0]: row.split(" & ")[1:] for row in rows}
    good, bad = by_model["good"], by_model["bad (baseline)"]
    evil = by_model[escape_latex(EVIL_LABEL)]
    for j, metric in enumerate(METRICS):
        folds = result.fold_means("good", metric)
        best = rf"\textbf{{{np.mean(folds):.4f}}} $\pm$ {np.std(folds, ddof=1):.4f}"
        assert good[j].startswith(best), good[j]
        assert r"\textbf" not in bad[j] and r"\textbf" not in evil[j]
        assert good[j].endswith(r"$^{\blacktriangle}$")  # significantly above the baseline
        assert "blacktriangle" not in bad[j]
    # the whole table is balanced LaTeX: braces match, every row has all columns
    assert tex.count("{") == tex.count("}")
    assert all(row.count(" & ") == len(METRICS) for row in rows)
    assert r"\begin{tabular}{lrr}" in main and "<script>" not in tex
    per_fold = tex.split(r"\end{table}")[1]
    assert r"\caption{ndcg@10 per fold" in per_fold and r"Mean $\pm$ sd" in per_fold
    plain = render_latex(result, amssymb=False)
    assert "blacktriangle" not in plain and r"$^{\uparrow}$" in plain
    assert "amssymb" in tex.splitlines()[0] and "booktabs" in plain.splitlines()[0]


def test_latex_table_compiles_when_a_tex_engine_is_installed(tmp_path):
    import shutil
    import subprocess

    engine = shutil.which("pdflatex")
    if engine is None:
        pytest.skip("pdflatex not installed: the LaTeX structure is checked by the other test")
    body = render_latex(build_result(tmp_path))
    doc = tmp_path / "doc.tex"
    doc.write_text("\\documentclass{article}\\usepackage{booktabs}\\usepackage{amssymb}"
                   "\\begin{document}\n" + body + "\\end{document}\n", encoding="utf-8")
    proc = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", doc.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]


# ------------------------------------------------------------------ provenance
def test_input_files_carry_sha256_and_bytes(tmp_path):
    result = build_result(tmp_path)
    entries = input_files(result)
    assert len(entries) == 6  # 3 folds x (train, test)
    for entry in entries:
        data = open(entry["path"], "rb").read()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
    text = render_markdown(result)
    assert all(e["sha256"] in text for e in entries)
    html = render_html(result, plots=[])
    assert all(e["sha256"] in html for e in entries)
    gone = entries[0]["path"]
    import os

    os.remove(gone)
    missing = [e for e in input_files(result) if e["path"] == gone][0]
    assert missing["sha256"] is None and missing["missing"] is True
    assert "file not found" in render_markdown(result)


def test_environment_names_version_commit_cpu_and_gpu(tmp_path):
    env = collect_environment()
    assert env["boostrank_version"] and isinstance(env["gpus"], list)
    git = env["boostrank_git"]
    if git is not None:
        assert re.fullmatch(r"[0-9a-f]{40}", git["commit"]) and isinstance(git["dirty"], bool)
    result = build_result(tmp_path, with_files=False)
    text = render_markdown(result)
    assert f"| boostrank | {escape_markdown(env['boostrank_version'])} |" in text
    assert "| boostrank commit | " in text and "| CPU | " in text and "| GPU | " in text
    if git is not None:
        assert git["commit"] in text
    if env["cpu_model"]:
        assert escape_markdown(env["cpu_model"]) in text
    assert "Input files" not in text  # no file behind the data: no table


def test_write_report_writes_tex_and_json_inputs(tmp_path):
    import json

    result = build_result(tmp_path, n_folds=2)
    written = write_report(result, tmp_path / "out", formats="json,tex")
    assert written["tex"].name == "tables.tex"
    assert written["tex"].read_text(encoding="utf-8") == render_latex(result)
    data = json.loads(written["json"].read_text(encoding="utf-8"))
    assert [e["sha256"] for e in data["input_files"]] == [
        e["sha256"] for e in input_files(result)]
    assert "cpu_model" in data["environment"] and "boostrank_git" in data["environment"]


# ------------------------------------------------------------------ importances
def test_importances_section_when_runs_carry_them(tmp_path):
    result = build_result(tmp_path, models=("good", "bad"), importances=True)
    text = render_markdown(result)
    assert "## Feature importances" in text
    # f0: 3 / (3 + 1 + j) per fold, averaged over 3 folds
    f0 = np.mean([3.0 / (4.0 + j) for j in range(3)])
    row = next(line for line in text.splitlines() if line.startswith("| f0 |"))
    assert row == f"| f0 | {f0:.4f} | {f0:.4f} |"
    assert "importance type: gain" in text
    lines = [line for line in text.splitlines() if re.match(r"\| f\d ", line)]
    assert [line.split(" | ")[0] for line in lines] == ["| f0", "| f1", "| f2"]
    assert "## Feature importances" not in render_markdown(build_result(tmp_path))
    assert "Feature importances" in render_html(result, plots=[])
    from boostrank.report import result_to_dict

    run = result_to_dict(result)["folds"][1]["runs"]["good"]
    assert run["importances"] == {"f0": 3.0, "f1": 2.0, "f2": 0.0}
    assert run["importance_type"] == "gain"
