"""The comparison report as one self-contained HTML page.

Styles are inline in a ``<style>`` element and every plot is a ``data:image/png;base64`` URI:
the file opens anywhere, offline, with nothing else next to it. No scripts.
"""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from . import tables as T
from .plots import Plot, make_plots

CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --head: #f6f8fa;
        --best: #e6f4ea; --good: #1a7f37; --bad: #cf222e; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #ffffff;
       font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 6px;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 22px 0 8px; }
p { margin: 6px 0 10px; }
.lead { color: var(--muted); margin-bottom: 14px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
            font-size: 12.5px; }
code { background: var(--head); padding: 1px 5px; border-radius: 4px;
       overflow-wrap: anywhere; }
pre { background: var(--head); border: 1px solid var(--line); border-radius: 6px;
      padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; }
.table-wrap { overflow-x: auto; margin: 6px 0 4px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 5px 10px; vertical-align: top; }
th { background: var(--head); font-weight: 600; text-align: center; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { text-align: left; }
td.best { background: var(--best); font-weight: 700; }
td .sub { display: block; font-size: 11px; font-weight: 400; color: var(--muted); }
.mark-better { color: var(--good); font-weight: 700; }
.mark-worse { color: var(--bad); font-weight: 700; }
.note { color: var(--muted); font-size: 12.5px; margin: 4px 0 12px; }
.summary-cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px;
        background: var(--head); min-width: 150px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 16px; font-weight: 600; }
figure { margin: 12px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line);
             border-radius: 6px; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
.params { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
          gap: 10px; }
"""


def _cell_html(cell: T.Cell) -> str:
    classes = ["num" if cell.numeric else "text"]
    if cell.best:
        classes.append("best")
    body = escape(cell.text)
    symbol = T.MARK_SYMBOL.get(cell.mark, "")
    if symbol and symbol not in cell.text:
        body += f' <span class="mark-{cell.mark}" title="significantly {cell.mark} than the ' \
                f'baseline">{symbol}</span>'
    elif symbol:
        body = body.replace(symbol, f'<span class="mark-{cell.mark}">{symbol}</span>')
    if cell.sub:
        body += f'<span class="sub">{escape(cell.sub)}</span>'
    return f'<td class="{" ".join(classes)}">{body}</td>'


def render_table(table: T.Table) -> str:
    """One `Table` as an HTML table (no title)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(_cell_html(c) for c in row) + "</tr>" for row in table.rows)
    return (f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _img(plot: Plot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    return (f'<figure><img alt="{escape(plot.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(plot.caption)}</figcaption></figure>")


def render_html(result: Any, plots: list[Plot] | None = None) -> str:
    """The whole report as one self-contained HTML document.

    Parameters
    ----------
    result : ComparisonResult
        What to report.
    plots : list of Plot, optional
        The figures to inline (default: `make_plots(result)`).

    Returns
    -------
    str
        Every text is HTML-escaped; no script, no external resource.
    """
    if plots is None:
        plots = make_plots(result)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>boostrank compare report</title>",
             f"<style>{CSS}</style></head><body><main>", *_header_html(result),
             *_results_html(result)]
    if plots:
        parts.append("<h2>Plots</h2>")
        for plot in plots:
            parts += [f"<h3>{escape(plot.title)}</h3>", _img(plot)]
    parts += ["<h2>Evaluation convention</h2>",
              f"<pre>{escape(T.describe_convention(result.convention))}</pre>"]
    parts += [*_data_models_html(result), *_reproducibility_html(result),
              "</main></body></html>"]
    return "\n".join(parts) + "\n"


def _section(tables: list[T.Table], *, notes: bool = True, titles: bool = True) -> list[str]:
    parts: list[str] = []
    for table in tables:
        parts += ([f"<h3>{escape(table.title)}</h3>"] if titles else []) + [render_table(table)]
        if notes:
            parts += [f'<p class="note">{escape(n)}</p>' for n in table.notes]
    return parts


def _header_html(result: Any) -> list[str]:
    first = result.metrics[0]
    best_model = max(result.models, key=lambda m: result.mean(m, first))
    parts = ["<h1>boostrank compare report</h1>",
             f'<p class="lead">{escape(T.subtitle(result))}</p>',
             '<div class="summary-cards">',
             _card(f"best {first}", f"{best_model} · {result.mean(best_model, first):.4f}"),
             _card("baseline", f"{result.baseline}"),
             _card("test queries", f"{sum(len(f.query_ids) for f in result.folds):,}"),
             _card("random_state", str(result.random_state)), "</div>"]
    if result.config.get("command"):
        parts.append(f"<p>Command: <code>{escape(result.config['command'])}</code></p>")
    return parts


def _results_html(result: Any) -> list[str]:
    parts = ["<h2>Results</h2>", f'<p class="note">{escape(T.aggregation_note(result))}</p>',
             *_section(T.summary_tables(result)),
             '<p class="note"><span class="mark-better">▲</span> / '
             '<span class="mark-worse">▼</span>: significantly better / worse than the '
             "baseline (see Significance). Small numbers: 95% confidence interval.</p>"]
    fold_tables = T.per_fold_tables(result)
    if fold_tables:
        parts += ["<h2>Per fold</h2>", f'<p class="note">{escape(T.PER_FOLD_NOTE)}</p>',
                  *_section(fold_tables, notes=False)]
    sig = T.significance_table(result)
    if sig is not None:
        parts += [f"<h2>{escape(sig.title)}</h2>", render_table(sig),
                  f"<p class=\"note\">{escape(T.significance_explanation(result))}</p>"]
    importances = T.importance_tables(result)
    if importances:
        parts += ["<h2>Feature importances</h2>", *_section(importances, titles=False)]
    return parts


def _data_models_html(result: Any) -> list[str]:
    parts = ["<h2>Data</h2>", render_table(T.dataset_table(result))]
    sources = T.data_sources(result)
    if sources:
        listing = '<p class="note">' + "<br>".join(escape(s) for s in sources) + "</p>"
        if len(sources) > 3:
            listing = f"<details><summary>Files ({len(sources)})</summary>{listing}</details>"
        parts.append(listing)
    parts += ["<h2>Models</h2>", render_table(T.models_table(result)),
              "<details><summary>All parameters</summary><div class=\"params\">"]
    for model, text in T.params_json(result).items():
        parts.append(f"<div><h3>{escape(model)}</h3><pre>{escape(text)}</pre></div>")
    return parts + ["</div></details>"]


def _reproducibility_html(result: Any) -> list[str]:
    parts = ["<h2>Reproducibility</h2>", '<dl class="kv">']
    for label, value in T.reproducibility_lines(result):
        shown = f"<code>{escape(value)}</code>" if "command" in label else escape(value)
        parts.append(f"<dt>{escape(label)}</dt><dd>{shown}</dd>")
    parts.append("</dl>")
    files = T.input_files_table(result)
    if files.rows:
        parts += _section([files], notes=False)
    return parts + _section([T.environment_table(result)])


def _card(key: str, value: str) -> str:
    return (f'<div class="card"><div class="k">{escape(key)}</div>'
            f'<div class="v">{escape(value)}</div></div>')

