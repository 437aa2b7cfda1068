"""The headline results as a LaTeX table for papers (``booktabs`` rules, best in bold,
significance markers against the baseline).

The table is a fragment to ``\\input`` in a document that loads ``booktabs``; markers are
plain math arrows (no other package). With several folds each cell is the mean over folds ±
the sample standard deviation over folds; a second table lists every fold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tables as T

#: LaTeX source of the significance markers (math mode, no package needed)
LATEX_MARKS = {"better": r"$^{\blacktriangle}$", "worse": r"$^{\blacktriangledown}$"}
_PLAIN_MARKS = {"better": r"$^{\uparrow}$", "worse": r"$^{\downarrow}$"}
_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def escape_latex(text: str) -> str:
    """``text`` typeset literally in LaTeX (the ten special characters and ``< > |``).

    Parameters
    ----------
    text : str
        A model label, metric name, fold name...

    Returns
    -------
    str
    """
    return "".join(_SPECIAL.get(c, c) for c in str(text)).replace("\n", " ")


def _mark(mark: str, amssymb: bool) -> str:
    return (LATEX_MARKS if amssymb else _PLAIN_MARKS).get(mark, "")


def _value_cell(mean: float, sd: float | None, best: bool, mark: str, amssymb: bool) -> str:
    text = T.fmt_metric(mean)
    if best and np.isfinite(mean):
        text = rf"\textbf{{{text}}}"
    if sd is not None and np.isfinite(sd):
        text += rf" $\pm$ {sd:.4f}"
    return text + _mark(mark, amssymb)


def _tabular(header: list[str], rows: list[list[str]], caption: str, label: str) -> str:
    spec = "l" + "r" * (len(header) - 1)
    lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{caption}}}",
             rf"\label{{{label}}}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
             " & ".join(header) + r" \\", r"\midrule"]
    lines += [" & ".join(row) + r" \\" for row in rows]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines)


def results_table(result: Any, *, amssymb: bool = True, label: str = "tab:results") -> str:
    """The models x metrics table of headline values.

    Parameters
    ----------
    result : ComparisonResult
        What to typeset.
    amssymb : bool, default True
        Markers as ``\\blacktriangle`` / ``\\blacktriangledown`` (needs ``amssymb``);
        False: ``\\uparrow`` / ``\\downarrow`` (plain LaTeX).
    label : str, default "tab:results"
        The ``\\label`` of the table.

    Returns
    -------
    str
        A ``table`` environment: best value of each column in bold (equal shown values
        tie), the significance marker of each model against the baseline, mean ± standard
        deviation over folds when there are several.
    """
    several = result.n_folds > 1
    metrics = [m for _, members in T.metric_groups(result.metrics) for m in members]
    header = ["Model", *[escape_latex(m) for m in metrics]]
    columns = []
    for metric in metrics:
        spreads = [T.fold_spread(result.fold_means(m, metric)) for m in result.models]
        flags = T.best_flags([mean for mean, _ in spreads])
        columns.append([_value_cell(mean, sd if several else None, best,
                                    result.mark(model, metric), amssymb)
                        for model, (mean, sd), best in zip(result.models, spreads, flags,
                                                           strict=True)])
    rows = []
    for i, model in enumerate(result.models):
        name = escape_latex(model) + (" (baseline)" if model == result.baseline else "")
        rows.append([name, *[column[i] for column in columns]])
    return _tabular(header, rows, _caption(result, amssymb), label)


def per_fold_table(result: Any, metric: str, *, label: str | None = None) -> str:
    """Models x folds of one metric's per-fold means, then mean ± sd (best in bold).

    Parameters
    ----------
    result : ComparisonResult
    metric : str
        One of ``result.metrics``.
    label : str, optional
        Default ``"tab:<metric>-per-fold"``.

    Returns
    -------
    str
    """
    per_fold = {m: result.fold_means(m, metric) for m in result.models}
    spread = {m: T.fold_spread(per_fold[m]) for m in result.models}
    flags = [T.best_flags([float(per_fold[m][j]) for m in result.models])
             for j in range(result.n_folds)]
    mean_flags = T.best_flags([spread[m][0] for m in result.models])
    rows = []
    for i, model in enumerate(result.models):
        cells = [_value_cell(float(per_fold[model][j]), None, flags[j][i], "", True)
                 for j in range(result.n_folds)]
        cells.append(_value_cell(*spread[model], mean_flags[i], "", True))
        rows.append([escape_latex(model), *cells])
    header = ["Model", *[escape_latex(f) for f in result.fold_names], r"Mean $\pm$ sd"]
    caption = (escape_latex(f"{metric} per fold ({T.convention_name(result.convention)} "
                            "convention); last column: mean ") + r"$\pm$ sample standard "
               "deviation over the folds. Bold: best in the column.")
    safe = "".join(c if c.isalnum() else "-" for c in metric)
    return _tabular(header, rows, caption, label or f"tab:{safe}-per-fold")


def _caption(result: Any, amssymb: bool) -> str:
    """The caption as LaTeX (escaped text, markers and symbols in math mode)."""
    spread = (rf"mean $\pm$ sample standard deviation over {result.n_folds} folds"
              if result.n_folds > 1 else "mean over the test queries")
    return (f"{escape_latex(T.subtitle(result))} Values: {spread}. Bold: best in the column. "
            f"{_mark('better', amssymb)} / {_mark('worse', amssymb)}: significantly better / "
            f"worse than the baseline {escape_latex(result.baseline)} (paired t-test and "
            rf"randomization test, Holm-corrected, $\alpha = {result.alpha:g}$).")


def render_latex(result: Any, *, amssymb: bool = True) -> str:
    """Every LaTeX table of the report: the results, then one per-fold table per metric.

    Parameters
    ----------
    result : ComparisonResult
    amssymb : bool, default True
        See `results_table`.

    Returns
    -------
    str
        Tables separated by blank lines, headed by a comment naming the packages needed.
    """
    packages = r"\usepackage{booktabs}" + (r" \usepackage{amssymb}" if amssymb else "")
    parts = [f"% boostrank compare report: needs {packages}", results_table(result,
                                                                           amssymb=amssymb)]
    if result.n_folds > 1:
        parts += [per_fold_table(result, metric) for metric in result.metrics]
    return "\n\n".join(parts) + "\n"
