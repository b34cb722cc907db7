"""The real cases of choosing the model: scikit-learn's PCA + classifier-choice pipeline, Optuna's
quickstart, and SpaceSearchCV against GridSearchCV's list-of-dicts grid."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

import spacedsl
from spacedsl import Ref
from spacedsl.running.objects import estimator_params

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _digits(n=400):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


def _pipeline_objects():
    return {"standard": StandardScaler(), "pca": PCA(random_state=0), "svc": SVC(),
            "forest": RandomForestClassifier(random_state=0), "logistic": LogisticRegression(max_iter=300)}


def test_pca_pipeline_with_a_classifier_choice_from_python():
    space = spacedsl.load(EXAMPLES / "pipeline_choice.space")
    pipe = Pipeline([("scale", "passthrough"), ("reduce", "passthrough"), ("clf", SVC())])
    X, y = _digits()
    result = spacedsl.search(pipe, space, X, y, strategy="random", evaluator="holdout", n_trials=12, seed=3,
                             objects=_pipeline_objects(), test_size=0.25)
    assert all(t.state == "complete" for t in result.trials), [t.error for t in result.trials]
    chosen = {t.params["clf"] for t in result.trials}
    assert chosen == {Ref("svc"), Ref("forest"), Ref("logistic")}
    for t in result.trials:
        space.validate(t.params)
        p = t.params
        if p["clf"] == Ref("logistic"):
            assert p["clf__solver"] == "saga" or p["clf__l1_ratio"] == 0.0
        assert ("clf__degree" in p) == (p.get("clf__kernel") == "poly")
        assert ("reduce__n_components" in p) == (p["reduce"] == Ref("pca"))
    best = result.best_estimator
    kinds = {"svc": SVC, "forest": RandomForestClassifier, "logistic": LogisticRegression}
    assert isinstance(best.named_steps["clf"], kinds[result.best_params["clf"].name])
    assert 0.5 < result.test_score <= 1.0


def test_pca_pipeline_with_a_classifier_choice_from_the_command_line(tmp_path):
    db = tmp_path / "runs.sqlite"
    args = [sys.executable, "-m", "spacedsl", "tune", str(EXAMPLES / "pipeline_choice_cli.space"),
            "--estimator", str(EXAMPLES / "pipeline.py") + ":make_pipeline", "--data", "builtin:digits",
            "--trials", "4", "--strategy", "sobol", "--evaluator", "holdout", "--storage", str(db), "--json", "-q"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["n_trials"] == 4 and summary["best_params"]["clf"].startswith("@sklearn.")
    trials = subprocess.run([sys.executable, "-m", "spacedsl", "trials", str(db), "--csv"], capture_output=True,
                            text=True, timeout=60).stdout
    assert "@sklearn." in trials and "SVC(" not in trials
    # same space as pipeline_choice.space, with the objects named by import path
    a = spacedsl.load(EXAMPLES / "pipeline_choice.space")
    b = spacedsl.load(EXAMPLES / "pipeline_choice_cli.space")
    assert a.names == b.names and len(list(a.grid(2))) == len(list(b.grid(2)))


def test_optuna_quickstart_svc_or_random_forest_on_iris():
    X, y = load_iris(return_X_y=True)
    space = spacedsl.load(EXAMPLES / "optuna_quickstart.space")
    objects = {"svc": SVC(gamma="auto"), "forest": RandomForestClassifier(n_estimators=10, random_state=0)}
    result = spacedsl.search(Pipeline([("clf", SVC())]), space, X, y, strategy="gp-ei", n_trials=12, seed=0,
                             objects=objects)
    assert {t.params["clf"] for t in result.trials} == {Ref("svc"), Ref("forest")}
    assert result.best_score > 0.9
    for t in result.trials:
        if t.params["clf"] == Ref("forest"):
            assert isinstance(t.params["clf__max_depth"], int) and 2 <= t.params["clf__max_depth"] <= 32


GRID_SPACE = """\
clf in [@svc, @logistic]
if clf == @svc {
    svc.clf__C in [0.1, 1.0, 10.0]
}
if clf == @logistic {
    logistic.clf__C in [0.1, 1.0]
}
scale in [@standard, @minmax, "passthrough"]
"""


def test_space_search_cv_with_a_step_choice_equals_grid_search_cv():
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", "passthrough"), ("clf", SVC())])
    objects = {"svc": SVC(), "logistic": LogisticRegression(max_iter=500), "standard": StandardScaler(),
               "minmax": MinMaxScaler()}
    ours = spacedsl.SpaceSearchCV(pipe, GRID_SPACE, strategy="grid", n_iter=100, objects=objects).fit(X, y)
    scalers = [StandardScaler(), MinMaxScaler(), "passthrough"]
    grid = [{"clf": [SVC()], "clf__C": [0.1, 1.0, 10.0], "scale": scalers},
            {"clf": [LogisticRegression(max_iter=500)], "clf__C": [0.1, 1.0], "scale": scalers}]
    theirs = GridSearchCV(pipe, grid).fit(X, y)
    assert len(ours.cv_results_["params"]) == len(theirs.cv_results_["params"]) == 15
    for key in ["mean_test_score", "std_test_score", "rank_test_score"] + [f"split{i}_test_score" for i in range(5)]:
        np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key], err_msg=key)
    # the same candidates, in the same order: ours by name, theirs by object
    names = {SVC: "svc", LogisticRegression: "logistic", StandardScaler: "standard", MinMaxScaler: "minmax"}
    for mine, other in zip(ours.cv_results_["params"], theirs.cv_results_["params"]):
        assert mine["clf"] == Ref(names[type(other["clf"])])
        assert estimator_params(mine, {})["clf__C"] == other["clf__C"]
        assert mine["scale"] == (other["scale"] if isinstance(other["scale"], str) else Ref(names[type(other["scale"])]))
    assert list(ours.cv_results_["param_clf"]) == [p["clf"] for p in ours.cv_results_["params"]]
    assert ours.best_params_["clf"] == Ref(names[type(theirs.best_params_["clf"])])
    assert type(ours.best_estimator_.named_steps["clf"]) is type(theirs.best_estimator_.named_steps["clf"])
    assert ours.score(X, y) == theirs.score(X, y)
