"""`spacedsl report` and `spacedsl.write_report`: the page is one self-contained file, and a person
opening it in a real browser (headless Chromium, network off) sees the plots and can sort and
filter the trials."""

import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import spacedsl  # noqa: E402
from chromium import Browser, chromium_path  # noqa: E402
from spacedsl.cli import main  # noqa: E402
from studies import CONDITIONAL, big_store, conditional_store  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
needs_chromium = pytest.mark.skipif(chromium_path() is None,
                                    reason="chromium is not installed (.ci/run installs it: apt-get install chromium)")


@pytest.fixture(scope="module")
def svm_db(tmp_path_factory):
    return conditional_store(str(tmp_path_factory.mktemp("svm") / "svm.sqlite"))


@pytest.fixture(scope="module")
def svm_report(svm_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "svm.html"
    assert main(["report", svm_db, "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def big_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    db = big_store(str(folder / "big.sqlite"))
    out = folder / "big.html"
    spacedsl.write_report(db, out)
    return out


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None:
        pytest.skip("chromium is not installed")
    with Browser() as b:
        yield b


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


# ------------------------------------------------------------------ the file
def test_the_page_is_self_contained(svm_report):
    text = svm_report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    sources = re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert "default-src 'none'" in text  # the page's own policy forbids fetching anything


def test_the_page_holds_summary_best_importance_plots_and_trials(svm_report, svm_db):
    text = svm_report.read_text(encoding="utf-8")
    assert "<pre class=space>" + spacedsl.dumps(spacedsl.parse(CONDITIONAL)).replace('"', "&quot;")[:20] in text
    for piece in ("random", "minimize", "Best configuration", "Parameter importance", 'alt="history"',
                  'alt="slice"', 'alt="parallel coordinates"', 'alt="contour"', 'alt="importance"',
                  'data-state="pruned"', 'data-state="interrupted"', 'data-state="running"'):
        assert piece in text, piece
    payload = json.loads(re.search(r'<script type="application/json" id=trial-data>(.*?)</script>', text,
                                   re.S).group(1).replace("<\\/", "</"))
    assert payload["columns"][:4] == ["number", "state", "value", "duration"]
    assert len(payload["rows"]) == 65
    assert {row[1] for row in payload["rows"]} == {"complete", "failed", "pruned", "interrupted", "running"}


def test_a_result_s_report_has_its_test_score(tmp_path):
    from sklearn.datasets import load_iris
    from sklearn.neighbors import KNeighborsClassifier

    X, y = load_iris(return_X_y=True)
    space = 'n_neighbors in 1..30\nweights in ["uniform", "distance"]'
    result = spacedsl.search(KNeighborsClassifier(), space, X, y, strategy="random", evaluator="holdout",
                             n_trials=12, test_size=0.3, seed=0)
    out = spacedsl.write_report(result, tmp_path / "knn.html", space=space, strategy="random")
    text = pathlib.Path(out).read_text(encoding="utf-8")
    assert f"{result.test_score:.6g}</td>" in text
    assert "maximize" in text and "score</th>" in text


def test_a_study_too_small_for_importance_still_reports(tmp_path):
    db = str(tmp_path / "one.sqlite")
    spacedsl.minimize(lambda p: p["x"], "x ~ uniform(0, 1)", strategy="random", n_trials=2, seed=0, storage=db)
    out = tmp_path / "one.html"
    assert main(["report", db, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "needs at least 5 complete trials, got 2" in text
    assert 'alt="history"' in text and 'alt="contour"' not in text


def test_report_errors_are_one_line_and_status_2(capsys, tmp_path, svm_db):
    status, _, err = run(capsys, "report", tmp_path / "missing.sqlite", "-o", tmp_path / "x.html")
    assert status == 2 and "no such file" in err and err.count("\n") == 1
    db = str(tmp_path / "two.sqlite")
    for name in ("a", "b"):
        spacedsl.minimize(lambda p: p["x"], "x ~ uniform(0, 1)", strategy="random", n_trials=5, seed=0,
                          storage=db, study=name)
    status, _, err = run(capsys, "report", db, "-o", tmp_path / "x.html")
    assert status == 2 and "holds 2 studies (a, b)" in err
    status, _, err = run(capsys, "report", db, "--study", "c", "-o", tmp_path / "x.html")
    assert status == 2 and "no study 'c'" in err
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    status, _, err = run(capsys, "report", garbage, "-o", tmp_path / "x.html")
    assert status == 2 and "spacedsl: error:" in err
    status, _, err = run(capsys, "report", svm_db, "-o", tmp_path / "no" / "such" / "dir.html")
    assert status == 2 and "cannot write" in err
    assert not (tmp_path / "x.html").exists()


def test_report_reads_a_store_in_a_read_only_folder(tmp_path, svm_db):
    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copy(svm_db, folder / "svm.sqlite")
    os.chmod(folder, 0o555)
    try:
        assert main(["report", str(folder / "svm.sqlite"), "-o", str(tmp_path / "out.html")]) == 0
        assert sorted(os.listdir(folder)) == ["svm.sqlite"]
    finally:
        os.chmod(folder, 0o755)


def test_tune_report_writes_the_page_at_the_end(tmp_path, capsys):
    space = tmp_path / "knn.space"
    space.write_text('n_neighbors in 1..30\nweights in ["uniform", "distance"]\n')
    out = tmp_path / "tune.html"
    status, stdout, err = run(capsys, "tune", space, "--estimator", "sklearn.neighbors.KNeighborsClassifier",
                              "--data", "builtin:iris", "--strategy", "random", "--evaluator", "holdout",
                              "--trials", "8", "-q", "--report", out)
    assert status == 0, err
    text = out.read_text(encoding="utf-8")
    assert "spacedsl tune " in text and "n_neighbors in 1..30" in text and "test score" in text
    assert "not known (a store" not in text  # tune knows its test score


def test_python_m_spacedsl_report(tmp_path, svm_db):
    out = tmp_path / "m.html"
    proc = subprocess.run([sys.executable, "-m", "spacedsl", "report", svm_db, "--study", "svm", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 10_000


# ------------------------------------------------------------ in a browser
def rows(page, column):
    return page.evaluate(f"Array.from(document.querySelectorAll('#trial-table tbody tr'))"
                         f".map(r => r.cells[{column}].textContent)")


@needs_chromium
def test_the_page_opens_offline_with_no_errors_and_no_requests(browser, svm_report):
    url = svm_report.as_uri()
    page = browser.open(url)
    assert page.evaluate("document.documentElement.getAttribute('data-ready')") == "1"
    assert page.errors() == []
    leaving = [u for u in page.requests() if u != url and not u.startswith("data:")]
    assert leaving == []
    images = page.evaluate("Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
    assert [alt for alt, _, _ in images] == ["history", "slice", "parallel coordinates", "contour", "importance"]
    assert all(done and width > 300 for _, done, width in images)


@needs_chromium
def test_clicking_a_header_sorts_the_table(browser, svm_report):
    page = browser.open(svm_report.as_uri())
    numbers = [int(n) for n in rows(page, 0)]
    assert numbers == sorted(numbers)
    page.click("#trial-table th[data-col='2']")  # value
    values = rows(page, 2)
    numeric = [float(v) for v in values if v]
    assert numeric == sorted(numeric) and len(numeric) > 30
    assert all(v == "" for v in values[len(numeric):])  # trials without a value last
    assert page.evaluate("document.querySelector(\"th[data-col='2']\").getAttribute('aria-sort')") == "ascending"
    page.click("#trial-table th[data-col='2']")
    numeric = [float(v) for v in rows(page, 2) if v]
    assert numeric == sorted(numeric, reverse=True)
    page.click("#trial-table th[data-col='1']")  # state, as text
    states = rows(page, 1)
    assert states == sorted(states)
    assert page.errors() == []


@needs_chromium
def test_clicking_a_state_and_typing_filter_the_table(browser, svm_report):
    page = browser.open(svm_report.as_uri())
    page.click(".chip[data-state='pruned']")
    assert rows(page, 1) == ["pruned"] * 3
    assert "showing 3 of 3 (filtered from 65)" in page.evaluate("document.getElementById('shown').textContent")
    page.click(".chip[data-state='running']")
    assert sorted(set(rows(page, 1))) == ["pruned", "running"]
    page.click("#clear")
    assert len(rows(page, 0)) == 65
    page.type_text("#filter", "poly")
    kernels = rows(page, 4)
    assert kernels and set(kernels) == {"poly"}
    assert page.errors() == []


@needs_chromium
def test_a_screenshot_shows_the_plots(browser, svm_report, tmp_path):
    page = browser.open(svm_report.as_uri())
    page.evaluate("document.getElementById('plots').scrollIntoView()")
    shot = page.screenshot()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    image = plt.imread(io.BytesIO(shot))
    assert image.shape[:2] == (900, 1280)
    # The history plot fills the top of the view: many colours, not a blank page.
    colours = {tuple((px * 255).astype(int)[:3]) for px in image[120:500:4, 40:900:4].reshape(-1, image.shape[2])}
    assert len(colours) > 50
    box = page.evaluate("(function(){var r=document.querySelector('img[alt=history]').getBoundingClientRect();"
                        "return [r.top, r.bottom, r.width];})()")
    assert box[0] < 900 and box[1] > 0 and box[2] > 500  # on screen, at its size


@needs_chromium
def test_a_10000_trial_report_opens_and_sorts(browser, big_report):
    assert big_report.stat().st_size < 5_000_000
    page = browser.open(big_report.as_uri())
    assert page.errors() == []
    assert len(rows(page, 0)) == 500  # a page at a time
    page.click("#trial-table th[data-col='2']")
    values = [float(v) for v in rows(page, 2)]
    assert values == sorted(values)
    page.click("#more")
    assert len(rows(page, 0)) == 1000


def test_without_matplotlib_the_page_says_how_to_get_the_plots(tmp_path, svm_db, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    out = tmp_path / "plain.html"
    assert main(["report", svm_db, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "No plots: spacedsl.plot needs matplotlib: pip install &#x27;spacedsl[plot]&#x27;" in text
    assert "<img" not in text
    assert "Parameter importance" in text and "id=trial-data" in text
