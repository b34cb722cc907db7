"""The command line: `spacedsl check|fmt|sample|grid`, run in-process through
`spacedsl.cli.main` and, once each, as `python -m spacedsl` and `spacedsl`."""

import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import spacedsl
from spacedsl.cli import main

REPO = pathlib.Path(__file__).resolve().parent.parent

GOOD = 'a in [1, 2, 3]\nb ~ uniform(0, 1)\nc = "x"\n'
BAD = "a in [1, 2, 3]\nb ~ unifrom(0, 1)\n"  # line 2: unknown distribution
LOCATED = re.compile(r"bad\.space:2:\d+: ")


@pytest.fixture
def write(tmp_path):
    def write(name, text):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8", newline="")
        return str(path)
    return write


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def json_lines(out):
    return [json.loads(line) for line in out.splitlines()]


# ------------------------------------------------------------------ check
def test_check_ok(capsys, write):
    good = write("good.space", GOOD)
    status, out, err = run(capsys, "check", good)
    assert status == 0
    assert out == f"{good}: ok\n"
    assert err == ""


def test_check_quiet(capsys, write):
    status, out, err = run(capsys, "check", "-q", write("good.space", GOOD))
    assert (status, out, err) == (0, "", "")


def test_check_bad_file(capsys, write):
    bad = write("bad.space", BAD)
    status, out, err = run(capsys, "check", bad)
    assert status == 1
    assert out == ""
    assert LOCATED.search(err), err
    assert "unifrom" in err and "^" in err  # the message, the source line and a caret


def test_check_reports_every_file(capsys, write):
    good1 = write("good1.space", GOOD)
    bad = write("bad.space", BAD)
    other_bad = write("other.space", "x in []\n")
    good2 = write("good2.space", "z in 1..3\n")
    status, out, err = run(capsys, "check", good1, bad, other_bad, good2)
    assert status == 1
    assert out.splitlines() == [f"{good1}: ok", f"{good2}: ok"]
    assert LOCATED.search(err)
    assert re.search(r"other\.space:1:\d+: ", err), err


def test_check_missing_file(capsys, write, tmp_path):
    missing = str(tmp_path / "missing.space")
    good = write("good.space", GOOD)
    status, out, err = run(capsys, "check", missing, good)
    assert status == 2
    assert err == f"spacedsl: error: cannot read {missing}: No such file or directory\n"
    assert out == f"{good}: ok\n"  # the other files are still checked


def test_check_directory_is_unreadable(capsys, tmp_path):
    status, out, err = run(capsys, "check", str(tmp_path))
    assert status == 2
    assert err.startswith(f"spacedsl: error: cannot read {tmp_path}: ")
    assert err.count("\n") == 1


def test_check_not_utf8_is_a_space_error(capsys, tmp_path):
    path = tmp_path / "latin1.space"
    path.write_bytes(b'a in ["caf\xe9"]\n')
    status, _, err = run(capsys, "check", str(path))
    assert status == 1
    assert "latin1.space" in err


def test_check_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(BAD))
    status, _, err = run(capsys, "check", "-")
    assert status == 1
    assert re.search(r"<stdin>:2:\d+: ", err), err


# -------------------------------------------------------------------- fmt
def test_fmt_rewrites(capsys, write):
    text = "a in [1,2,3]; b ~ uniform( 0 , 1 )\nif a == 2 { c in ['x', 'y'] }\n"
    path = write("messy.space", text)
    status, out, err = run(capsys, "fmt", path)
    assert status == 0, err
    canonical = spacedsl.dumps(spacedsl.parse(text))
    assert pathlib.Path(path).read_text(encoding="utf-8") == canonical
    assert path in out
    # a second run has nothing to do
    assert run(capsys, "fmt", path) == (0, "", "")


def test_fmt_check_lists_and_changes_nothing(capsys, write):
    text = "a in [1,2,3]; b ~ uniform( 0 , 1 )\n"
    path = write("messy.space", text)
    canonical = write("canonical.space", spacedsl.dumps(spacedsl.parse(text)))
    status, out, err = run(capsys, "fmt", "--check", path, canonical)
    assert status == 1
    assert out.splitlines() == [f"would reformat {path}"]
    assert pathlib.Path(path).read_text(encoding="utf-8") == text


def test_fmt_canonical_file_is_untouched(capsys, write):
    path = write("canonical.space", spacedsl.dumps(spacedsl.parse(GOOD)))
    before = os.stat(path).st_mtime_ns
    assert run(capsys, "fmt", path) == (0, "", "")
    assert run(capsys, "fmt", "--check", path) == (0, "", "")
    assert os.stat(path).st_mtime_ns == before


def test_fmt_keeps_comments_and_blank_lines(capsys, write):
    text = "# tuned weekly\n\na in [1,2,3]   # small\nif a==1 {\n  # only for 1\n  b ~ uniform(0,1)\n}\n"
    path = write("commented.space", text)
    assert run(capsys, "fmt", path)[0] == 0
    assert pathlib.Path(path).read_text(encoding="utf-8") == (
        "# tuned weekly\n\na in [1, 2, 3]  # small\nif a == 1 {\n    # only for 1\n    b ~ uniform(0, 1)\n}\n")
    assert run(capsys, "fmt", "--check", path) == (0, "", "")
    status, _, _ = run(capsys, "fmt", "--strip-comments", path)
    assert status == 0
    assert pathlib.Path(path).read_text(encoding="utf-8") == spacedsl.dumps(spacedsl.parse(text))


def test_fmt_leaves_the_examples_as_they_are(capsys):
    examples = sorted(str(p) for p in (pathlib.Path(__file__).parent.parent / "examples").glob("*.space"))
    assert examples and run(capsys, "fmt", "--check", *examples) == (0, "", "")


def test_fmt_bad_file(capsys, write):
    bad = write("bad.space", BAD)
    status, out, err = run(capsys, "fmt", bad)
    assert status == 1
    assert LOCATED.search(err)
    assert pathlib.Path(bad).read_text(encoding="utf-8") == BAD


def test_fmt_missing_file(capsys, tmp_path):
    status, _, err = run(capsys, "fmt", str(tmp_path / "nope.space"))
    assert status == 2
    assert err.startswith("spacedsl: error: cannot read ")


def test_fmt_stdin_writes_stdout(capsys, monkeypatch):
    text = "a in [1,2,3]; b ~ uniform( 0 , 1 )\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    status, out, _ = run(capsys, "fmt", "-")
    assert status == 0
    assert out == spacedsl.dumps(spacedsl.parse(text))


# ----------------------------------------------------------------- sample
def test_sample_is_reproducible_json(capsys, write):
    path = write("good.space", GOOD)
    status, out1, _ = run(capsys, "sample", path, "-n", "5", "--seed", "3")
    assert status == 0
    _, out2, _ = run(capsys, "sample", path, "-n", "5", "--seed", "3")
    assert out1 == out2
    configs = json_lines(out1)
    assert len(configs) == 5
    space = spacedsl.load(path)
    for config in configs:
        assert config["c"] == "x"
        space.validate(config)
    _, out3, _ = run(capsys, "sample", path, "-n", "5", "--seed", "4")
    assert out3 != out1


def test_sample_defaults_to_one(capsys, write):
    status, out, _ = run(capsys, "sample", write("good.space", GOOD))
    assert status == 0
    assert len(json_lines(out)) == 1


def test_sample_none_is_null(capsys, write):
    path = write("none.space", "a in [none]\n")
    status, out, _ = run(capsys, "sample", path, "-n", "2")
    assert status == 0
    assert out.splitlines() == ['{"a": null}'] * 2


# ------------------------------------------------------------------- grid
def test_grid_count_matches_lines(capsys, write):
    path = write("grid.space", 'a in [1, 2, 3]\nb in ["x", none]\nif a == 2 { c in 1..2 }\n')
    status, out, _ = run(capsys, "grid", path)
    assert status == 0
    configs = json_lines(out)
    assert len(configs) == 8  # a=1 and a=3: 2 each; a=2: 2 x 2
    assert {"a": 1, "b": None} in configs
    status, count, _ = run(capsys, "grid", path, "--count")
    assert status == 0
    assert count == "8\n"


def test_grid_resolution(capsys, write):
    path = write("res.space", "a in [1, 2]\nx ~ uniform(0, 1)\n")
    for k in (2, 3, 5):
        status, out, _ = run(capsys, "grid", path, "--resolution", str(k))
        assert status == 0
        configs = json_lines(out)
        assert len(configs) == 2 * k
        assert len({c["x"] for c in configs}) == k
        assert run(capsys, "grid", path, "--resolution", str(k), "--count")[1] == f"{2 * k}\n"


def test_grid_missing_file(capsys, tmp_path):
    status, out, err = run(capsys, "grid", str(tmp_path / "nope.space"), "--count")
    assert status == 2 and out == ""
    assert err.startswith("spacedsl: error: cannot read ")


# -------------------------------------------------------------- arguments
@pytest.mark.parametrize("argv", [
    [],
    ["nonsense"],
    ["check"],
    ["sample", "x.space", "-n", "-1"],
    ["sample", "x.space", "-n", "many"],
    ["sample", "x.space", "--seed", "-3"],
    ["grid", "x.space", "--resolution", "0"],
])
def test_bad_arguments_exit_2(capsys, argv):
    assert main(argv) == 2
    _, err = capsys.readouterr()
    assert "usage:" in err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    out, _ = capsys.readouterr()
    for command in ("check", "fmt", "sample", "grid"):
        assert command in out


# ------------------------------------------------------------ subprocesses
def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def test_python_dash_m(write):
    good, bad = write("good.space", GOOD), write("bad.space", BAD)
    proc = subprocess.run([sys.executable, "-m", "spacedsl", "check", good, bad],
                          capture_output=True, text=True, env=_env(), timeout=60)
    assert proc.returncode == 1
    assert proc.stdout == f"{good}: ok\n"
    assert LOCATED.search(proc.stderr) and "Traceback" not in proc.stderr


def test_console_script(write):
    exe = shutil.which("spacedsl")
    if exe is None:
        pytest.skip("the spacedsl console script is not installed")
    proc = subprocess.run([exe, "check", write("bad.space", BAD)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert LOCATED.search(proc.stderr) and "Traceback" not in proc.stderr
