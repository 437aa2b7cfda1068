"""Rendering of comparison results: tables, Markdown, self-contained HTML, JSON and PNG plots.

`write_report(result, out_dir, formats=("md", "html", "json"))` writes a report folder;
`render_markdown`, `render_html` and `result_to_dict` render a `ComparisonResult` one way each;
`boostrank.report.plots` draws the figures with matplotlib (no pyplot, no global backend).
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_PUBLIC = {
    "write_report": ".writer:write_report",
    "render_markdown": ".markdown:render_markdown",
    "render_html": ".html:render_html",
    "result_to_dict": ".json_report:result_to_dict",
    "collect_environment": ".environment:collect_environment",
    "make_plots": ".plots:make_plots",
}

__all__ = sorted(_PUBLIC)
__getattr__ = lazy_getattr(__name__, _PUBLIC)


def __dir__() -> list[str]:
    return __all__
