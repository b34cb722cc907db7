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
