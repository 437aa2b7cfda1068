"""Write a comparison report folder.

Layout::

    OUT/report.md            Markdown report (format "md"), linking plots/*.png
    OUT/report.html          one self-contained page, plots inlined (format "html")
    OUT/results.json         every number, machine-readable (format "json")
    OUT/tables.tex           LaTeX tables for papers: booktabs, best bold, markers (format "tex")
    OUT/plots/*.png          the figures (with "md" or "html")
    OUT/per_query.csv        per-query metric values: fold, qid, model, one column per metric
    OUT/predictions/...      one score per line, in the order of the test file's lines:
                             predictions/<model>.txt, or predictions/<fold>/<model>.txt
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .json_report import dumps, predictions_relpath, result_to_dict

FORMATS = ("md", "html", "json", "tex")


def parse_formats(formats: str | Sequence[str]) -> list[str]:
    """``"md,html"`` or a list -> validated list of formats (md, html, json, tex; ``latex``
    and ``markdown`` are accepted spellings)."""
    if isinstance(formats, str):
        formats = [f for f in (p.strip().lower() for p in formats.split(",")) if f]
    out = []
    for fmt in formats:
        fmt = {"markdown": "md", "htm": "html", "latex": "tex"}.get(fmt.lower(), fmt.lower())
        if fmt not in FORMATS:
            raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise ValueError(f"no report format given; choose from {', '.join(FORMATS)}")
    return out


def write_predictions(result: Any, out: Path) -> dict[str, Path]:
    """Write every model's test scores (``%.17g``, exact round trip) in test-file line order."""
    written = {}
    for fold in result.folds:
        for model in result.models:
            scores = fold.runs[model].scores
            if fold.file_order is not None:
                scores = scores[fold.file_order]
            path = out / predictions_relpath(result, fold.name, model)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savetxt(path, scores, fmt="%.17g")
            written[f"predictions:{fold.name}:{model}"] = path
    return written


def write_report(result: Any, out: str | os.PathLike,
                 formats: str | Sequence[str] = FORMATS) -> dict[str, Path]:
    """Write the report folder ``out`` (created if needed; layout in the module docstring).

    Parameters
    ----------
    result : ComparisonResult
        What to report.
    out : path
        The report folder.
    formats : str or sequence of str, default all of `FORMATS`
        Which renderings to write (`parse_formats` syntax); ``per_query.csv`` and the
        predictions are always written.

    Returns
    -------
    dict of str to Path
        What was written, by name (``md``, ``html``, ``json``, ``tex``, ``per_query``,
        ``plot:<name>``, ``predictions:<fold>:<model>``).
    """
    formats = parse_formats(formats)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"report destination {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    per_query = result.per_query()
    path = out / "per_query.csv"
    per_query.to_csv(path, index=False, float_format="%.17g")
    written["per_query"] = path
    written.update(write_predictions(result, out))

    plots = []
    if "md" in formats or "html" in formats:
        from .plots import make_plots

        plots = make_plots(result)
        (out / "plots").mkdir(exist_ok=True)
        for plot in plots:
            path = out / "plots" / f"{plot.name}.png"
            path.write_bytes(plot.png)
            written[f"plot:{plot.name}"] = path
    if "json" in formats:
        path = out / "results.json"
        path.write_text(dumps(result_to_dict(result)), encoding="utf-8")
        written["json"] = path
    if "md" in formats:
        from .markdown import render_markdown

        images = {p.name: f"plots/{p.name}.png" for p in plots}
        path = out / "report.md"
        path.write_text(render_markdown(result, images=images), encoding="utf-8")
        written["md"] = path
    if "tex" in formats:
        from .latex import render_latex

        path = out / "tables.tex"
        path.write_text(render_latex(result), encoding="utf-8")
        written["tex"] = path
    if "html" in formats:
        from .html import render_html

        path = out / "report.html"
        path.write_text(render_html(result, plots=plots), encoding="utf-8")
        written["html"] = path
    return written


def describe_written(written: dict[str, Path]) -> list[str]:
    """Short human lines for what was written (used by the CLI)."""
    names = {"md": "Markdown report", "html": "HTML report", "json": "results",
             "tex": "LaTeX tables",
             "per_query": "per-query scores"}
    return [f"{names[k]}: {p}" for k, p in written.items() if k in names]
