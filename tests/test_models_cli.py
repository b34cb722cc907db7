"""``spacedsl tune`` with model choices: --estimator SPEC, the import allowlist, stdin."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

PIPE = """\
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC


def make():
    return Pipeline([("scale", "passthrough"), ("clf", SVC())])


pipe = make()
"""

SPACE = """\
scale in [@sklearn.preprocessing.StandardScaler, "passthrough"]
clf in [@sklearn.svm.SVC, @sklearn.ensemble.RandomForestClassifier]
if clf == @sklearn.svm.SVC {
    svc.clf__C ~ loguniform(1e-2, 1e2)
}
if clf == @sklearn.ensemble.RandomForestClassifier {
    clf__n_estimators in 5..15
}
"""
FAST = ["--data", "builtin:iris", "--trials", "3", "--strategy", "random", "-q", "--json"]


def _script():
    script = pathlib.Path(sys.executable).parent / "spacedsl"
    if not script.exists():
        pytest.skip("no spacedsl script beside this interpreter")
    return str(script)


def _run(args, cwd, stdin=None, script=False):
    cmd = [_script()] if script else [sys.executable, "-m", "spacedsl"]
    return subprocess.run(cmd + args, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "mypipe.py").write_text(PIPE)
    (tmp_path / "pca.space").write_text(SPACE)
    return tmp_path


@pytest.mark.parametrize("spec", ["mypipe:make", "mypipe:pipe", "mypipe.make", "./mypipe.py:pipe"])
def test_estimator_specs_and_the_script_import_from_the_current_folder(folder, spec):
    out = _run(["tune", "pca.space", "--estimator", spec, *FAST], folder, script=True)
    assert out.returncode == 0, out.stderr
    best = json.loads(out.stdout)["best_params"]
    assert best["clf"] in ("@sklearn.svm.SVC", "@sklearn.ensemble.RandomForestClassifier")


def test_tune_reads_the_space_from_stdin(folder):
    out = _run(["tune", "-", "--estimator", "mypipe:make", *FAST], folder, stdin=SPACE)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["n_trials"] == 3


def test_estimator_file_errors_are_one_line(folder):
    out = _run(["tune", "pca.space", "--estimator", "nowhere.py:make", *FAST], folder)
    assert out.returncode == 2 and "no such file nowhere.py" in out.stderr
    out = _run(["tune", "pca.space", "--estimator", "mypipe:maek", *FAST], folder)
    assert out.returncode == 2 and "did you mean 'make'" in out.stderr


CHECK_IMPORTS = """\
import sys
from spacedsl.cli import main
status = main(sys.argv[1:])
print(status, 'evil_mod' in sys.modules, 'colorsys' in sys.modules)
"""


def test_an_untrusted_file_imports_nothing_outside_the_allowlist(folder):
    (folder / "evil_mod.py").write_text("open('IMPORTED', 'w').write('x')\nclass Thing:\n    pass\n")
    for line in ("clf in [@evil_mod.Thing]", "clf in [@os.system]", "clf in [@colorsys.hls_to_rgb]",
                 "clf in [@sklearn.base.platform.system]"):
        (folder / "evil.space").write_text(line + "\n")
        out = subprocess.run([sys.executable, "-c", CHECK_IMPORTS, "tune", "evil.space", "--estimator", "mypipe:make",
                              *FAST], cwd=folder, capture_output=True, text=True, timeout=120)
        status, evil, colorsys = out.stdout.split()
        assert status == "1" and evil == "False" and colorsys == "False", (line, out.stderr)
        assert "evil.space:1:9:" in out.stderr and ("allowed" in out.stderr), out.stderr
    assert not (folder / "IMPORTED").exists()
    # the user may extend the allowlist; then it is imported (and fails as a step, which is fine here)
    (folder / "evil.space").write_text("clf in [@evil_mod.Thing]\n")
    _run(["tune", "evil.space", "--estimator", "mypipe:make", "--allow-import", "evil_mod", *FAST], folder)
    assert (folder / "IMPORTED").exists()


def test_a_csv_with_empty_cells_is_refused_before_any_fit_naming_the_columns(tmp_path):
    rows = ["a,b,c,y"] + [f"{i},{'' if i % 3 == 0 else i},{'NA' if i == 4 else 1},{i % 2}" for i in range(12)]
    (tmp_path / "h.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "svc.space").write_text("C ~ loguniform(0.1, 10)\n")
    (tmp_path / "hgb.space").write_text("max_iter in [20]\n")
    out = _run(["tune", "svc.space", "--estimator", "sklearn.svm.SVC", "--data", "h.csv", "--target", "y",
                "--trials", "50"], tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert "missing cells in the feature columns 'b' (4 empty), 'c' (1 empty)" in out.stderr
    assert "trial" not in out.stderr  # nothing ran
    out = _run(["tune", "hgb.space", "--estimator", "sklearn.ensemble.HistGradientBoostingClassifier", "--data",
                "h.csv", "--target", "y", "--trials", "1", "--evaluator", "holdout", "--test-size", "0", "-q", "--json"],
               tmp_path)
    assert out.returncode == 0, out.stderr  # it takes NaN


def test_warnings_are_kept_per_trial_not_printed(tmp_path):
    (tmp_path / "lr.space").write_text("max_iter in [1, 2]\nC in [1.0]\n")
    db = tmp_path / "runs.sqlite"
    common = ["tune", "lr.space", "--estimator", "sklearn.linear_model.LogisticRegression", "--data",
              "builtin:breast_cancer", "--strategy", "grid", "--trials", "2", "--storage", str(db)]
    out = _run(common + ["-q"], tmp_path)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    out = _run(common + ["--study", "again"], tmp_path)
    assert "ConvergenceWarning" in out.stderr and len(out.stderr.strip().splitlines()) <= 4  # one summary line
    table = _run(["trials", str(db), "--study", "lr"], tmp_path).stdout
    assert "warnings" in table.splitlines()[0] and "ConvergenceWarning" in table
    rows = [json.loads(line) for line in _run(["trials", str(db), "--study", "lr", "--json"], tmp_path).stdout.split("\n")
            if line]
    assert all(any("ConvergenceWarning" in w for w in r["warnings"]) for r in rows)
