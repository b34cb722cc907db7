"""Named objects in a space (``@svc``): the language part. Nothing here imports anything."""

import json
import subprocess
import sys

import pytest

import spacedsl
from spacedsl.language.ast import Ref
from spacedsl.space import format_text

TEXT = """\
scale in [@standard, "passthrough"]   # a step or nothing
clf in [@svc, @forest] = @svc
if clf == @svc {
    clf__C ~ loguniform(1e-3, 1e3)
}
if clf in [@forest] { clf__n_estimators in 10..50 }
where clf != @forest or scale == "passthrough"
k = @sklearn.svm.SVC
"""


def test_named_objects_parse_print_and_round_trip():
    space = spacedsl.parse(TEXT)
    assert space.names == ("scale", "clf", "clf__C", "clf__n_estimators")
    assert space.constants == {"k": Ref("sklearn.svm.SVC")}
    assert space.defaults == {"clf": Ref("svc")}
    text = spacedsl.dumps(space)
    assert "clf in [@svc, @forest] = @svc" in text and "if clf == @svc {" in text
    assert spacedsl.parse(text) == space
    assert spacedsl.dumps(spacedsl.parse(text)) == text
    data = json.loads(json.dumps(space.to_dict()))
    assert spacedsl.Space.from_dict(data) == space
    assert "# a step or nothing" in format_text(TEXT)


def test_a_named_object_is_not_the_string_of_its_name():
    assert spacedsl.parse('x in [@svc]') != spacedsl.parse('x in ["svc"]')
    space = spacedsl.parse('x in [@svc, "svc"]\nif x == "svc" { y in [1, 2] }')
    configs = list(space.grid())
    assert configs == [{"x": Ref("svc")}, {"x": "svc", "y": 1}, {"x": "svc", "y": 2}]
    assert str(Ref("svc")) == "@svc" and repr(Ref("svc")) == "Ref('svc')"


def test_conditions_on_named_objects_decide_activity():
    space = spacedsl.parse(TEXT)
    for config in space.sample(200, seed=0):
        assert ("clf__C" in config) == (config["clf"] == Ref("svc"))
        assert ("clf__n_estimators" in config) == (config["clf"] == Ref("forest"))
        assert config["clf"] != Ref("forest") or config["scale"] == "passthrough"
        space.validate(config)
    assert space.dimensions[1].model_kind == "categorical"
    # ordering a named object is false, as for none: never an exception
    assert spacedsl.parse("a in [@x, 'b']\nif a < 'c' { z in [1] }").sample(20, seed=0)


@pytest.mark.parametrize("text, column, message", [
    ("x ~ uniform(@a, 1)", 13, "not a named object (@a)"),
    ("x in @a..3", 6, "a range needs numbers, got @a"),
    ("x: int in [@a]", 12, "@a is a named object"),
    ("x in [@a, @a]", 11, "@a appears twice"),
    ("x in [@ a]", 7, "'@' names an object and needs a name right after it"),
    ("x in [@1]", 7, "'@' names an object"),
])
def test_bad_named_objects_are_errors_with_positions(text, column, message):
    with pytest.raises(spacedsl.DSLError) as info:
        spacedsl.parse(text)
    assert info.value.line == 1 and info.value.column == column
    assert message in info.value.message


def test_from_dict_refuses_a_bad_object_name():
    data = spacedsl.parse("x in [@a]").to_dict()
    data["statements"][0]["domain"]["values"][0]["value"]["name"] = "os; rm"
    with pytest.raises(spacedsl.DSLError, match="not an object name"):
        spacedsl.Space.from_dict(data)


def test_check_sample_and_fmt_import_nothing_a_file_names(tmp_path):
    """A file naming a module that writes a marker on import: check, fmt, sample never import it."""
    (tmp_path / "evil_mod.py").write_text("open('IMPORTED', 'w').write('x')\nclass Thing: pass\n")
    (tmp_path / "s.space").write_text("m in [@evil_mod.Thing, @os.system]\n")
    for args in (["check", "s.space"], ["fmt", "s.space"], ["sample", "s.space", "-n", "3"], ["grid", "s.space"]):
        out = subprocess.run([sys.executable, "-m", "spacedsl", *args], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    assert not (tmp_path / "IMPORTED").exists()
    assert "\"@os.system\"" in subprocess.run(
        [sys.executable, "-m", "spacedsl", "sample", "s.space", "-n", "1"], cwd=tmp_path, capture_output=True,
        text=True, timeout=60).stdout


# ------------------------------------------------------------------ Python: objects=
import numpy as np  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from spacedsl.storage import Store  # noqa: E402

PIPE_SPACE = """\
scale in [@scaler, "passthrough"]
clf in [@svc, @forest]
if clf == @svc {
    svc.clf__C ~ loguniform(1e-2, 1e2)
}
if clf == @forest {
    clf__n_estimators in 5..20
    clf__max_depth in [2, 4]
}
"""


class FitCounter(BaseEstimator, ClassifierMixin):
    fits = 0

    def __init__(self, step=None):
        self.step = step

    def fit(self, X, y):
        FitCounter.fits += 1
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def _iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def _objects():
    return {"svc": SVC(), "forest": RandomForestClassifier(random_state=0), "scaler": StandardScaler()}


def test_search_chooses_between_objects_and_keeps_their_names(tmp_path):
    X, y = _iris()
    pipe = Pipeline([("scale", "passthrough"), ("clf", SVC())])
    db = tmp_path / "runs.sqlite"
    result = spacedsl.search(pipe, PIPE_SPACE, X, y, strategy="random", n_trials=8, seed=0, objects=_objects(),
                             storage=db, study="pipe")
    chosen = {t.params["clf"] for t in result.trials}
    assert chosen == {Ref("svc"), Ref("forest")}
    for t in result.trials:
        assert t.state == "complete"
        assert isinstance(t.params["clf"], Ref) and t.params["scale"] in (Ref("scaler"), "passthrough")
    best = result.best_params
    step = result.best_estimator.named_steps["clf"]
    assert isinstance(step, SVC if best["clf"] == Ref("svc") else RandomForestClassifier)
    if best["clf"] == Ref("svc"):
        assert step.C == best["svc.clf__C"]
    # the store keeps names, so the study resumes: the same call again runs only what is missing
    with Store(db) as store:
        assert {t.params["clf"] for t in store.trials("pipe")} == chosen
    again = spacedsl.search(pipe, PIPE_SPACE, X, y, strategy="random", n_trials=10, seed=0, objects=_objects(),
                            storage=db, study="pipe")
    assert len(again.trials) == 10 and again.trials[:8] == result.trials
    out = subprocess.run([sys.executable, "-m", "spacedsl", "trials", str(db), "--json"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert {r["params"]["clf"] for r in rows} == {"@svc", "@forest"}
    table = subprocess.run([sys.executable, "-m", "spacedsl", "trials", str(db)], capture_output=True, text=True,
                           timeout=60).stdout
    assert "@forest" in table and "SVC(" not in table and "RandomForest" not in table


def test_a_name_without_an_object_fails_before_any_fit(tmp_path):
    path = tmp_path / "m.space"
    path.write_text("model in [@svc, @forest]\n")
    FitCounter.fits = 0
    X, y = _iris()
    with pytest.raises(spacedsl.DSLError) as info:
        spacedsl.search(FitCounter(), spacedsl.load(path), X, y, n_trials=3, objects={"svc": SVC(), "forrest": 1})
    err = info.value
    assert (err.filename, err.line, err.column) == (str(path), 1, 17)
    assert "no object for @forest; did you mean 'forrest'?" in str(err) and "model in [@svc, @forest]" in str(err)
    with pytest.raises(spacedsl.DSLError, match="not under an allowed import prefix"):
        spacedsl.search(FitCounter(), "model in [@os.system]", X, y, n_trials=3)
    with pytest.raises(spacedsl.DSLError, match="no object for @svc"):
        spacedsl.SpaceSearchCV(FitCounter(), "model in [@svc]", objects={}).fit(X, y)
    with pytest.raises(spacedsl.DSLError, match="no object for @a"):
        spacedsl.minimize(lambda c: 0.0, "f in [@a]", objects={"b": 1})
    assert FitCounter.fits == 0


def test_parameters_of_a_chosen_object_are_checked_before_any_fit():
    X, y = _iris()
    pipe = Pipeline([("clf", SVC())])
    with pytest.raises(ValueError, match="did you mean 'clf__n_estimators'"):
        spacedsl.search(pipe, "clf in [@forest]\nclf__n_estimatorz in [5]", X, y, n_trials=2, objects=_objects())


def test_two_active_labels_for_one_parameter_fail_that_trial():
    X, y = _iris()
    with pytest.raises(RuntimeError, match="both set the estimator's 'clf__C'"):
        spacedsl.search(Pipeline([("clf", SVC())]), "a.clf__C in [1.0]\nb.clf__C in [2.0]", X, y,
                        strategy="grid", n_trials=1)


def test_import_rule_resolves_sklearn_paths_and_refuses_the_rest():
    rule = spacedsl.ImportRule()
    assert isinstance(rule("sklearn.svm.SVC"), SVC)
    for name, reason in [("os.system", "not under an allowed import prefix"),
                         ("sklearnx.thing", "not under an allowed import prefix"),
                         ("sklearn.base.platform.system", "reaches the module platform"),
                         ("svc", "not an import path")]:
        with pytest.raises(LookupError, match=reason):
            rule(name)
    with pytest.raises(LookupError, match="has no attribute 'LinearSCV'; did you mean"):
        rule("sklearn.svm.LinearSCV")


def test_a_file_cannot_call_a_function_under_the_allowed_prefix(tmp_path, monkeypatch):
    # sklearn.datasets.clear_data_home() would delete the data folder: a file may only name estimator classes
    home = tmp_path / "scikit_learn_data"
    home.mkdir()
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(home))
    rule = spacedsl.ImportRule()
    for name in ("sklearn.datasets.clear_data_home", "sklearn.show_versions", "sklearn.set_config"):
        with pytest.raises(LookupError, match="not an estimator class"):
            rule(name)
    assert home.is_dir()


def test_minimize_passes_the_objects_and_keeps_the_names():
    seen = []

    def loss(config):
        seen.append(config["f"])
        return config["f"](config["x"])

    result = spacedsl.minimize(loss, "f in [@square, @absolute]\nx ~ uniform(-2, 2)", strategy="random",
                               n_trials=10, seed=0, objects={"square": lambda x: x * x, "absolute": abs})
    assert abs in seen and result.best_params["f"] in (Ref("square"), Ref("absolute"))
    assert all(isinstance(t.params["f"], Ref) for t in result.trials)


def test_passthrough_and_none_steps_work_as_scikit_learn_allows():
    X, y = _iris()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))])
    result = spacedsl.search(pipe, 'scale in ["passthrough", none, @scaler]', X, y, strategy="grid", n_trials=3,
                             objects=_objects())
    assert [t.params["scale"] for t in result.trials] == ["passthrough", None, Ref("scaler")]
    assert all(t.state == "complete" for t in result.trials)


def test_tools_know_named_objects():
    import optuna
    from pygments.lexers import get_lexer_by_name
    from spacedsl.integrations.optuna import suggest

    text = "clf in [@svc, @sklearn.svm.SVC]\nif clf == @svc { c ~ uniform(0, 1) }\n"
    tokens = list(get_lexer_by_name("spacedsl").get_tokens(text))
    assert [v for t, v in tokens if "Constant" in str(t)] == ["@svc", "@sklearn.svm.SVC", "@svc"]
    assert not [t for t, _ in tokens if "Error" in str(t)]
    space = spacedsl.parse(text)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("error")  # no "Choices ... should be None, bool, int" warning
        configs = [suggest(study.ask(), space) for _ in range(8)]
    assert {c["clf"] for c in configs} <= {Ref("svc"), Ref("sklearn.svm.SVC")}
    with pytest.raises(ValueError, match="not named objects"):
        spacedsl.convert(space, "wandb")


# ------------------------------------------------------- found when tried as a new user
@pytest.mark.parametrize("text, line, column, message", [
    ('max_depth in [3, 10\ncriterion in ["gini"]\n', 2, 1, "the '[' at line 1, column 14 is not closed"),
    ('x ~ uniform(0,\ny in [1]\n', 2, 3, "the '(' at line 1, column 12 is not closed: close it with ')'"),
    ("d in 1...5", 1, 7, "a range has two dots (1..5 is every integer from 1 to 5)"),
])
def test_new_user_syntax_mistakes_say_what_was_meant(text, line, column, message):
    with pytest.raises(spacedsl.DSLSyntaxError) as info:
        spacedsl.parse(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert message in info.value.message


def test_lists_may_still_span_lines():
    assert spacedsl.parse("x in [1,\n  2]\ny ~ uniform(0,\n 1)\n").names == ("x", "y")
