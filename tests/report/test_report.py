"""The run report, ``mlevolve show`` and the shared rendering, the report checked in a real headless Chromium.

Chromium is driven through its own DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON), so no browser download and no Python package is needed.
The browser is ``$CHROMIUM`` or ``chromium`` on the PATH; without one the browser tests skip,
except under ``CI=true``, where they fail.  Screenshots go to ``$ARTIFACT_DIR`` if set, else to
pytest's temporary directory.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import itertools
import json
import os
import select
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mlevolve import api
from mlevolve.cli import SHOWN_ANCESTRY
from mlevolve.dsl.errors import MlevError
from mlevolve.gp.archive import Archive
from mlevolve.report import data, render
from mlevolve.results import shown_metric
from tests.conftest import ROOT, Capsys, cli, spawn

QUARTIC = str(ROOT / "examples" / "quartic.mlev")


# ------------------------------------------------------------------------------------------ archives
def evolve(db: Path, budget: int, algorithm: str = "regularized") -> Path:
    population = {} if algorithm == "random" else {"population": 20}  # random search reads none: refused (api)
    api.evolve(QUARTIC, ["f"], budget=budget, db=db, init="random", algorithm=algorithm, quiet=True, **population)
    return db


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("runs")
    return {"run": evolve(d / "run.db", 150), "baseline": evolve(d / "random.db", 100, "random")}


def half_written(path: Path, meta: bool = True) -> Path:
    """An archive a run opened and left before its first candidate (with ``meta=False``: not even its identity)."""
    with Archive.for_run(path, {"program_hash": "p", "program_name": "quartic", "task": "koza_quartic",
                                "evolve": ["f"]}) as archive:
        if not meta:
            archive.conn.execute("DELETE FROM meta")
    return path


# ------------------------------------------------------------------------------------------ Chromium
class Browser:
    """A headless Chromium spoken to over the DevTools pipe; one page (tab) per :meth:`load`."""

    def __init__(self, binary: str, profile: str) -> None:
        to_chrome, self._write = os.pipe()
        self._read, from_chrome = os.pipe()

        def wire() -> None:  # in the child: fd 3 reads our commands, fd 4 carries its answers
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome, from_chrome)]  # out of 3 and 4's way
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = spawn(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            # our own descriptors are close-on-exec, so only 3 and 4 reach the browser
            close_fds=False, preexec_fn=wire, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer, self._id, self.events = b"", 0, list[dict[str, Any]]()

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if not select.select([self._read], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        result: dict[str, Any] = json.loads(message)
        return result

    def call(self, method: str, session: str | None = None, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params, **({"sessionId": session} if session else {})}
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._id:
                assert "error" not in answer, answer["error"]
                result: dict[str, Any] = answer["result"]
                return result
            self.events.append(answer)

    def load(self, path: Path) -> Page:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=1280, height=900, deviceScaleFactor=1,
                  mobile=False)
        first = len(self.events)
        self.call("Page.navigate", session, url=path.as_uri())
        deadline = time.monotonic() + 30
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events[first:]):
            self.events.append(self._receive(deadline))
        return Page(self, session, first)

    def close(self) -> None:
        with contextlib.suppress(EOFError, TimeoutError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._write)
        os.close(self._read)


class Page:
    def __init__(self, browser: Browser, session: str, first_event: int) -> None:
        self.browser, self.session, self.first_event = browser, session, first_event

    def evaluate(self, expression: str) -> Any:
        answer = self.browser.call("Runtime.evaluate", self.session, expression=expression, returnByValue=True)
        assert "exceptionDetails" not in answer, answer
        return answer["result"].get("value")

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads (a blocked network fetch, say) of this page."""
        out = []
        for e in self.browser.events[self.first_event:]:
            if e.get("sessionId") != self.session:
                continue
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(json.dumps(params["exceptionDetails"])[:300])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append(json.dumps(params.get("args"))[:300])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.append(params["entry"].get("text", ""))
        return out

    def screenshot(self, path: Path) -> Path:
        size = self.browser.call("Page.getLayoutMetrics", self.session)["cssContentSize"]
        shot = self.browser.call("Page.captureScreenshot", self.session, format="png", captureBeyondViewport=True,
                                 clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    binary = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        reason = "no Chromium: install it (apt-get install chromium) or set CHROMIUM to its path"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="mlevolve-chromium-") as profile:
        b = Browser(binary, profile)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    target = Path(os.environ.get("ARTIFACT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def open_report(browser: Browser, html: Path) -> Page:
    page = browser.load(html)
    assert page.console_errors() == []
    return page


IMAGES = "[...document.images].map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight, i.src.slice(0, 22)])"


# ------------------------------------------------------------------------------------------ the report
@pytest.mark.e2e
def test_report_in_a_real_browser(runs: dict[str, Path], browser: Browser, artifacts: Path, tmp_path: Path,
                                  capsys: Capsys) -> None:
    out = tmp_path / "report.html"
    code, stdout, _ = cli(capsys, "report", str(runs["run"]), "-o", str(out), "--baseline", str(runs["baseline"]))
    assert code == 0 and stdout == f"wrote {out} (150 candidates, finished)\n"
    text = out.read_text()
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    page = open_report(browser, out)
    page.screenshot(artifacts / "report.png")
    images = page.evaluate(IMAGES)
    assert [i[0] for i in images] == ["fitness over candidates", "fitness against size", "size over the candidates",
                                      "cumulative counts by source", "operator success rates"]
    assert all(done and w > 100 and h > 100 and src == "data:image/png;base64," for _, done, w, h, src in images)
    svg = page.evaluate("(() => { const s = document.querySelector('svg.lineage'); const r = s.getBoundingClientRect();"
                        " return [s.querySelectorAll('g.node').length, r.width, r.height]; })()")
    assert svg[0] >= 1 and svg[1] > 0 and svg[2] > 0
    best = api.best(runs["run"], 1)[0]
    visible = page.evaluate("document.body.innerText")
    assert best["evolved"].splitlines()[1].strip() in visible  # the top program's body, as text a reader sees
    assert f"hash {best['hash'][:12]}" in visible
    headings = page.evaluate("[...document.querySelectorAll('h2')].map(h => h.innerText)")
    assert headings == ["The answer", "Fitness over the candidates", "Top 5 behaviours", "Fitness and size",
                        "How candidates were scored", "Operators", "Lineage of the best program", "Run", "Counts"]
    # answer first: the headline sits above the first plot, in the first screenful
    first_plot = page.evaluate("document.images[0].getBoundingClientRect().top")
    answer = page.evaluate("(() => { const t = document.querySelector('table.answer'); "
                           "return [t.getBoundingClientRect().bottom, t.innerText]; })()")
    assert answer[0] < first_plot and answer[0] < 900
    start = data.start(data.load(runs["run"]))
    assert start is not None and start["metrics"] is not None
    metric = best["metrics"]["train_r2"]
    assert f"best\ttrain_r2 {metric:.5g}" in answer[1] and f"hash {best['hash'][:12]}" in answer[1]
    assert f"test_r2 {best['metrics']['test_r2']:.5g}" in answer[1]
    assert f"start\ttrain_r2 {start['metrics']['train_r2']:.5g}" in answer[1]
    assert "metric\ttrain_r2 on the training split (higher is better)" in answer[1]
    assert "gain\t" in answer[1] and "spread\tone seed only" in answer[1]
    # diffs are captioned with the operator that made the program shown, not its parent's
    captions = page.evaluate("[...document.querySelectorAll('.card')].map(c => c.innerText)")
    for card, group in zip(captions, data.behaviours(data.load(runs["run"]))[:5], strict=True):
        row = group.representative
        assert (f"Made by {row.operator} from its parent" in card) == bool(row.parents)
    assert "Meta-generations" not in visible
    assert (artifacts / "report.png").stat().st_size > 10_000


@pytest.mark.e2e
def test_report_of_a_meta_run_shows_grammar_growth(runs: dict[str, Path], browser: Browser, tmp_path: Path) -> None:
    db = tmp_path / "meta.db"
    shutil.copy(runs["run"], db)
    generations = [{"grammar_size": 131 + 3 * g, "best_fitness": -1.0 / (g + 1),
                    "rule_usage": {"add": 10 + g, "mul": 7, f"new_rule_{g}": g},
                    "operators": {"regrow": 0.5 - 0.1 * g, "wrap": 0.3, "tweak": 0.2 + 0.1 * g}} for g in range(3)]
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO meta VALUES ('meta_generations', ?)", (json.dumps(generations),))
    out = tmp_path / "meta.html"
    api.report(db, out)
    page = open_report(browser, out)
    visible = page.evaluate("document.body.innerText")
    assert "Meta-generations: grammar and operators" in visible and "new_rule_2 2" in visible
    images = page.evaluate(IMAGES)
    assert images[-1][0] == "grammar growth" and images[-1][2] > 100


NOTES = {True: "This archive holds no candidates yet", False: "This archive is empty"}


def test_the_report_line_counts_one_candidate_in_the_singular(tmp_path: Path, capsys: Capsys) -> None:
    db = tmp_path / "one.db"
    api.evolve(QUARTIC, ["f"], budget=1, db=db, quiet=True)
    code, stdout, _ = cli(capsys, "report", str(db), "-o", str(tmp_path / "one.html"))
    assert code == 0 and stdout == f"wrote {tmp_path / 'one.html'} (1 candidate, finished)\n"


def test_the_run_table_shows_epochs_only_for_a_program_trained_for_epochs(tmp_path: Path) -> None:
    """A formula's or learner's report said 'epochs 10', a setting such a run refuses (a new user's pass)."""
    db = tmp_path / "q.db"
    api.evolve(QUARTIC, ["f"], budget=2, db=db, quiet=True)
    api.report(db, tmp_path / "q.html")
    assert "<td>epochs</td>" not in (tmp_path / "q.html").read_text()
    run = data.load(db)
    assert not data.reads(run, "epochs") and not data.reads(run, "hurdle")


def test_the_report_of_a_run_whose_every_candidate_failed_says_why(tmp_path: Path, capsys: Capsys) -> None:
    """The report said only 'every one failed so far' where `best` and the run's summary give the most common
    reason and a command to see one (a new user's pass: a --timeout too short for any candidate)."""
    db = tmp_path / "fail.db"
    program = tmp_path / "bad.mlev"  # the log of a negative number: the start and its 2 mutants (seed 0) fail
    program.write_text("algorithm bad\ntask nguyen4\n\nformula f(x: Scalar) -> Scalar =\n  log(0.0 - 1.0 - x * x)\n")
    api.evolve(program, ["f"], budget=3, db=db, quiet=True, fit=False, prune=False)
    message, hint = api.no_score(db)
    assert "most common reason" in message
    api.report(db, tmp_path / "fail.html")
    text = (tmp_path / "fail.html").read_text()
    assert f"<p>{message[:1].upper() + message[1:]}</p>" in text.replace("&#x27;", "'") and hint in text


@pytest.mark.parametrize("meta", [True, False], ids=["half-written", "empty"])
def test_report_of_an_archive_without_candidates(tmp_path: Path, meta: bool, capsys: Capsys) -> None:
    db = half_written(tmp_path / "a.db", meta)
    code, stdout, _ = cli(capsys, "report", str(db))  # default output: next to the archive
    assert code == 0 and stdout == f"wrote {tmp_path / 'a.html'} (0 candidates, empty)\n"
    text = (tmp_path / "a.html").read_text()
    assert NOTES[meta] in text and "<img" not in text and "Top 5 programs" not in text


@pytest.mark.e2e
def test_reports_without_candidates_load_cleanly(tmp_path: Path, browser: Browser) -> None:
    for meta, note in NOTES.items():
        out = tmp_path / f"{meta}.html"
        api.report(half_written(tmp_path / f"{meta}.db", meta), out)
        assert note in open_report(browser, out).evaluate("document.body.innerText")


@pytest.mark.e2e
def test_report_and_show_while_a_run_writes(tmp_path: Path, capsys: Capsys) -> None:
    db = tmp_path / "live.db"
    proc = spawn([sys.executable, "-m", "mlevolve.cli", "evolve", QUARTIC, "--evolve", "f", "--init",
                             "random", "--budget", "1000000", "--db", str(db), "--quiet"],
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not db.exists() or count(db) < 50:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the run wrote no rows"
            time.sleep(0.2)
        code, stdout, _ = cli(capsys, "report", str(db), "-o", str(tmp_path / "live.html"))
        assert code == 0 and "in progress" in stdout
        assert "This run is in progress or was interrupted" in (tmp_path / "live.html").read_text()
        code, stdout, _ = cli(capsys, "show", str(db), "--best")
        assert code == 0 and "formula f(x: Scalar) -> Scalar =" in stdout
        seen, deadline = count(db), time.monotonic() + 60
        while count(db) <= seen:  # the readers did not get in the writer's way: it writes on (not timed)
            assert proc.poll() is None and time.monotonic() < deadline, "the run wrote nothing after the readers"
            time.sleep(0.2)
    finally:
        proc.kill()
        proc.wait()


def count(db: Path) -> int:
    try:
        with Archive.read(db) as archive:
            return archive.count()
    except (MlevError, sqlite3.Error):  # the writer has not made its tables yet
        return 0


def test_report_mistakes(runs: dict[str, Path], tmp_path: Path, capsys: Capsys) -> None:
    def usage_error(*argv: str) -> str:
        code, _, err = cli(capsys, *argv)
        assert code == 2
        return err.splitlines()[0]

    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"\x00\x01garbage" * 300)
    out = str(tmp_path / "r.html")
    missing = tmp_path / "none.db"
    assert usage_error("report", str(missing), "-o", out) == f"{missing}: error: no such archive"
    assert usage_error("report", str(corrupt), "-o", out).startswith(f"{corrupt}: error: not an mlevolve archive")
    assert "--top must be at least 1" in usage_error("report", str(runs["run"]), "-o", out, "--top", "0")
    other = tmp_path / "other.db"
    Archive.for_run(other, {"program_hash": "p", "task": "digits", "evolve": ["act"]}).close()  # an empty archive
    assert "baseline is a run on task 'digits', not 'koza_quartic'" in usage_error(
        "report", str(runs["run"]), "-o", out, "--baseline", str(other))
    assert "would overwrite the archive" in usage_error("report", str(runs["run"]), "-o", str(runs["run"]))
    # the same task, another fitness (a learner's and a formula's run on one data file): refused, not drawn together
    (tmp_path / "d.csv").write_text("x,y\n" + "".join(f"{i},{i * i % 7 + i / 3}\n" for i in range(30)))
    dbs = {}
    for kind, program in (("formula", "formula f(x: Scalar) -> Scalar =\n  x\n"),
                          ("learner", "learner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
                                      "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w\n")):
        (tmp_path / f"{kind}.mlev").write_text(f"algorithm {kind}\n{program}")
        dbs[kind] = tmp_path / f"{kind}.db"
        api.evolve(tmp_path / f"{kind}.mlev", budget=8, population=4, tournament=2, db=dbs[kind], quiet=True,
                   task=f"{tmp_path / 'd.csv'}:target=y")
    assert usage_error("report", str(dbs["learner"]), "-o", out, "--baseline", str(dbs["formula"])) == (
        f"{dbs['formula']}: error: baseline's fitness is train_r2, this run's val_mse: their curves would share one "
        "axis")
    assert usage_error("report", str(runs["run"]), "-o", str(other), "--baseline", str(other)) == (
        f"{other}: error: the report would overwrite the archive")  # the baseline's too
    itself = Path(os.path.relpath(runs["run"])).parent / ".." / runs["run"].parent.name / runs["run"].name
    code, _, err = cli(capsys, "report", str(runs["run"]), "-o", out, "--baseline", str(itself))  # by resolved path
    assert code == 2 and err.splitlines() == [
        f"{itself}: error: the baseline is this run's own archive: its curve would be drawn against itself",
        "hint: pass another run's archive of the same task, e.g. a random search's (mlevolve evolve ... "
        "--algorithm random --db base.db)"]
    copy, linked = tmp_path / "copy.db", tmp_path / "linked.db"  # the same run, by its identity, not its path
    copy.write_bytes(runs["run"].read_bytes())
    os.link(runs["run"], linked)
    for same in (copy, linked):
        assert usage_error("report", str(runs["run"]), "-o", out, "--baseline", str(same)) == (
            f"{same}: error: the baseline is this run's own archive: its curve would be drawn against itself")
    twin = tmp_path / "twin.db"  # another run of the same program and task (another moment) is a baseline
    Archive.for_run(twin, {"program_hash": data.load(runs["run"]).meta["program_hash"], "task": "koza_quartic",
                           "evolve": ["f"]}).close()
    assert not data.load(runs["run"]).is_run(data.load(twin))
    (tmp_path / "a_file").write_text("")
    assert "cannot write" in usage_error("report", str(runs["run"]), "-o", str(tmp_path / "a_file" / "r.html"))
    assert not (tmp_path / "a_file" / "r.html").exists()
    assert "r.pdf would hold an HTML page, not a .pdf file" in usage_error("report", str(runs["run"]), "-o",
                                                                           str(tmp_path / "r.pdf"))
    assert not (tmp_path / "r.pdf").exists()
    assert not Path(out).exists()


# ------------------------------------------------------------------------------------------ show
def test_show_best_prints_program_metrics_and_ancestry(runs: dict[str, Path], capsys: Capsys) -> None:
    code, out, err = cli(capsys, "show", str(runs["run"]), "--best")
    assert (code, err) == (0, "")
    assert "\x1b[" not in out  # captured output is not a terminal: no colour
    [shown] = api.show(runs["run"])
    lines = out.splitlines()
    where = f"the prune of candidate {shown['seq']}" if shown["source"] == "pruned" else \
        f"candidate {shown['seq']}, {shown['operator']}, generation {shown['generation']}"  # not two hashes for one seq
    assert lines[0] == f"#1  train_r2 {shown_metric(shown['fitness'])}  hash {shown['hash'][:12]}  ({where})"
    answer = data.answer(data.load(runs["run"]))  # the report's answer called a pruned best "candidate N"
    assert answer is not None and answer["best"]["source"] == shown["source"]
    assert shown["source"] == "pruned"  # the fixture's run prunes its best
    assert lines[1].startswith("    train_mse ")
    if shown["pruned"]:  # the run's best pruned (gp.prune): one line says so; its candidate, whose scores differ,
        # is not called one of its behaviour (it was: newuser40)
        assert lines.pop(2) == f"    {shown['pruned']}" and shown["parents"][0] not in shown["same"]
    if shown["same"]:
        assert lines.pop(2).startswith(f"    + {len(shown['same'])} more program")
    assert ["    " + line if line else "" for line in shown["program"].splitlines()] == lines[2:2 + len(
        shown["program"].splitlines())]
    assert "#" not in shown["program"] and "task koza_quartic" in shown["program"]  # no hand-written comments
    steps = [line for line in lines if line.startswith("    <- ")]
    assert len(steps) == min(len(shown["ancestry"]), SHOWN_ANCESTRY) >= 1  # the nearest steps; a line says the rest
    left = len(shown["ancestry"]) - len(steps)
    assert (f"    ... {left} earlier step" in out) == (left > 0)
    for step, a in zip(steps, shown["ancestry"], strict=False):
        assert step.split()[1:3] == [a["hash"][:12], a["operator"]] and f"generation {a['generation']}" in step
    assert shown["ancestry"][-1]["operator"] == "random"  # the chain ends at a root the run drew
    code, out, err = cli(capsys, "show", str(runs["run"]), "--best", "--ancestry", "0")  # every step
    assert len([line for line in out.splitlines() if line.startswith("    <- ")]) == len(shown["ancestry"])


def test_show_by_hash_and_mistakes(runs: dict[str, Path], tmp_path: Path, capsys: Capsys) -> None:
    run = data.load(runs["run"])
    failed = next(r for r in run.rows if r.fitness is None)
    code, out, _ = cli(capsys, "show", str(runs["run"]), failed.hash[:10])
    assert code == 0 and out.startswith(f"failed: {failed.failure}  hash {failed.hash[:12]}")
    code, out, _ = cli(capsys, "show", str(runs["run"]), failed.hash[:10], "--confirm", "2")  # said, not ignored
    assert code == 0 and f"--confirm: not re-evaluated: this candidate failed ({failed.failure})" in out.splitlines()
    code, out, _ = cli(capsys, "show", str(runs["run"]), "--best", "-n", "3")
    assert code == 0 and [line[:3] for line in out.splitlines() if line.startswith("#")] == ["#1 ", "#2 ", "#3 "]

    def usage_error(*argv: str) -> str:
        code, _, err = cli(capsys, *argv)
        assert code == 2
        return err.splitlines()[0]

    db = str(runs["run"])
    assert "no program with hash 'zz'" in usage_error("show", db, "zz")
    shared = next(h[0] for h in run.first if sum(k[0] == h[0] for k in run.first) > 1 and h[0] in "abcdef")
    assert "is ambiguous" in usage_error("show", db, shared)
    # a candidate's number, as every listing names one: it showed another program whose hash starts so, or none
    by_seq = {r.seq: r.hash for r in run.rows}
    starting = {seq: {h for h in by_seq.values() if h.startswith(str(seq))} for seq in by_seq if seq >= 10}
    alone = next(seq for seq, starts in starting.items() if not starts)
    assert usage_error("show", db, str(alone)) == \
        f"{db}: error: '{alone}' is a candidate's number, not a hash: candidate {alone}'s hash is {by_seq[alone][:12]}"
    shared = next(seq for seq, starts in starting.items() if len(starts) == 1 and by_seq[seq] not in starts)
    assert usage_error("show", db, str(shared)) == f"{db}: error: '{shared}' starts the hash " \
        f"{min(starting[shared])[:12]} and is candidate {shared}'s number (its hash is {by_seq[shared][:12]})"
    assert "no program with hash '0" in usage_error("show", db, f"0{alone}")  # 0123: a hash's start, read as one
    digit = next(h[0] for h in run.first if sum(k[0] == h[0] for k in run.first) > 1 and h[0].isdigit())
    assert usage_error("show", db, digit).startswith(f"{db}: error: '{digit}' starts the hashes ")  # 0-9 too
    assert usage_error("show", db, digit).endswith(f" and is candidate {digit}'s number (its hash is "
                                                   f"{by_seq[int(digit)][:12]})")
    for hash_then_flag in (["ab", "--best"], ["--best", "ab"]):  # a HASH after an option is still the HASH
        assert "give either HASH or --best" in usage_error("show", db, *hash_then_flag)
    assert "-n goes with --best" in usage_error("show", db, "ab", "-n", "2")
    assert "-n goes with --best" in usage_error("show", db, "-n", "2", "ab")
    code, out, _ = cli(capsys, "show", db, "--digits", "3", failed.hash[:10])
    assert code == 0 and out.startswith(f"failed: {failed.failure}  hash {failed.hash[:12]}")
    assert "no such archive" in usage_error("show", str(tmp_path / "none.db"))
    code, _, err = cli(capsys, "show", failed.hash[:12], db)  # the two swapped: said so, the command mended
    assert code == 2 and err.splitlines() == [f"{failed.hash[:12]}: error: no such archive; the archive comes first, "
                                              "then the hash", f"hint: mlevolve show {db} {failed.hash[:12]}"]
    assert "no candidate with a fitness" in usage_error("show", str(half_written(tmp_path / "h.db")))


# ------------------------------------------------------------------------------------------ pieces
def test_tokens_classify_and_escape() -> None:
    line = render.code_line("formula f(x: Scalar) -> Scalar = let y = sin(x) in y * 1e-7 # a < b & c")
    kinds = {text: kind for kind, text in line}
    assert (kinds["formula"], kinds["f"], kinds["Scalar"], kinds["let"], kinds["sin"], kinds["y"], kinds["1e-7"]) == (
        "kind", "def", "type", "keyword", "call", "name", "number")
    assert kinds["# a < b & c"] == "comment"
    assert render.plain(line) == "formula f(x: Scalar) -> Scalar = let y = sin(x) in y * 1e-7 # a < b & c"
    html = render.html(line)
    assert '<span class="t-comment"># a &lt; b &amp; c</span>' in html and "<b" not in html.replace("<span", "")
    assert render.ansi(line, color=False) == render.plain(line)
    assert "\x1b[1;34mformula\x1b[0m" in render.ansi(line, color=True)


def test_use_color_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stream:
        def __init__(self, tty: bool) -> None:
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert render.use_color(Stream(True)) and not render.use_color(Stream(False))  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not render.use_color(Stream(True))  # type: ignore[arg-type]


@given(st.lists(st.tuples(st.integers(1, 30), st.floats(-10, 10)), max_size=40))
@example([(1, -2.416628528441769e-42), (2, 0.5)])  # tied by rounding: the test's check read it otherwise
def test_the_pareto_front_is_exactly_the_undominated_points(points: list[tuple[int, float]]) -> None:
    front = data.pareto_front(sorted(points, key=lambda p: -p[1]), lambda p: p[0], lambda p: p[1])

    def dominated(p: tuple[int, float]) -> bool:
        return any(q[0] <= p[0] and q[1] >= p[1] and q != p for q in points)

    assert sorted(set(front)) == sorted({p for p in points if not dominated(p)})
    assert [p[0] for p in front] == sorted(p[0] for p in front)
    given = data.pareto_front(points, lambda p: p[0], lambda p: p[1])  # in any order: the same front
    assert given == front and all(a[0] < b[0] for a, b in itertools.pairwise(given))  # one of each size
    near = data.pareto_front(sorted(points, key=lambda p: -p[1]), lambda p: p[0], lambda p: p[1],
                             lambda a, b: abs(a - b) <= 0.5)  # fitnesses within 0.5 are equal
    assert set(near) <= set(front) and near[:1] == front[:1]
    assert all(b[1] - a[1] > 0.5 for a, b in itertools.pairwise(near))
    # each is one's, within 0.5 by the tie's own arithmetic (0.5 - -2.4e-42 rounds to 0.5: a tie; 0.5 - 0.5 >= -2.4e-42
    # does not hold)
    assert all(any(q[0] <= p[0] and (q[1] >= p[1] or abs(q[1] - p[1]) <= 0.5) for q in near) for p in points)


def test_lineage_and_operator_stats(runs: dict[str, Path]) -> None:
    run = data.load(runs["run"])
    best = run.top[0]
    graph, left_out = data.lineage(run, best)
    assert nx.is_directed_acyclic_graph(graph) and graph.out_degree(best.hash) == 0
    assert nx.ancestors(graph, best.hash) == set(graph) - {best.hash}
    chain = [a["hash"] for a in data.ancestry(run, best)]
    assert set(chain) <= set(graph) and left_out == 0
    small, left = data.lineage(run, best, limit=2)
    assert small.number_of_nodes() == 2 and left == graph.number_of_nodes() - 2
    stats = data.operator_stats(run)
    assert sum(s.children for s in stats) == sum(1 for r in run.rows if r.parents)
    assert all(0 <= s.improved <= s.children for s in stats)
    counts = data.counts(run)
    assert counts["candidates"] == 150 and sum(counts.get(s, 0) for s in data.SOURCES) == 150
    assert "hurdle" not in counts  # a formula's run: no hurdle could answer a candidate


def test_the_hurdle_is_counted_where_the_programs_regime_reads_it() -> None:
    """The report's counts and settings name the hurdle as the summary does: for a network's run, not a
    formula's or a learner's (whose archives still record the setting's default, on)."""
    def run(example: str, hurdle: bool = True) -> data.Run:
        return data.Run("x.db", {"program": (ROOT / "examples" / example).read_text(), "hurdle": hurdle}, ())

    assert [data.hurdled(run(e)) for e in ("quartic.mlev", "linear_regression.mlev", "mlp_digits.mlev")] == \
        [False, False, True]
    assert not data.hurdled(run("mlp_digits.mlev", hurdle=False))
    assert "hurdle" in data.counts(run("mlp_digits.mlev")) and "hurdle" not in data.counts(run("quartic.mlev"))


def test_size_distribution_over_the_run(runs: dict[str, Path]) -> None:
    import dataclasses
    import statistics

    from mlevolve.dsl.kinds import slots
    from mlevolve.dsl.parse import parse
    from mlevolve.report import page

    run = data.load(runs["run"])
    windows = data.size_distribution(run, windows=7, sample=1000)
    assert len(windows) == 7 and sum(w.candidates for w in windows) == len(run.rows) == 150
    assert [w.first for w in windows] == [0, *(w.last + 1 for w in windows[:-1])] and windows[-1].last == 149

    def size(text: str) -> int:
        return slots(parse(text))[0].body.size  # quartic.mlev has one slot, f

    evaluated = {r.seq: size(r.program) for r in run.rows}
    simplified = {r.seq: size(r.simplified) for r in run.rows if r.simplified is not None}
    assert len(simplified) == 150 and all(simplified[k] <= evaluated[k] for k in evaluated)  # never grows
    assert sum(simplified.values()) < sum(evaluated.values())
    for w in windows:
        part = [r.seq for r in run.rows if w.first <= r.seq <= w.last]
        assert w.measured == w.candidates == len(part)
        assert w.evaluated[1] == statistics.median(evaluated[k] for k in part)
        assert w.simplified is not None and w.simplified[1] == statistics.median(simplified[k] for k in part)
        assert w.evaluated[0] <= w.evaluated[1] <= w.evaluated[2] and w.simplified[2] <= w.evaluated[2]
    sampled = data.size_distribution(run, windows=2, sample=10)
    assert [w.measured for w in sampled] == [10, 10] and sampled[0].candidates == 75
    assert sampled[0].evaluated[1] == statistics.median(evaluated[75 * j // 10] for j in range(10))  # evenly spaced
    # an archive made before the simplifier: the simplified size is unknown
    old = dataclasses.replace(run, rows=tuple(dataclasses.replace(r, simplified=None) for r in run.rows))
    assert all(w.simplified is None for w in data.size_distribution(old, windows=3))
    assert data.size_distribution(dataclasses.replace(run, rows=())) == []
    html = page.build(run)
    shown = data.size_distribution(run)  # the report's: 20 windows of 7 or 8 candidates
    assert len(shown) == 20 and "simplified size: 25% / median / 75%" in html
    assert all(f"<td>{w.first}–{w.last}</td>" in html for w in shown) and shown[-1].first == 142


def test_the_report_shows_every_setting_of_the_run_s_identity(runs: dict[str, Path]) -> None:
    """``restart_every`` (and the bandit), part of a run's identity when on, were missing from the report's settings."""
    import dataclasses

    from mlevolve.report import page

    run = data.load(runs["run"])
    meta = {**run.meta, "restart_every": 2000, "bandit": True}
    html = page.build(dataclasses.replace(run, meta=meta))
    assert "restart_every 2000" in html and "bandit True" in html
    assert "restart_every" not in page.build(run)  # off: not in the identity, not shown


def test_a_metric_with_no_value_is_shown_as_a_dash() -> None:
    """A meta run's `evals_to_target` where the target was never reached printed as Python's `None` (a fresh-user
    pass)."""
    assert render.metrics_text({"fitness": 0.5, "auc": 0.891, "seed": 3, "evals_to_target": None}) == \
        "auc 0.891, seed 3, evals_to_target —"


@pytest.mark.parametrize(("settings", "said"), [({"fitness": "paired"}, "AUC gain over base"),
                                                ({"fitness": "auc"}, "AUC"), (None, "AUC gain over base")])
def test_a_meta_runs_generations_table_says_what_its_best_fitness_is(settings: dict[str, str] | None,
                                                                     said: str) -> None:
    """The meta-generations table's best fitness is an AUC gain over the base grammar under ``[meta] fitness =
    "paired"`` (the default; an archive without the setting) and an AUC under "auc": the header says which, as the
    meta log's line does (it read "best fitness" either way)."""
    from types import SimpleNamespace

    from mlevolve.report import page

    run = SimpleNamespace(meta={"kind": "meta", **({"meta_settings": settings} if settings else {})})
    html = page._meta_generations([{"generation": 0, "best_fitness": 0.5, "validation_auc": 0.7}],
                                  page._meta_fitness(run))  # type: ignore[arg-type]
    assert f"<th>best fitness ({said})</th>" in html and "<th>validation AUC</th>" in html
