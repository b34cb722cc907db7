"""`spacedsl tune`, run in-process through a small argparse harness around `spacedsl.cli.tune.add_parser`
(and through `spacedsl.cli.main` once the subcommand is wired in)."""

import argparse
import io
import json

import numpy as np
import pytest
from sklearn.svm import SVC

from spacedsl.cli import app as cli
from spacedsl.running.search import search
from spacedsl.cli.console import Progress
from spacedsl.cli.data import load_data
from spacedsl.cli.estimators import load_estimator
from spacedsl.cli.tune import add_parser

SVM = "C ~ loguniform(1e-2, 1e2)\nkernel in ['linear', 'rbf']\n"
FAST = ["--strategy", "sobol", "--trials", "4"]


def main(argv):
    parser = argparse.ArgumentParser(prog="spacedsl")
    add_parser(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code
    return args.func(args)


@pytest.fixture
def space_file(tmp_path):
    path = tmp_path / "svm.space"
    path.write_text(SVM)
    return str(path)


@pytest.fixture
def run(capsys):
    def run(*argv):
        status = main(["tune", *argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return status, out, err
    return run


def one_error_line(err, *needles):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("spacedsl: error: ")
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


# ------------------------------------------------------------------ success
def test_tune_prints_the_best_configuration_cv_score_test_score_and_time(run, space_file):
    status, out, err = run(space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", *FAST)
    assert status == 0, err
    assert out.splitlines()[0].split() == ["parameter", "value"]
    for label in ("C ", "kernel ", "CV score", "test score", "trials", "time"):
        assert label in out
    assert "(accuracy, kfold)" in out and "(20% held out)" in out


def test_json_output_matches_the_python_api(run, space_file):
    status, out, err = run(space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:wine", "--json",
                           "--scoring", "f1_macro", "--seed", "3", "--test-size", "0.3", "-q", *FAST)
    assert status == 0 and err == ""
    got = json.loads(out)
    from sklearn.datasets import load_wine
    X, y = load_wine(return_X_y=True)
    # tune sets the unset random_state of the estimator to --seed
    expected = search(SVC(random_state=3), SVM, X, y, strategy="sobol", n_trials=4, scoring="f1_macro", seed=3,
                      test_size=0.3)
    assert got["best_params"] == expected.best_params
    assert got["best_score"] == expected.best_score and got["test_score"] == expected.test_score
    assert (got["n_trials"], got["n_failed"], got["scoring"], got["strategy"]) == (4, 0, "f1_macro", "sobol")


def test_test_size_zero_claims_no_test_score(run, space_file):
    status, out, _ = run(space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--json",
                         "--test-size", "0", "-q", "--evaluator", "holdout", *FAST)
    assert status == 0 and json.loads(out)["test_score"] is None


def test_csv_data_with_label_targets(run, tmp_path):
    space = tmp_path / "knn.space"
    space.write_text("n_neighbors in 1..5\nweights in ['uniform', 'distance']\n")
    rng = np.random.default_rng(0)
    rows = ["x1,x2,species"] + [f"{a:.3f},{b:.3f},{'big' if a + b > 1 else 'small'}"
                                for a, b in rng.random((60, 2))]
    data = tmp_path / "data.csv"
    data.write_text("\n".join(rows) + "\n")
    status, out, err = run(str(space), "--estimator", "sklearn.neighbors.KNeighborsClassifier", "--data",
                           str(data), "--target", "species", "--json", "-q", "--strategy", "random",
                           "--trials", "3", "--jobs", "2")
    assert status == 0, err
    assert json.loads(out)["best_score"] > 0.8


def test_load_data_reads_numbers_missing_cells_and_targets(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n1,,3\n4,NA,6\n7,8.5,9\n")
    X, y, target = load_data(str(path), "y")
    assert target == "y" and y.dtype.kind == "i" and y.tolist() == [3, 6, 9]
    assert np.isnan(X[0, 1]) and np.isnan(X[1, 1]) and X[2].tolist() == [7.0, 8.5]
    X, y, _ = load_data("builtin:diabetes", "bmi")  # a feature column of a builtin dataset as the target
    assert X.shape == (442, 10) and y.shape == (442,)


def test_load_estimator_makes_a_fresh_instance():
    a, b = load_estimator("sklearn.svm.SVC"), load_estimator("sklearn.svm.SVC")
    assert isinstance(a, SVC) and a is not b


# ----------------------------------------------------------------- progress
def test_progress_is_plain_lines_when_piped(run, space_file):
    status, _, err = run(space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", *FAST)
    lines = err.splitlines()
    assert status == 0 and len(lines) == 4 and "\r" not in err
    assert lines[0].startswith("trial 1/4: ") and "best" in lines[0] and "elapsed" in lines[0]


def test_progress_bar_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(4, stream, tty=True)
    from spacedsl.storage import Trial
    progress(Trial(0, {}, 0.5, "complete"))
    progress(Trial(1, {}, None, "failed", "boom"))
    progress(Trial(2, {}, 0.75, "complete"))
    progress.close()
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n")
    last = text.split("\r")[-1]
    assert "3/4 trials" in last and "best 0.7500" in last and "elapsed" in last and "left" in last


def test_quiet_prints_no_progress(run, space_file):
    status, out, err = run(space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "-q", *FAST)
    assert status == 0 and err == "" and "CV score" in out


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("argv, needles", [
    (["missing.space", "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris"],
     ["cannot read missing.space"]),
    (["{space}", "--estimator", "sklearn.svm.SVQ", "--data", "builtin:iris"],
     ["sklearn.svm.SVQ", "no attribute 'SVQ'"]),
    (["{space}", "--estimator", "sklearnn.svm.SVC", "--data", "builtin:iris"],
     ["sklearnn.svm.SVC", "no module named 'sklearnn'"]),
    (["{space}", "--estimator", "__import__('os').system('true')", "--data", "builtin:iris"],
     ["dotted path"]),
    (["{space}", "--estimator", "sklearn.svm", "--data", "builtin:iris"],
     ["sklearn.svm", "not a scikit-learn estimator"]),
    (["{space}", "--estimator", "sklearn.tree.DecisionTreeClassifier", "--data", "builtin:iris"],
     ["'C' is not a parameter of DecisionTreeClassifier"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "builtin:irises"],
     ["unknown builtin dataset 'irises'", "did you mean 'iris'"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--target", "species"],
     ["unknown column 'species'"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "{csv}", "--target", "labl"],
     ["unknown column 'labl'", "did you mean 'label'"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "{csv}"],
     ["--target is required"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "{csv}", "--target", "a"],
     ["column 'label' is not numeric"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "nowhere.csv", "--target", "y"],
     ["cannot read nowhere.csv"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--scoring", "acuracy"],
     ["unknown scoring 'acuracy'"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--strategy", "gridd"],
     ["unknown strategy 'gridd'"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--evaluator", "nope"],
     ["unknown evaluator 'nope'"]),
    (["{space}", "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--storage", "{garbage}"],
     ["store", "not a spacedsl store, or it is corrupt"]),
])
def test_bad_input_is_one_line_and_status_2(run, space_file, tmp_path, argv, needles):
    csv_file = tmp_path / "d.csv"
    csv_file.write_text("a,b,label\n1,2,x\n3,4,y\n")
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database " * 100)
    argv = [a.format(space=space_file, csv=csv_file, garbage=garbage) for a in argv]
    status, out, err = run(*argv)
    assert status == 2 and out == ""
    one_error_line(err, *needles)


def test_bad_arguments_are_argparse_errors(run, space_file):
    status, _, err = run(space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--trials", "0")
    assert status == 2 and "--trials" in err
    status, _, err = run(space_file, "--data", "builtin:iris")
    assert status == 2 and "--estimator" in err


def test_an_error_in_the_space_file_is_compiler_style_and_status_1(run, tmp_path):
    bad = tmp_path / "bad.space"
    bad.write_text("C ~ unifrom(0, 1)\n")
    status, out, err = run(str(bad), "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris")
    assert status == 1 and out == ""
    assert err.startswith(f"{bad}:1:") and "did you mean 'uniform'" in err


def test_every_trial_failing_is_status_1_with_the_first_error(run, tmp_path):
    space = tmp_path / "bad.space"
    space.write_text("kernel in ['nonsense']\n")
    status, out, err = run(str(space), "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "-q", *FAST)
    assert status == 1 and out == ""
    one_error_line(err, "every trial failed", "nonsense")


# ------------------------------------------------------------ spacedsl.cli
def test_through_spacedsl_cli_main(capsys, space_file, monkeypatch):
    """Wired into spacedsl.cli (added here for the test if the lead engineer has not yet)."""
    if add_parser not in cli._SUBCOMMANDS and not any(getattr(f, "__module__", "") == "spacedsl.cli.tune"
                                                       for f in cli._SUBCOMMANDS):
        monkeypatch.setattr(cli, "_SUBCOMMANDS", cli._SUBCOMMANDS + (add_parser,))
    status = cli.main(["tune", space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--json",
                       "-q", *FAST])
    out, err = capsys.readouterr()
    assert status == 0 and err == "" and json.loads(out)["n_trials"] == 4
    status = cli.main(["tune", space_file, "--estimator", "sklearn.svm.SVQ", "--data", "builtin:iris"])
    out, err = capsys.readouterr()
    assert status == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------ storage
def test_storage_resumes_and_refuses_another_strategy_with_the_way_out(run, space_file, tmp_path):
    db = str(tmp_path / "runs.sqlite")
    common = [space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--storage", db]
    status, out, err = run(*common, "--strategy", "random", "--trials", "3", "--json")
    assert status == 0, err
    assert json.loads(out)["study"] == "svm" and "resuming" not in err
    status, out, err = run(*common, "--strategy", "random", "--trials", "5", "--json")
    assert status == 0, err
    assert "resuming study 'svm' in" in err and "3 trials already there" in err
    assert "trial 4/5" in err and "trial 1/5" not in err
    assert json.loads(out)["n_trials"] == 5
    status, out, err = run(*common, "--strategy", "gp-ei", "--trials", "5")
    assert status == 2 and out == ""
    one_error_line(err, "study 'svm' was made with a different strategy", "--new-study")
    status, out, err = run(*common, "--strategy", "gp-ei", "--trials", "2", "--new-study", "--json")
    assert status == 0, err
    assert json.loads(out)["n_trials"] == 2
    status, out, err = run(*common, "--strategy", "random", "--trials", "2", "--study", "other", "--json")
    assert status == 0 and json.loads(out)["study"] == "other"


def test_timeouts_on_the_command_line(run, space_file):
    status, out, err = run(space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--strategy",
                           "random", "--trials", "1000", "--timeout", "0.5", "--trial-timeout", "30", "--json")
    assert status == 0, err
    assert 1 <= json.loads(out)["n_trials"] < 1000
    status, _, err = run(space_file, "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris", "--timeout", "0")
    assert status == 2 and "--timeout" in err and "positive number of seconds" in err


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGINT") or __import__("os").name != "posix",
                    reason="POSIX signals")
def test_ctrl_c_keeps_the_finished_trials_and_says_how_to_resume(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from spacedsl.storage import Store

    space = tmp_path / "rf.space"
    space.write_text("n_estimators in [30, 60]\nmax_depth in [2, 4, 8]\nmin_samples_leaf: int ~ uniform(1, 10)\n")
    db = tmp_path / "runs.sqlite"
    command = [sys.executable, "-m", "spacedsl", "tune", str(space), "--estimator",
               "sklearn.ensemble.RandomForestClassifier", "--data", "builtin:wine", "--strategy", "random",
               "--trials", "200", "--storage", str(db), "--jobs", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def complete():
        try:
            with Store(db, readonly=True) as store:
                return [t for t in store.trials("rf") if t.state == "complete"] if store.studies() else []
        except Exception:
            return []

    deadline = time.monotonic() + 60
    while len(complete()) < 3:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert f"interrupted: the finished trials are kept in {db} (study 'rf'); run the same command again" in err
    assert "Traceback" not in err and out == ""
    with Store(db, readonly=True) as store:
        trials = store.trials("rf")
    assert not [t for t in trials if t.state == "running"]
    assert len(complete()) >= 3
    cut = sum(t.error == "interrupted" for t in trials)
    # the same command again (with a smaller budget, to be quick) resumes; the summary counts the
    # finished trials, and the interrupted ones apart
    n = len(complete()) + 2
    command[command.index("--trials") + 1] = str(n)
    again = subprocess.run(command + ["--json"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["n_trials"], summary["n_failed"], summary["n_interrupted"]) == (n, 0, cut)
    assert os.path.getsize(db) > 0
