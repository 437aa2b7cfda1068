"""The comparison report as Markdown (GitHub-flavoured tables; pastes into a README or paper)."""

from __future__ import annotations

import re
from typing import Any

from . import tables as T

#: characters that Markdown (GitHub-flavoured: tables, strike-through) would interpret
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}|~#!])")
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_markdown(text: str) -> str:
    """``text`` shown literally in Markdown: HTML characters as entities, Markdown
    punctuation backslash-escaped, line breaks as spaces.

    Parameters
    ----------
    text : str
        A model label, file path, fold name... (anything not written by the report).

    Returns
    -------
    str
        Safe inside a paragraph, a list item or a table cell.
    """
    text = "".join(_HTML_SPECIAL.get(c, c) for c in str(text))
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return text.replace("\r", " ").replace("\n", " ")


def code_span(text: str) -> str:
    """``text`` as an inline code span whose delimiter no backtick run inside can close."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fenced(text: str, info: str = "") -> list[str]:
    """Lines of a fenced code block holding ``text`` (the fence outgrows any backtick run)."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}{info}", text, fence]


def _numeric_text(text: str) -> str:
    """Numbers the report formats itself (``<0.0001``, ``[0.1, 0.2]``): HTML characters and
    the table separator escaped, brackets kept readable."""
    text = "".join(_HTML_SPECIAL.get(c, c) for c in text)
    return text.replace("|", "\\|").replace("\n", " ")


def _cell(cell: T.Cell, *, with_sub: bool = True) -> str:
    text = _numeric_text(cell.text) if cell.numeric else escape_markdown(cell.text)
    if cell.best:
        text = f"**{text}**"
    symbol = T.MARK_SYMBOL.get(cell.mark, "")
    if symbol and not text.endswith(symbol):
        text = f"{text} {symbol}"
    if with_sub and cell.sub:
        sub = _numeric_text(cell.sub) if cell.numeric else escape_markdown(cell.sub)
        text = f"{text} {sub}" if sub.startswith("[") else f"{text} ({sub})"
    return text


def render_table(table: T.Table, *, with_sub: bool = True) -> str:
    """One `Table` as a Markdown table (numbers right-aligned), without its title."""
    align = []
    for i, _ in enumerate(table.header):
        numeric = bool(table.rows) and all(row[i].numeric for row in table.rows)
        align.append("---:" if numeric else ":---")
    lines = ["| " + " | ".join(escape_markdown(h) for h in table.header) + " |",
             "| " + " | ".join(align) + " |"]
    for row in table.rows:
        lines.append("| " + " | ".join(_cell(c, with_sub=with_sub) for c in row) + " |")
    return "\n".join(lines)


def summary_markdown(result: Any) -> str:
    """Just the headline tables (what the CLI prints to the terminal)."""
    parts = []
    for table in T.summary_tables(result):
        parts.append(f"**{escape_markdown(table.title)}**\n\n{render_table(table)}")
    return "\n\n".join(parts)


def render_markdown(result: Any, *, images: dict[str, str] | None = None) -> str:
    """The whole report as Markdown.

    Parameters
    ----------
    result : ComparisonResult
        What to report.
    images : dict of str to str, optional
        Plot name (ndcg_at_k, differences, learning_curves) -> relative path, linked under
        "Plots" when given.

    Returns
    -------
    str
        Every text that does not come from the report itself (model labels, paths, fold
        names, the command line) is escaped: it shows literally and cannot inject HTML.
    """
    out = ["# boostrank compare report", "", escape_markdown(T.subtitle(result)) + " Baseline: "
           f"**{escape_markdown(result.baseline)}** ({escape_markdown(result.baseline_rule)}).",
           ""]
    if result.config.get("command"):
        out += [f"Command: {code_span(result.config['command'])}", ""]
    out += ["## Results", "", escape_markdown(T.aggregation_note(result)), ""]
    out += _tables_section(T.summary_tables(result), notes=True)
    out += ["▲ / ▼: significantly better / worse than the baseline (see below). "
            "Brackets: 95% confidence interval.", ""]
    fold_tables = T.per_fold_tables(result)
    if fold_tables:
        out += ["## Per fold", "", escape_markdown(T.PER_FOLD_NOTE), ""]
        out += _tables_section(fold_tables)
    sig = T.significance_table(result)
    if sig is not None:
        out += [f"## {escape_markdown(sig.title)}", "", render_table(sig), "",
                escape_markdown(T.significance_explanation(result)), ""]
    importances = T.importance_tables(result)
    if importances:
        out += ["## Feature importances", ""]
        out += _tables_section(importances, notes=True)
    if images:
        out += _plots_section(images)
    out += ["## Evaluation convention", "", *fenced(T.describe_convention(result.convention),
                                                     "text"), ""]
    out += _data_and_models_section(result)
    out += _reproducibility_section(result)
    return "\n".join(out).rstrip() + "\n"


def _tables_section(tables: list[T.Table], *, notes: bool = False) -> list[str]:
    out: list[str] = []
    for table in tables:
        out += [f"### {escape_markdown(table.title)}", "", render_table(table), ""]
        if notes:
            out += [f"_{escape_markdown(note)}_" for note in table.notes] + [""]
    return out


def _plots_section(images: dict[str, str]) -> list[str]:
    out = ["## Plots", ""]
    for name, path in images.items():
        title = escape_markdown(T.PLOT_TITLES.get(name, name))
        out += [f"### {title}", "", f"![{title}](<{path}>)", ""]
    return out


def _data_and_models_section(result: Any) -> list[str]:
    out = ["## Data", "", render_table(T.dataset_table(result)), ""]
    sources = T.data_sources(result)
    if sources:
        out += [f"- {escape_markdown(line)}" for line in sources] + [""]
    out += ["## Models", "", render_table(T.models_table(result)), ""]
    out += ["<details><summary>All parameters</summary>", ""]
    for model, text in T.params_json(result).items():
        out += [f"**{escape_markdown(model)}**", "", *fenced(text, "json"), ""]
    return out + ["</details>", ""]


def _reproducibility_section(result: Any) -> list[str]:
    out = ["## Reproducibility", ""]
    for label, value in T.reproducibility_lines(result):
        shown = code_span(value) if "command" in label else escape_markdown(value)
        out.append(f"- {escape_markdown(label)}: {shown}")
    files = T.input_files_table(result)
    if files.rows:
        out += ["", f"### {escape_markdown(files.title)}", "", render_table(files)]
    env = T.environment_table(result)
    out += ["", f"### {escape_markdown(env.title)}", "", render_table(env), ""]
    out += [f"_{escape_markdown(note)}_" for note in env.notes]
    return out
