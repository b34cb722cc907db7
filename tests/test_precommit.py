"""The pre-commit hooks (issue 13): the real ``pre-commit`` runs this repository's
``.pre-commit-hooks.yaml`` on a temporary repository.

The hook repository is a temporary ``git clone`` of this checkout at its HEAD (commit first to
test a change of the hooks), named by ``repo:`` and ``rev:`` exactly as a user's configuration
names ours. pre-commit then does what it does for any user: makes a virtualenv under
``PRE_COMMIT_HOME`` and ``pip install .`` of the clone into it. To keep that offline and quick,
pip finds spacedsl's dependencies (and setuptools, the build backend) already installed, on a
``PYTHONPATH`` directory holding links to exactly those packages of this environment, and
is told not to look at an index.
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = pathlib.Path(__file__).resolve().parent.parent

pytest.importorskip("pre_commit")
pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
    pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout of spacedsl"),
]

UGLY = "x   in [1,2,3]   # a comment\nif x==1 {\ny~uniform(0,1)\n}\n"
PRETTY = "x in [1, 2, 3]  # a comment\nif x == 1 {\n    y ~ uniform(0, 1)\n}\n"
BROKEN = "x in [1, 2]\nC ~ loguniform(0, 10)\n"


def git(*args, cwd):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                           "-c", "init.defaultBranch=main", *args],
                          cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def dependency_dir(target):
    """Links to the installed distributions spacedsl needs, nothing else.

    setuptools (the build backend) joins them when it builds wheels by itself (70.1 and later);
    an older one would shadow the recent setuptools virtualenv seeds the hook's environment with.
    """
    target.mkdir()
    todo, seen = ["spacedsl"], set()
    if Version(importlib.metadata.version("setuptools")) >= Version("70.1"):
        todo.append("setuptools")
    while todo:
        try:
            dist = importlib.metadata.distribution(todo.pop())
        except importlib.metadata.PackageNotFoundError:
            continue  # not needed here (pip will say so if it is)
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
        if key == "spacedsl":
            continue  # pre-commit installs that one, from the hook repository
        tops = {pathlib.PurePath(f).parts[0] for f in dist.files or ()}
        for top in tops - {"..", "__pycache__"}:
            source = pathlib.Path(dist.locate_file(top))
            if source.exists() and not (target / top).exists() and not top.endswith(".pth"):
                (target / top).symlink_to(source)
    return target


def pre_commit(repo, env):
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=540)


@pytest.mark.timeout(600)
def test_pre_commit_runs_our_hooks(tmp_path):
    hooks = tmp_path / "hooks"
    git("clone", "--quiet", str(ROOT), str(hooks), cwd=tmp_path)
    rev = git("rev-parse", "HEAD", cwd=hooks)
    ids = [line.split(":", 1)[1].strip() for line in (hooks / ".pre-commit-hooks.yaml").read_text().splitlines()
           if line.startswith("- id:")]
    assert ids == ["spacedsl-fmt", "spacedsl-check", "spacedsl-lint"]

    repo = tmp_path / "project"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {hooks}\n"
        f"    rev: {rev}\n"
        "    hooks:\n" + "".join(f"      - id: {hook}\n" for hook in ids))
    (repo / "spaces").mkdir()
    (repo / "spaces" / "ugly.space").write_text(UGLY)
    (repo / "spaces" / "broken.space").write_text(BROKEN)
    (repo / "notes.txt").write_text("x   in [1,2,3]\n")  # not a .space file: left alone
    git("add", "-A", cwd=repo)

    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), PIP_NO_INDEX="1",
               PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PYTHONPATH=str(dependency_dir(tmp_path / "deps")))
    env.pop("VIRTUAL_ENV", None)

    first = pre_commit(repo, env)
    out = first.stdout + first.stderr
    assert first.returncode == 1, out
    # fmt rewrote the ugly file and failed, as formatters do; the broken file is left as it was
    assert (repo / "spaces" / "ugly.space").read_text() == PRETTY
    assert (repo / "spaces" / "broken.space").read_text() == BROKEN
    assert (repo / "notes.txt").read_text() == "x   in [1,2,3]\n"
    assert "files were modified by this hook" in out
    # check and lint name the file, line and column, as `spacedsl check` does; both fail
    assert "spaces/broken.space:2:16: loguniform needs 0 < low, got low=0" in out
    assert "spaces/broken.space:2:16: error S002: loguniform needs 0 < low, got low=0" in out
    status = {line.split(".")[0]: line.rsplit(".", 1)[-1] for line in out.splitlines() if line.startswith("spacedsl ")}
    assert status == {"spacedsl fmt": "Failed", "spacedsl check": "Failed", "spacedsl lint": "Failed"}, out

    # fixed; lint's warning (a one-value choice) does not fail the hook
    (repo / "spaces" / "broken.space").write_text("x in [1]\nC ~ loguniform(0.001, 10)\n")
    git("add", "-A", cwd=repo)
    second = pre_commit(repo, env)
    out = second.stdout + second.stderr
    assert second.returncode == 0, out
    for hook in ids:
        assert any(line.startswith(hook.replace("-", " ")) and line.endswith("Passed")
                   for line in out.splitlines()), (hook, out)
