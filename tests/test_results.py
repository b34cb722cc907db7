"""`spacedsl.importance` and `spacedsl.plot` on real studies: results of `minimize` and `search`,
stores written by them, and large stores written directly (see `studies.py`)."""

import io
import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import spacedsl  # noqa: E402
from spacedsl import plot  # noqa: E402
from spacedsl.results import plot as results_plot  # noqa: E402
from spacedsl.results.study import load  # noqa: E402
from spacedsl.storage import Store  # noqa: E402
from studies import CONDITIONAL, big_store, conditional_store  # noqa: E402

SIX = """\
a ~ uniform(0, 1)
b ~ uniform(0, 1)
c ~ uniform(0, 1)
d ~ loguniform(1e-3, 1)
e in ["x", "y", "z"]
f in 1..10
"""


def six(p):
    """a and b carry about 90 % of the variance (truth: a 0.667, b 0.278, c 0.028, d 0.022, e 0.005)."""
    return (10 * p["a"] + 6 * p["b"] ** 2 + 1.0 * p["c"] + 0.3 * math.log10(p["d"])
            + {"x": 0.0, "y": 0.5, "z": 0.0}[p["e"]] + 0.0 * p["f"])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def six_result():
    return spacedsl.minimize(six, SIX, strategy="random", n_trials=300, seed=0)


@pytest.fixture(scope="module")
def svm_db(tmp_path_factory):
    return conditional_store(str(tmp_path_factory.mktemp("svm") / "svm.sqlite"))


@pytest.fixture(scope="module")
def big_db(tmp_path_factory):
    return big_store(str(tmp_path_factory.mktemp("big") / "big.sqlite"))


@pytest.fixture(scope="module")
def one_db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("one") / "one.sqlite")
    spacedsl.minimize(lambda p: p["x"] ** 2, "x ~ uniform(-1, 1)\nk in ['a', 'b']", strategy="random",
                      n_trials=1, seed=0, storage=path, study="one")
    return path


@pytest.fixture(scope="module")
def failed_db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("failed") / "failed.sqlite")

    def boom(p):
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError, match="every trial failed"):
        spacedsl.minimize(boom, "x ~ uniform(-1, 1)", strategy="random", n_trials=4, seed=0, storage=path)
    return path


def png(ax):
    """Render the Axes' figure to PNG (Agg) and check it is an image with something drawn."""
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = plt.imread(io.BytesIO(data))
    assert image.std() > 0.01  # not a blank canvas
    return image


# ------------------------------------------------------------------ importance
def test_importance_finds_the_two_parameters_that_carry_the_variance(six_result):
    shares = spacedsl.importance(six_result, space=SIX)
    assert list(shares)[:2] == ["a", "b"]
    assert math.isclose(sum(shares.values()), 1.0)
    assert set(shares) == {"a", "b", "c", "d", "e", "f"}
    assert shares["a"] + shares["b"] > 0.85
    assert shares["f"] < 0.01  # f does nothing
    assert all(v >= 0 for v in shares.values())


def test_importance_matches_an_additive_function_s_exact_shares():
    # f = a + 2 b, a and b uniform and independent: Var = 1/12 + 4/12, shares 0.2 and 0.8.
    result = spacedsl.minimize(lambda p: p["a"] + 2 * p["b"], "a ~ uniform(0, 1)\nb ~ uniform(0, 1)",
                               strategy="random", n_trials=400, seed=3)
    shares = spacedsl.importance(result, space="a ~ uniform(0, 1)\nb ~ uniform(0, 1)")
    assert shares["b"] == pytest.approx(0.8, abs=0.03)
    assert shares["a"] == pytest.approx(0.2, abs=0.03)


def test_importance_is_seeded(six_result):
    first = spacedsl.importance(six_result, space=SIX, seed=7)
    assert spacedsl.importance(six_result, space=SIX, seed=7) == first
    assert spacedsl.importance(six_result, space=SIX, seed=8) != first


def test_importance_without_a_space_reads_kinds_off_the_values(six_result):
    shares = spacedsl.importance(six_result)  # no space: numbers continuous, strings categories
    assert list(shares)[:2] == ["a", "b"]
    assert math.isclose(sum(shares.values()), 1.0)


def test_importance_of_a_conditional_space_counts_inactive_as_a_value():
    space = 'kind in ["off", "on"]\nif kind == "on" {\n    x ~ uniform(0, 1)\n}\nnoise ~ uniform(0, 1)\n'
    result = spacedsl.minimize(lambda p: 5 * p["x"] if p["kind"] == "on" else 2.5, space, strategy="random",
                               n_trials=200, seed=0)
    shares = spacedsl.importance(result, space=space)
    assert set(shares) == {"kind", "x", "noise"}
    assert shares["x"] > 0.5  # x drives the value where active (and its inactive value is its own)
    assert shares["noise"] < 0.05
    assert math.isclose(sum(shares.values()), 1.0)


def test_importance_credits_a_branch_switch_to_the_parameter_that_switches():
    # The branches differ by 3 on average; inside them x and y barely matter. Trees may split on
    # "x is inactive" instead of on kind (the same partition): that part of x's effect is kind's.
    space = ('kind in ["a", "b"]\nif kind == "a" {\n    x ~ uniform(0, 1)\n}\nif kind == "b" {\n'
             '    y ~ uniform(0, 1)\n}\n')
    result = spacedsl.minimize(lambda p: 0.2 * p["x"] if p["kind"] == "a" else 3 + 0.1 * p["y"], space,
                               strategy="random", n_trials=150, seed=0)
    shares = spacedsl.importance(result, space=space)
    assert list(shares)[0] == "kind" and shares["kind"] > 0.9


def test_a_label_in_the_middle_of_the_list_is_found():
    # Only "y" (listed second) changes the value: one split parts it once labels go by mean value.
    space = 'e in ["x", "y", "z", "w"]\nu ~ uniform(0, 1)\n'
    result = spacedsl.minimize(lambda p: (1.0 if p["e"] == "y" else 0.0) + 0.6 * p["u"], space, strategy="random",
                               n_trials=200, seed=0)
    shares = spacedsl.importance(result, space=space)
    truth_e = (0.75 * 0.25) / (0.75 * 0.25 + 0.36 / 12)
    assert shares["e"] == pytest.approx(truth_e, abs=0.05)


def test_importance_of_a_categorical_and_a_tied_group():
    space = 'opt in ["sgd", "adam", "rmsprop"]\n(tol, it) in [(0.1, 10), (0.01, 100)]\nu ~ uniform(0, 1)\n'
    result = spacedsl.minimize(lambda p: {"sgd": 3.0, "adam": 0.0, "rmsprop": 1.0}[p["opt"]] + 0.5 * p["it"] / 100
                               + 0.01 * p["u"], space, strategy="random", n_trials=120, seed=0)
    shares = spacedsl.importance(result, space=space)
    assert list(shares) == ["opt", "(tol, it)", "u"]


def test_importance_from_a_store_path_a_store_and_a_result_agree(svm_db):
    from_path = spacedsl.importance(svm_db)
    with Store(svm_db, readonly=True) as store:
        assert spacedsl.importance(store, "svm") == from_path
    assert set(from_path) == {"kernel", "degree", "gamma", "C", "shrinking", "(tol, max_iter)"}
    assert list(from_path)[0] == "C"


def test_importance_needs_a_handful_of_complete_trials(one_db, failed_db):
    with pytest.raises(ValueError, match="at least 5 complete trials, got 1"):
        spacedsl.importance(one_db)
    with pytest.raises(ValueError, match="at least 5 complete trials, got 0"):
        spacedsl.importance(failed_db)


def test_importance_refuses_a_study_where_nothing_varies():
    result = spacedsl.minimize(lambda p: 1.0, "x ~ uniform(0, 1)", strategy="random", n_trials=10, seed=0)
    with pytest.raises(ValueError, match="no parameter has a main effect"):
        spacedsl.importance(result)


def test_a_store_of_several_studies_needs_the_study(tmp_path, svm_db):
    path = str(tmp_path / "two.sqlite")
    for name in ("first", "second"):
        spacedsl.minimize(lambda p: p["x"], "x ~ uniform(0, 1)", strategy="random", n_trials=6, seed=0,
                          storage=path, study=name)
    with pytest.raises(ValueError, match=r"holds 2 studies \(first, second\); pass study=NAME"):
        spacedsl.importance(path)
    with pytest.raises(ValueError, match="no study 'secnd'.*did you mean 'second'"):
        spacedsl.importance(path, "secnd")
    assert list(spacedsl.importance(path, "second")) == ["x"]
    with pytest.raises(ValueError, match="no such file"):
        spacedsl.importance(str(tmp_path / "missing.sqlite"))
    with pytest.raises(TypeError, match="expected a SearchResult"):
        spacedsl.importance(42)


def test_importance_of_a_search_result():
    from sklearn.datasets import load_iris
    from sklearn.neighbors import KNeighborsClassifier

    X, y = load_iris(return_X_y=True)
    result = spacedsl.search(KNeighborsClassifier(), 'n_neighbors in 1..40\nweights in ["uniform", "distance"]',
                             X, y, strategy="random", evaluator="holdout", n_trials=20, seed=0)
    shares = spacedsl.importance(result)
    assert set(shares) == {"n_neighbors", "weights"}
    assert math.isclose(sum(shares.values()), 1.0)


# ----------------------------------------------------------------------- plots
PLOTS = ["history", "slice", "parallel", "contour", "importance"]


@pytest.mark.parametrize("name", PLOTS)
def test_every_plot_renders_a_conditional_study(svm_db, name):
    ax = getattr(plot, name)(svm_db)
    first = ax if not isinstance(ax, np.ndarray) else ax[0]
    png(first)


@pytest.mark.parametrize("name", PLOTS)
def test_every_plot_renders_a_10000_trial_study(big_db, name):
    ax = getattr(plot, name)(big_db)
    first = ax if not isinstance(ax, np.ndarray) else ax[0]
    png(first)
    if name == "slice":
        assert len(ax) == 20


@pytest.mark.parametrize("name", ["history", "slice", "parallel"])
def test_one_trial_and_all_failed_studies_still_plot(one_db, failed_db, name):
    for db in (one_db, failed_db):
        ax = getattr(plot, name)(db)
        png(ax if not isinstance(ax, np.ndarray) else ax[0])


@pytest.mark.parametrize("name", ["contour", "importance"])
def test_surrogate_plots_say_why_they_cannot_draw(one_db, failed_db, name):
    for db in (one_db, failed_db):
        with pytest.raises(ValueError, match="at least 5 complete trials"):
            getattr(plot, name)(db)


def test_history_marks_failed_pruned_interrupted_and_running_trials(svm_db):
    ax = plot.history(svm_db)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("complete (") for label in labels)
    assert "pruned (3)" in labels
    assert "interrupted (1)" in labels
    assert "running (1)" in labels
    assert any(label.startswith("failed (") for label in labels)  # C > 300 raised
    assert any(label.startswith("best so far") for label in labels)


def test_all_failed_history_marks_every_trial_failed(failed_db):
    ax = plot.history(failed_db)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["failed (4)"]
    assert any("no complete trial" in t.get_text() for t in ax.texts)


def test_slice_uses_log_axes_and_categories(svm_db):
    axes = plot.slice(svm_db)
    by_name = {ax.get_xlabel(): ax for ax in axes}
    assert by_name["C"].get_xscale() == "log"
    assert by_name["gamma"].get_xscale() == "log"
    assert [t.get_text() for t in by_name["kernel"].get_xticklabels()] == ["linear", "rbf", "poly"]
    assert by_name["degree"].get_xscale() == "linear"
    one = plot.slice(svm_db, "C")
    assert one.get_xscale() == "log"
    with pytest.raises(ValueError, match="no parameter 'gama'.*did you mean 'gamma'"):
        plot.slice(svm_db, "gama")


def test_plots_draw_into_the_axes_given(svm_db):
    fig, axes = plt.subplots(2, 3)
    flat = axes.ravel()
    assert plot.history(svm_db, ax=flat[0]) is flat[0]
    assert plot.parallel(svm_db, ax=flat[1]) is flat[1]
    assert plot.contour(svm_db, params=["C", "gamma"], ax=flat[2]) is flat[2]
    assert plot.importance(svm_db, ax=flat[3]) is flat[3]
    got = plot.slice(svm_db, ["C", "kernel"], ax=flat[4:])
    assert list(got) == list(flat[4:])
    assert len(fig.axes) >= 6  # contour added its colour bar to the same figure
    png(flat[0])


def test_plots_take_results_and_a_store_with_a_study(six_result, svm_db):
    png(plot.history(six_result))
    png(plot.contour(six_result, space=SIX))
    ax = plot.contour(six_result, params=["a", "e"], space=SIX)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y", "z"]
    with Store(svm_db, readonly=True) as store:
        png(plot.parallel(store, study="svm"))


def test_contour_needs_two_different_parameters(six_result):
    with pytest.raises(ValueError, match="two different parameters"):
        plot.contour(six_result, params=["a", "a"], space=SIX)


def test_spacedsl_plot_is_reachable_both_ways():
    import spacedsl.plot as module

    assert spacedsl.plot is module is plot
    assert {"history", "slice", "parallel", "contour", "importance"} <= set(module.__all__)


def test_import_spacedsl_loads_neither_matplotlib_nor_sklearn():
    import subprocess
    import sys

    code = ("import sys, spacedsl; spacedsl.importance; spacedsl.write_report; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'sklearn'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_missing_matplotlib_names_the_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'spacedsl\[plot\]'"):
        results_plot.history(spacedsl.minimize(lambda p: p["x"], "x ~ uniform(0, 1)", strategy="random",
                                               n_trials=2, seed=0))


def test_conditional_study_counts(svm_db):
    data = load(svm_db)
    counts = data.counts()
    assert counts["pruned"] == 3 and counts["interrupted"] == 1 and counts["running"] == 1
    assert counts["complete"] + counts["failed"] == 60
    assert data.space == spacedsl.parse(CONDITIONAL)
    assert data.direction == "minimize" and data.strategy == "random"
