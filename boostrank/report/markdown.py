"""The comparison report as Markdown (GitHub-flavoured tables; pastes into a README or paper)."""

from __future__ import annotations

from typing import Any

from . import tables as T


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cell(cell: T.Cell, *, with_sub: bool = True) -> str:
    text = _escape(cell.text)
    if cell.best:
        text = f"**{text}**"
    symbol = T.MARK_SYMBOL.get(cell.mark, "")
    if symbol and not text.endswith(symbol):
        text = f"{text} {symbol}"
    if with_sub and cell.sub:
        sub = _escape(cell.sub)
        text = f"{text} {sub}" if sub.startswith("[") else f"{text} ({sub})"
    return text


def render_table(table: T.Table, *, with_sub: bool = True) -> str:
    """One `Table` as a Markdown table (numbers right-aligned), without its title."""
    align = []
    for i, _ in enumerate(table.header):
        numeric = bool(table.rows) and all(row[i].numeric for row in table.rows)
        align.append("---:" if numeric else ":---")
    lines = ["| " + " | ".join(_escape(h) for h in table.header) + " |",
             "| " + " | ".join(align) + " |"]
    for row in table.rows:
        lines.append("| " + " | ".join(_cell(c, with_sub=with_sub) for c in row) + " |")
    return "\n".join(lines)


def summary_markdown(result: Any) -> str:
    """Just the headline tables (what the CLI prints to the terminal)."""
    parts = []
    for table in T.summary_tables(result):
        parts.append(f"**{table.title}**\n\n{render_table(table)}")
    return "\n\n".join(parts)


def render_markdown(result: Any, *, images: dict[str, str] | None = None) -> str:
    """The whole report; ``images`` maps plot names (ndcg_at_k, differences,
    learning_curves) to relative paths, linked under "Plots" when given."""
    conv = getattr(result.convention, "name", str(result.convention))
    config = result.config
    out = ["# boostrank compare report", ""]
    where = f"{result.n_folds} folds ({', '.join(result.fold_names)})" if result.n_folds > 1 \
        else "one train / valid / test split"
    out.append(f"{len(result.models)} models on {where}, scored with the common evaluator "
               f"under the **{conv}** convention. Baseline: **{result.baseline}** "
               f"({result.baseline_rule}).")
    if config.get("command"):
        out += ["", f"Command: `{config['command']}`"]
    out += ["", "## Results", "", T.aggregation_note(result), ""]
    for table in T.summary_tables(result):
        out += [f"### {table.title}", "", render_table(table), ""]
        out += [f"_{note}_" for note in table.notes] + [""]
    out += ["▲ / ▼: significantly better / worse than the baseline (see below). "
            "Brackets: 95% confidence interval.", ""]
    fold_tables = T.per_fold_tables(result)
    if fold_tables:
        out += ["## Per fold", ""]
        for table in fold_tables:
            out += [f"### {table.title}", "", render_table(table), ""]
    sig = T.significance_table(result)
    if sig is not None:
        out += [f"## {sig.title}", "", render_table(sig), "", T.significance_explanation(result),
                ""]
    if images:
        out += ["## Plots", ""]
        titles = {"ndcg_at_k": "NDCG@k for k = 1..10",
                  "differences": "Per-query differences to the baseline",
                  "learning_curves": "Learning curves (validation)"}
        for name, path in images.items():
            out += [f"### {titles.get(name, name)}", "", f"![{titles.get(name, name)}]({path})", ""]
    out += ["## Evaluation convention", "", "```text", _describe(result.convention), "```", ""]
    data = T.dataset_table(result)
    out += ["## Data", "", render_table(data), ""]
    sources = T.data_sources(result)
    if sources:
        out += [f"- {line}" for line in sources] + [""]
    out += ["## Models", "", render_table(T.models_table(result)), ""]
    out += ["<details><summary>All parameters</summary>", ""]
    for model, text in T.params_json(result).items():
        out += [f"**{model}**", "", "```json", text, "```", ""]
    out += ["</details>", ""]
    out += ["## Reproducibility", ""]
    for label, value in T.reproducibility_lines(result):
        shown = f"`{value}`" if "command" in label else value
        out.append(f"- {label}: {shown}")
    out += ["", render_table(T.environment_table(result)), ""]
    out += [f"_{note}_" for note in T.environment_table(result).notes]
    return "\n".join(out).rstrip() + "\n"


def _describe(convention: Any) -> str:
    describe = getattr(convention, "describe", None)
    return describe() if callable(describe) else str(convention)
