"""``spacedsl.write_report``: one self-contained HTML page about a study.

>>> spacedsl.write_report("runs.sqlite", "report.html")      # doctest: +SKIP

The page holds the summary (space text, strategy, direction, trials by state, time), the best
configuration with its score and test score, parameter importance, the plots of
`spacedsl.plot` as inline PNG images (`intermediate` when trials reported intermediate values), and a table of every trial that sorts when a header is
clicked and filters by state (click the counts) or by text. Everything is inside the one file
(styles, the table's script and its data, the images as ``data:`` URIs): nothing is fetched, so
it can be mailed, attached to a pull request or opened from a CI artefact offline.

Without matplotlib (the ``[plot]`` extra) the page is written all the same, with a line in place
of the plots saying how to get them. Decisions: the images are PNG (a 10,000-trial scatter as SVG would weigh megabytes); the table
shows `PAGE` rows at a time (a button shows more), its numbers to 6 significant digits; a study
with too few complete trials for importance or a contour says so where they would be; `slice`
shows at most `MAX_SLICES` parameters, the most important first; the table has ``step`` and
``max_step`` columns (where a trial got to, where a budgeted strategy stopped it) when a trial
has one, as ``spacedsl trials`` does.
"""

from __future__ import annotations

import base64
import datetime
import importlib.metadata
import io
import json
import math

import attrs

from ..language.printer import dumps
from ..storage.trials import COMPLETE, PRUNED
from .plot import (draw_contour, draw_history, draw_importance, draw_intermediate, draw_parallel, draw_slice,
                   require_matplotlib)
from .study import load, state_of
from .surrogate import Surrogate, columns_and_features

PAGE = 500
MAX_SLICES = 8
DPI = 96
ERROR_WIDTH = 120


def write_report(source, path, study=None, *, space=None, strategy=None, test_score=None, title=None, seed=0):
    """Write the HTML report of a study to ``path``; returns ``path``.

    Args:
        source: A `SearchResult` or `MinimizeResult`, a store path, or a `Store`.
        path: Where to write the page.
        study: The study's name in a store (may be left out when it holds one study).
        space: The space (a `Space` or text), for a result (a store knows its own).
        strategy: The strategy's name, for a result.
        test_score: The best configuration's test score, when the source does not know it
            (a store does not keep it; a `SearchResult` does).
        title: The page's title (default: the study's name).
        seed: Seeds the random forest behind importance and the contour.
    """
    text = build_report(source, study, space=space, strategy=strategy, test_score=test_score, title=title,
                        seed=seed)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def build_report(source, study=None, *, space=None, strategy=None, test_score=None, title=None, seed=0):
    """The report's HTML text (see `write_report`)."""
    data = load(source, study, space)
    if strategy is not None and data.strategy is None:
        data = _evolve(data, strategy=strategy)
    if test_score is not None and data.test_score is None:
        data = _evolve(data, test_score=test_score)
    done = data.complete()
    design = columns_and_features(done, data.space, seed) if done else None
    try:
        model = Surrogate(done, data.space, seed=seed, design=design)
        shares = model.importance()
        main = model.fanova()[1]
        why = None
    except ValueError as exc:
        model, shares, main, why = None, None, None, str(exc)
    title = title or f"spacedsl study {data.name}"
    try:
        require_matplotlib()
        plots = _plots(data, design, model, shares, why)
    except ImportError as exc:  # the page without pictures, and how to get them
        plots = f"<section id=plots><h2>Plots</h2><p class=note>No plots: {_e(exc)}.</p></section>"
    parts = [_summary(data), _best(data), _importance(model, shares, main, why), plots, _table(data)]
    return _PAGE.format(title=_e(title), style=_STYLE, body="\n".join(parts), script=_SCRIPT,
                        version=_e(_version()),
                        when=datetime.datetime.now().astimezone().isoformat(timespec="seconds"))


def _version():
    try:
        return importlib.metadata.version("spacedsl")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def _evolve(data, **changes):
    return attrs.evolve(data, **changes)


# ----------------------------------------------------------------- pieces
def _e(value):
    """Text escaped for HTML (what ``html.escape`` does, without importing its table of entities)."""
    return (str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#x27;"))


def _fmt(value):
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, (tuple, list)):
        return json.dumps(value)
    return str(value)


def _duration(seconds):
    if seconds is None:
        return "not known"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)} min {s:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


def _iso(timestamp):
    return datetime.datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _summary(data):
    counts = data.counts()
    chips = "".join(
        f'<button type="button" class="chip state-{_e(s)}" data-state="{_e(s)}" '
        f'title="show only {_e(s)} trials in the table">{_e(s)} <b>{n}</b></button>'
        for s, n in counts.items() if n or s in (COMPLETE, "failed") or (s == PRUNED and any(data.reports)))
    rows = [("study", _e(data.name)), ("read from", _e(data.source)),
            ("strategy", _e(data.strategy or "not known")),
            ("direction", _e(data.direction) + (" (values are scores)" if data.maximize else " (values are losses)")),
            ("trials", f"{len(data.trials)} &nbsp; {chips}"),
            ("time", _e(_duration(data.elapsed)) + " wall clock; "
             + _e(_duration(sum(t.duration or 0.0 for t in data.trials))) + " in trials")]
    times = [t for t in data.started if t is not None]
    if times:
        rows.append(("started", _e(_iso(min(times)))))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    space = (f"<pre class=space>{_e(dumps(data.space))}</pre>" if data.space is not None
             else "<p class=note>The space is not known (a result does not carry it; pass <code>space=</code>).</p>")
    return f'<section id=summary><h2>Summary</h2><table class=kv>{table}</table><h3>Space</h3>{space}</section>'


def _best(data):
    best = data.best_trial()
    if best is None:
        return "<section id=best><h2>Best configuration</h2><p class=note>No trial completed.</p></section>"
    word = "score" if data.maximize else "loss"
    test = (f"{data.test_score:.6g}" if data.test_score is not None else
            "not known (a store does not keep it; <code>spacedsl tune --report</code> and "
            "<code>search(..., test_size=)</code> do)")
    params = "".join(f"<tr><th>{_e(k)}</th><td>{_e(_fmt(v))}</td></tr>" for k, v in best.params.items())
    note = ""
    if best.state == PRUNED:
        note = ("<tr><th>note</th><td>no trial ran to the end: the best of those that got furthest "
                 f"(pruned at step {_e(_fmt(best.step))})</td></tr>")
    return (f"<section id=best><h2>Best configuration</h2><table class=kv>"
            f"<tr><th>trial</th><td>{best.number}</td></tr>"
            f"<tr><th>{word}</th><td class=big>{best.value:.6g}</td></tr>"
            f"<tr><th>test score</th><td>{test}</td></tr>{note}</table>"
            f"<table class=kv>{params}</table></section>")


def _importance(model, shares, main, why):
    head = "<section id=importance><h2>Parameter importance</h2>"
    if shares is None:
        return head + f"<p class=note>{_e(why)}</p></section>"
    rows = "".join(f'<tr><th>{_e(k)}</th><td class=num>{v:.1%}</td><td class=bar><span style="width:'
                   f'{100 * v / max(shares.values()):.1f}%"></span></td></tr>' for k, v in shares.items())
    return (head + f"<table class=imp>{rows}</table><p class=note>Functional ANOVA over a random forest fitted "
            f"on the {model.n_trials} complete trials: each parameter's share of the variance its main effect "
            f"explains. Main effects explain {main:.0%} of the forest's variance; the rest is interactions.</p>"
            "</section>")


def _png(fig):
    """The figure as a ``data:`` URI of a 256-colour PNG (Pillow comes with matplotlib): a third of
    the bytes of a full-colour one, and the plots look the same."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    buf = io.BytesIO()
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(buf, format="png", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(w, h, **margins):
    """A figure with fixed margins (in inches): constrained layout costs more than the drawing."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h))
    inches = {"left": 0.8, "right": 0.3, "bottom": 0.6, "top": 0.4, **margins}
    fig.subplots_adjust(left=inches["left"] / w, right=1 - inches["right"] / w, bottom=inches["bottom"] / h,
                        top=1 - inches["top"] / h, wspace=inches.get("wspace", 0.08), hspace=inches.get("hspace", 0.55))
    return fig


def _img(uri, alt):
    return f'<img class=plot alt="{_e(alt)}" src="{uri}">'


def _plots(data, design, model, shares, why):
    out = []
    fig = _figure(10.5, 3.6, right=2.0)
    draw_history(data, fig.add_subplot())
    out.append(_img(_png(fig), "history"))
    if any(data.reports):
        fig = _figure(10.5, 3.6, right=2.4)
        draw_intermediate(data, fig.add_subplot())
        out.append(_img(_png(fig), "intermediate values"))
    if design is not None:
        columns = list(design[0])
        if shares is not None:
            rank = {name: i for i, name in enumerate(shares)}
            columns = sorted(columns, key=lambda c: rank.get(c.name, len(rank)))
        columns = columns[:MAX_SLICES]
        if columns:
            per_row = min(len(columns), 4)
            rows = math.ceil(len(columns) / per_row)
            fig = _figure(2.6 * per_row + 0.8, 2.3 * rows + 0.5, bottom=0.7, top=0.6)
            axes = fig.subplots(rows, per_row, squeeze=False, sharey=True).ravel()
            draw_slice(data, axes, columns)
            for ax in axes[len(columns):]:
                ax.set_visible(False)
            more = len(design[0]) - len(columns)
            fig.suptitle("Slices: value against each parameter" + (" (most important first)" if shares else "")
                         + (f"; {more} more with spacedsl.plot.slice" if more > 0 else ""))
            out.append(_img(_png(fig), "slice"))
        fig = _figure(11, 4.2, left=0.7, right=0.2, bottom=0.9)
        draw_parallel(data, fig.add_subplot(), design=design)
        out.append(_img(_png(fig), "parallel coordinates"))
    if model is not None:
        pair = []
        if len(model.columns) > 1:
            fig = _figure(6, 4.6, left=1.0, right=0.2, bottom=0.9)
            draw_contour(data, fig.add_subplot(), model)
            pair.append(_img(_png(fig), "contour"))
        width = max(len(k) for k in shares) * 0.075
        fig = _figure(5.4 + width, 1.1 + 0.3 * len(shares), left=0.3 + width, right=0.6, bottom=0.6)
        draw_importance(shares, fig.add_subplot())
        pair.append(_img(_png(fig), "importance"))
        out.append("<div class=row>" + "".join(pair) + "</div>")
    else:
        out.append(f"<p class=note>No contour or importance plot: {_e(why)}</p>")
    return "<section id=plots><h2>Plots</h2>" + "\n".join(out) + "</section>"


def _cell(value):
    """A parameter's value in the table's data: numbers as numbers (6 significant digits), the rest
    as the text people read."""
    kind = type(value)
    if kind is float:
        return float(f"{value:.6g}") if math.isfinite(value) else str(value)
    if kind is int:
        return value if abs(value) < 2**53 else str(value)
    return _fmt(value)


def _first_line(text):
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= ERROR_WIDTH else line[:ERROR_WIDTH - 1] + "…"


def _table(data):
    names = list(data.param_names())
    capped = any(t.max_step is not None for t in data.trials)
    steps = ["step"] * (capped or any(t.step is not None for t in data.trials)) + ["max_step"] * capped
    columns = ["number", "state", "value", *steps, "duration", *names, "error"]
    first = 4 + len(steps)  # where the parameters start
    rows = []
    for t in data.trials:
        value = None if t.value is None else _cell(t.value)
        duration = None if t.duration is None else round(t.duration, 4)
        reached = [None if getattr(t, k) is None else _cell(getattr(t, k)) for k in steps]
        rows.append([t.number, state_of(t), value, *reached, duration,
                     *[_cell(t.params[n]) if n in t.params else None for n in names], _first_line(t.error)])
    numeric = ["number", "value", *steps, "duration"] + [
        n for i, n in enumerate(names)
        if all(isinstance(r[first + i], (int, float)) for r in rows if r[first + i] is not None)]
    best = data.best_trial()
    payload = json.dumps({"columns": columns, "numeric": numeric, "rows": rows, "page": PAGE,
                          "maximize": data.maximize, "best": None if best is None else best.number},
                         separators=(",", ":"), allow_nan=False)
    payload = payload.replace("</", "<\\/")
    head = "".join(f'<th data-col="{i}" title="sort by {_e(c)}" tabindex=0>{_e(c)}</th>'
                   for i, c in enumerate(columns))
    return ("<section id=trials><h2>Trials</h2>"
            '<div class=tools><input id=filter type=search placeholder="filter: any text in a row" '
            'aria-label="filter the trials"> <span id=shown></span> '
            '<button type="button" id=clear>show every state</button></div>'
            f'<div class=scroll><table id=trial-table><thead><tr>{head}</tr></thead><tbody></tbody></table></div>'
            '<button type="button" id=more hidden>show more</button>'
            f'<script type="application/json" id=trial-data>{payload}</script></section>')


# ------------------------------------------------------------------ page
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{title}</title><style>{style}</style></head>
<body><header><h1>{title}</h1><p>spacedsl {version} report, written {when}</p></header>
<main>
{body}
</main>
<script>{script}</script>
</body></html>
"""

_STYLE = """
:root{--fg:#1d2430;--muted:#5b6573;--line:#d8dde4;--accent:#1f6feb;--bg:#fff;--soft:#f4f6f9}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}header{padding:14px 28px;border-bottom:1px solid var(--line);background:var(--soft)}
header h1{margin:0;font-size:20px}header p{margin:2px 0 0;color:var(--muted);font-size:12px}
main{max-width:1240px;margin:0 auto;padding:8px 28px 40px}section{margin:22px 0}
h2{font-size:17px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:14px;margin:14px 0 4px}
table.kv{border-collapse:collapse;margin:6px 24px 6px 0;display:inline-table;vertical-align:top}
.kv th{text-align:left;color:var(--muted);font-weight:500;padding:3px 14px 3px 0;vertical-align:top}
.kv td{padding:3px 0}.big{font-size:18px;font-weight:600}
pre.space{background:var(--soft);border:1px solid var(--line);padding:10px;overflow:auto;max-height:320px;margin:0}
.note{color:var(--muted)}.num{text-align:right;font-variant-numeric:tabular-nums}
table.imp{border-collapse:collapse}.imp th{text-align:left;font-weight:500;padding:2px 12px 2px 0}
.imp td{padding:2px 8px}.imp td.bar{width:320px}.imp .bar span{display:block;height:12px;background:var(--accent);border-radius:2px}
img.plot{display:block;max-width:100%;margin:10px 0;border:1px solid var(--line)}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}.row img.plot{max-width:calc(50% - 6px)}
.chip{border:1px solid var(--line);background:#fff;border-radius:12px;padding:1px 10px;margin:0 4px 0 0;cursor:pointer;font:inherit}
.chip.on{background:var(--accent);color:#fff;border-color:var(--accent)}
.tools{margin:6px 0}#filter{width:280px;padding:4px 8px;font:inherit}#shown{color:var(--muted);margin:0 10px}
.scroll{overflow:auto;max-height:640px;border:1px solid var(--line)}
#trial-table{border-collapse:collapse;width:100%;font-size:13px}
#trial-table th{position:sticky;top:0;background:var(--soft);text-align:left;padding:5px 8px;cursor:pointer;
white-space:nowrap;border-bottom:1px solid var(--line);user-select:none}
#trial-table th[aria-sort=ascending]::after{content:" \\25B2"}#trial-table th[aria-sort=descending]::after{content:" \\25BC"}
#trial-table td{padding:3px 8px;border-bottom:1px solid #eef0f3;white-space:nowrap}
#trial-table td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.s-failed td,tr.s-interrupted td{color:#b42318}tr.s-pruned td{color:#b54708}tr.s-running td{color:#6941c6}
tr.best td{background:#e8f5e9;font-weight:600}#more{margin:8px 0}
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("trial-data").textContent);
  var table = document.getElementById("trial-table");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  var numeric = {};
  data.columns.forEach(function (c, i) { numeric[i] = data.numeric.indexOf(c) >= 0; });
  var view = {col: 0, dir: 1, states: {}, text: "", limit: data.page};
  var best = null;  // the best configuration's row (a pruned one when no trial completed)
  data.rows.forEach(function (r) { if (r[0] === data.best) { best = r; } });
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function compare(a, b) {
    if (a === null || a === undefined) { return b === null || b === undefined ? 0 : 1; }
    if (b === null || b === undefined) { return -1; }
    var an = typeof a === "number", bn = typeof b === "number";
    if (an && bn) { return view.dir * (a - b); }
    if (an !== bn) { return an ? -1 : 1; }
    return view.dir * String(a).localeCompare(String(b));
  }
  function rowText(r) {
    return r.map(function (v) { return v === null ? "" : String(v); }).join(" ").toLowerCase();
  }
  function selected() {
    var states = Object.keys(view.states).filter(function (s) { return view.states[s]; });
    var text = view.text.toLowerCase();
    var rows = data.rows.filter(function (r) {
      return (!states.length || states.indexOf(r[1]) >= 0) && (!text || rowText(r).indexOf(text) >= 0);
    });
    var col = view.col;
    var order = rows.map(function (r, i) { return i; });
    order.sort(function (i, j) { return compare(rows[i][col], rows[j][col]) || rows[i][0] - rows[j][0]; });
    return order.map(function (i) { return rows[i]; });
  }
  function render() {
    var rows = selected();
    var parts = [];
    var n = Math.min(rows.length, view.limit);
    for (var i = 0; i < n; i++) {
      var r = rows[i];
      var cls = "s-" + r[1] + (r === best ? " best" : "");
      parts.push("<tr class=\"" + cls + "\">");
      for (var j = 0; j < r.length; j++) {
        var v = r[j];
        parts.push(numeric[j] ? "<td class=n>" : "<td>", v === null ? "" : esc(v), "</td>");
      }
      parts.push("</tr>");
    }
    body.innerHTML = parts.join("");
    document.getElementById("shown").textContent = "showing " + n + " of " + rows.length +
      (rows.length < data.rows.length ? " (filtered from " + data.rows.length + ")" : "") + " trials";
    var more = document.getElementById("more");
    more.hidden = rows.length <= n;
    more.textContent = "show " + Math.min(data.page, rows.length - n) + " more";
    for (var k = 0; k < heads.length; k++) {
      heads[k].setAttribute("aria-sort", k === view.col ? (view.dir > 0 ? "ascending" : "descending") : "none");
    }
    var chips = document.querySelectorAll(".chip");
    for (var c = 0; c < chips.length; c++) {
      chips[c].classList.toggle("on", !!view.states[chips[c].getAttribute("data-state")]);
    }
  }
  function sortBy(k) {
    if (view.col === k) { view.dir = -view.dir; } else { view.col = k; view.dir = 1; }
    render();
  }
  for (var k = 0; k < heads.length; k++) {
    (function (k) {
      heads[k].addEventListener("click", function () { sortBy(k); });
      heads[k].addEventListener("keydown", function (e) { if (e.key === "Enter") { sortBy(k); } });
    })(k);
  }
  Array.prototype.forEach.call(document.querySelectorAll(".chip"), function (chip) {
    chip.addEventListener("click", function () {
      var s = chip.getAttribute("data-state");
      view.states[s] = !view.states[s];
      view.limit = data.page;
      render();
    });
  });
  document.getElementById("clear").addEventListener("click", function () { view.states = {}; render(); });
  document.getElementById("filter").addEventListener("input", function (e) {
    view.text = e.target.value; view.limit = data.page; render();
  });
  document.getElementById("more").addEventListener("click", function () { view.limit += data.page; render(); });
  render();
  document.documentElement.setAttribute("data-ready", "1");
})();
"""
