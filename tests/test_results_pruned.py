"""Pruned trials in the results tools: the store's steps and reports reach `StudyData`,
`spacedsl.plot.intermediate` draws them, the HTML report shows them (state, step, plot), and
importance and the plots of parameters use complete trials only."""

import json
import re

import pytest

import spacedsl
from spacedsl.results.report import build_report
from spacedsl.results.study import load
from spacedsl.storage import COMPLETE, Store, Trial

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from spacedsl import plot  # noqa: E402 (after the backend is chosen)

SPACE = "x: float ~ uniform(0, 1)\ny: float ~ uniform(0, 1)"


class OddTrialsStopAtStep9:
    def prune(self, number, step, loss):
        return step >= 9 and number % 2 == 1


def budgets_loss(config, report):
    """Reports at budgets 1, 3, 9, 27, 81 (a resource's schedule), the loss falling with the budget."""
    for step in (1, 3, 9, 27, 81):
        if report(step, config["x"] + config["y"] / step):
            return 999.0
    return config["x"] + config["y"] / 81


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "runs.sqlite"
    spacedsl.minimize(budgets_loss, SPACE, strategy="random", n_trials=12, seed=0, storage=path, study="demo",
                      prune=OddTrialsStopAtStep9())
    return path


def test_a_store_gives_steps_and_reports(db):
    data = load(db)
    assert [(t.state, t.step) for t in data.trials] == [(COMPLETE, 81.0), ("pruned", 9.0)] * 6
    assert [len(r) for r in data.reports] == [5, 3] * 6
    assert data.reports[1] == tuple((s, pytest.approx(data.trials[1].params["x"] + data.trials[1].params["y"] / s))
                                    for s in (1.0, 3.0, 9.0))
    assert data.reports[1][-1][1] == data.trials[1].value  # a pruned trial keeps its last report


def test_intermediate_draws_one_line_a_trial_pruned_ones_ending_early(db):
    ax = plot.intermediate(db)
    collections = [c for c in ax.collections if c.get_label() in ("complete (6)", "pruned (6)")]
    assert len(collections) == 2
    complete, pruned = collections
    assert [len(p.vertices) for p in complete.get_paths()] == [5] * 6
    assert [len(p.vertices) for p in pruned.get_paths()] == [3] * 6
    assert max(p.vertices[-1, 0] for p in pruned.get_paths()) == 9.0
    assert ax.get_xscale() == "log"  # budgets 1..81, labelled as themselves
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "3", "9", "27", "81"]
    labels = ax.get_legend_handles_labels()[1]
    assert any(label.startswith("best, trial ") for label in labels)
    fig, mine = matplotlib.pyplot.subplots()
    assert plot.intermediate(db, study="demo", ax=mine) is mine
    matplotlib.pyplot.close("all")


def test_a_result_keeps_the_reports_as_the_store_does(db):
    result = spacedsl.minimize(budgets_loss, SPACE, strategy="random", n_trials=12, seed=0,
                               prune=OddTrialsStopAtStep9())
    stored = load(db)
    assert [t.reports for t in result.trials] == [t.reports for t in stored.trials] == list(stored.reports)
    assert [len(t.reports) for t in result.trials] == [5, 3] * 6
    ax = plot.intermediate(result)
    assert {c.get_label() for c in ax.collections} >= {"complete (6)", "pruned (6)"}
    assert "no trial reported" in " ".join(t.get_text() for t in plot.intermediate(
        spacedsl.minimize(lambda c: c["x"], SPACE, strategy="random", n_trials=2, seed=0)).texts)
    matplotlib.pyplot.close("all")


def test_the_report_shows_pruned_trials_their_step_and_the_intermediate_plot(db):
    page = build_report(db)
    payload = json.loads(re.search(r'<script type="application/json" id=trial-data>(.*?)</script>', page,
                                   re.S).group(1).replace("<\\/", "</"))
    assert payload["columns"][:5] == ["number", "state", "value", "step", "duration"]
    assert [(r[1], r[3]) for r in payload["rows"]] == [("complete", 81), ("pruned", 9)] * 6
    assert "step" in payload["numeric"]
    assert 'data-state="pruned"' in page and "pruned <b>6</b>" in page
    assert 'alt="intermediate values"' in page


def test_a_report_of_pruned_trials_only_names_the_furthest_best(tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.create_or_load_study("sha", SPACE, "sha", direction="maximize")
        store.record("sha", Trial(0, {"x": 0.5, "y": 0.5}, 0.99, "pruned", step=1.0, max_step=1.0))
        store.record("sha", Trial(1, {"x": 0.25, "y": 0.5}, 0.8, "pruned", step=3.0, max_step=3.0))
    page = build_report(path)
    assert "no trial ran to the end: the best of those that got furthest (pruned at step 3)" in page
    payload = json.loads(re.search(r"id=trial-data>(.*?)</script>", page, re.S).group(1).replace("<\\/", "</"))
    assert payload["columns"][:6] == ["number", "state", "value", "step", "max_step", "duration"]
    assert payload["best"] == 1  # the table marks that row
    assert "No intermediate" not in page and 'alt="intermediate values"' not in page  # nothing was reported


def test_importance_and_the_parameter_plots_leave_pruned_trials_out(db, tmp_path):
    complete_only = tmp_path / "complete.sqlite"
    with Store(complete_only) as store:
        store.create_or_load_study("demo", SPACE, "random")
        for t in load(db).trials:
            if t.state == COMPLETE:
                store.record("demo", t)
    assert spacedsl.importance(db) == spacedsl.importance(complete_only)
    axes = plot.slice(db)
    assert sum(len(c.get_offsets()) for c in axes[0].collections) == 6
    matplotlib.pyplot.close("all")
