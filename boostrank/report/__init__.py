"""Rendering of comparison results: tables, Markdown, self-contained HTML, JSON, LaTeX and PNG
plots.

`write_report(result, out_dir, formats=("md", "html", "json", "tex"))` writes a report
folder; `render_markdown`, `render_html`, `render_latex` and `result_to_dict` render a
`ComparisonResult` one way each; `collect_environment` records the software and hardware of
a run and `input_files` the SHA-256 of every input file; `make_plots` draws the figures with
matplotlib (imported only when drawing; no pyplot, no global backend).
"""

from __future__ import annotations

from .environment import collect_environment
from .html import render_html
from .json_report import result_to_dict
from .latex import render_latex
from .markdown import render_markdown
from .plots import make_plots
from .provenance import input_files, sha256_file
from .writer import write_report

__all__ = [
    "collect_environment",
    "input_files",
    "make_plots",
    "render_html",
    "render_latex",
    "render_markdown",
    "result_to_dict",
    "sha256_file",
    "write_report",
]
