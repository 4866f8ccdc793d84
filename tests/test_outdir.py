import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vesseltrack import outdir
from vesseltrack.errors import InputError
from vesseltrack.outdir import ResultsFolder

RUN_A = {"alerts.csv": "rank,mmsi\n1,273000009\n", "map.html": "<html>A</html>\n",
         "cases/alert_001_273000009.html": "<html>case</html>\n"}
RUN_B = {"alerts.csv": "rank,mmsi\n", "voyages.csv": "voyage_id\n7\n"}


def write_run(out: Path, files: dict[str, str], summary: dict) -> list[Path]:
    results = ResultsFolder(out)
    with results as stage:
        for name, text in files.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_text(text)
        return results.commit(summary)


def snapshot(folder: Path) -> dict[str, bytes] | None:
    """Every file under ``folder`` (relative path -> bytes); None when it does not exist."""
    if not folder.exists():
        return None
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: os.kill(pid, 0) now says it is gone
    return proc.pid


def test_a_run_replaces_the_whole_folder_and_lists_its_files(tmp_path):
    out = tmp_path / "res"
    write_run(out, RUN_A, {"run": "A"})
    assert outdir.verify(out) == []
    paths = write_run(out, RUN_B, {"run": "B"})
    assert sorted(p.relative_to(out).as_posix() for p in paths) == ["alerts.csv", "summary.json", "voyages.csv"]
    assert sorted(snapshot(out) or {}) == ["alerts.csv", "summary.json", "voyages.csv"]  # no old map, no old cases/
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"] == "B" and summary["outputs"]["format"] == outdir.RESULTS_FORMAT
    assert sorted(summary["outputs"]["sha256"]) == ["alerts.csv", "voyages.csv"]
    assert outdir.verify(out) == [] and leftovers(out) == []


def test_summary_json_is_the_same_bytes_for_the_same_files(tmp_path):
    write_run(tmp_path / "a", RUN_A, {"run": "A"})
    write_run(tmp_path / "b", RUN_A, {"run": "A"})
    write_run(tmp_path / "b", RUN_A, {"run": "A"})  # replacing gives the same bytes too
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_verify_names_what_is_missing_changed_or_added(tmp_path):
    out = tmp_path / "res"
    write_run(out, RUN_A, {})
    (out / "alerts.csv").write_text("rank,mmsi\n1,1\n")
    (out / "map.html").unlink()
    (out / "notes.txt").write_text("mine")
    assert outdir.verify(out) == ["map.html: missing", "notes.txt: not written by this run",
                                  "alerts.csv: changed (SHA-256 differs)"]
    assert outdir.verify(tmp_path) == [f"{tmp_path}: no summary.json listing the files of a vesseltrack run"]


def test_a_folder_of_other_files_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match=r"--out .*docs: a folder holding 1 entry \(e.g. thesis.tex\) and no vesseltrack summary.json, so not a results folder; .*choose another path"):  # noqa: E501
        write_run(out, RUN_A, {})
    assert snapshot(out) == {"thesis.tex": b"years of work"} and leftovers(out) == []


def test_a_results_folder_holding_a_users_file_is_refused(tmp_path):
    out = tmp_path / "res"
    write_run(out, RUN_A, {})
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    with pytest.raises(InputError, match=r"also holds 1 file vesseltrack did not write \(notes.txt\); .*move them elsewhere"):  # noqa: E501
        write_run(out, RUN_B, {})
    assert snapshot(out) == before


def test_an_empty_folder_and_desktop_litter_are_replaced(tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / ".DS_Store").write_bytes(b"\0")
    write_run(out, RUN_B, {})
    assert sorted(snapshot(out) or {}) == ["alerts.csv", "summary.json", "voyages.csv"]


def test_a_results_folder_of_an_earlier_version_is_replaced(tmp_path):
    """Before summary.json listed its files: recognised by its vesseltrack_version."""
    out = tmp_path / "res"
    out.mkdir()
    (out / "summary.json").write_text('{"vesseltrack_version": "0.9"}\n')
    (out / "alerts.csv").write_text("old\n")
    (out / "map.html").write_text("old map\n")
    write_run(out, RUN_B, {})
    assert sorted(snapshot(out) or {}) == ["alerts.csv", "summary.json", "voyages.csv"]


def test_out_that_is_a_file_or_under_a_file(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(InputError, match="exists and is not a folder; expected a folder"):
        ResultsFolder(f)
    with pytest.raises(InputError, match=rf"--out {f / 'res'}: {f} is a file; expected a path through folders"):
        ResultsFolder(f / "res")
    assert f.read_text() == "x"


def test_out_that_is_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="is the current folder or one that holds it"):
        ResultsFolder(".")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_out_and_read_only_parent(tmp_path):
    out = tmp_path / "res"
    write_run(out, RUN_A, {})
    out.chmod(0o555)
    try:
        with pytest.raises(InputError, match="the folder is read-only"):
            ResultsFolder(out)
    finally:
        out.chmod(0o755)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(InputError, match=rf"cannot write in {tmp_path} \(permission denied\)"):
            ResultsFolder(tmp_path / "new")
    finally:
        tmp_path.chmod(0o755)


def test_permission_checks_as_any_user(tmp_path, monkeypatch):
    """What the test above checks with real permissions, for root too (os.access says what the user may do)."""
    out = tmp_path / "res"
    write_run(out, RUN_A, {})
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == out else real(p, mode, **k))
    with pytest.raises(InputError, match=rf"--out {out}: the folder is read-only \(permission denied\); expected"):
        ResultsFolder(out)
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == tmp_path else real(p, mode, **k))
    with pytest.raises(InputError, match=rf"--out {out}: cannot write in {tmp_path} \(permission denied\)"):
        ResultsFolder(out)


@pytest.mark.parametrize("error", [ValueError("boom"), KeyboardInterrupt()])
def test_a_failure_or_ctrl_c_while_staging_leaves_out_as_it_was(tmp_path, error):
    out = tmp_path / "res"
    write_run(out, RUN_A, {})
    before = snapshot(out)
    results = ResultsFolder(out)
    with pytest.raises(type(error)):
        with results as stage:
            (stage / "alerts.csv").write_text("half")
            raise error
    assert snapshot(out) == before and leftovers(out) == []


def test_the_two_rename_swap_where_there_is_no_exchange(tmp_path, monkeypatch):
    monkeypatch.setattr(outdir, "_exchange", lambda a, b: False)
    out = tmp_path / "res"
    write_run(out, RUN_A, {})
    write_run(out, RUN_B, {})
    assert sorted(snapshot(out) or {}) == ["alerts.csv", "summary.json", "voyages.csv"] and leftovers(out) == []


def test_the_swap_keeps_the_folders_permissions(tmp_path):
    out = tmp_path / "res"
    write_run(out, RUN_A, {})
    out.chmod(0o750)
    write_run(out, RUN_B, {})
    assert out.stat().st_mode & 0o777 == 0o750


def _stale(out: Path, kind: str, pid: int, files: dict[str, str] | None, summary: dict | None = None) -> Path:
    """A folder as a killed run leaves it: ``files`` written, finished (summary.json) when ``summary``."""
    p = out.parent / f".{out.name}.{kind}-{pid}-0123abcd"
    if summary is not None:  # write a finished results folder there
        write_run(p, files or {}, summary)
    else:
        p.mkdir()
        for name, text in (files or {}).items():
            (p / name).parent.mkdir(parents=True, exist_ok=True)
            (p / name).write_text(text)
    return p


def test_recover_finishes_a_run_killed_between_its_two_renames(tmp_path):
    out, pid = tmp_path / "res", dead_pid()
    _stale(out, "old", pid, RUN_A, {"run": "A"})
    _stale(out, "tmp", pid, RUN_B, {"run": "B"})  # complete: summary.json written, every hash holds
    outdir.recover(out)
    assert json.loads((out / "summary.json").read_text())["run"] == "B" and outdir.verify(out) == []
    assert leftovers(out) == []


def test_recover_puts_the_old_folder_back_when_the_new_one_is_incomplete(tmp_path):
    out, pid = tmp_path / "res", dead_pid()
    _stale(out, "old", pid, RUN_A, {"run": "A"})
    tmp = _stale(out, "tmp", pid, RUN_B, {"run": "B"})
    (tmp / "voyages.csv").write_text("truncated")  # a hash no longer holds
    outdir.recover(out)
    assert json.loads((out / "summary.json").read_text())["run"] == "A" and outdir.verify(out) == []
    assert leftovers(out) == []


def test_recover_deletes_only_stale_folders_of_this_out(tmp_path):
    out, pid = tmp_path / "res", dead_pid()
    write_run(out, RUN_A, {"run": "A"})
    _stale(out, "tmp", pid, {"alerts.csv": "half"})
    _stale(out, "old", pid, RUN_B)
    mine = _stale(out, "tmp", os.getpid(), {"alerts.csv": "a run still going"})
    other = [tmp_path / ".res.tmp-abc123", tmp_path / f".other.tmp-{pid}-0123abcd", tmp_path / f"res.tmp-{pid}-0a"]
    for p in other:
        p.mkdir()
    before = snapshot(out)
    outdir.recover(out)
    assert snapshot(out) == before
    assert leftovers(out) == sorted([".res.tmp-abc123", mine.name])
    assert all(p.exists() for p in other)


def _crash_at(step: int, out: Path, files: dict[str, str], summary: dict, exchange: bool) -> int:
    """Run write_run(out, files, summary) in a forked child that dies (os._exit, like SIGKILL: no cleanup)
    just before its ``step``-th filesystem call; the child's exit status (0: it finished first)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            calls = [0]

            def dying(fn):
                def call(*args, **kwargs):
                    calls[0] += 1
                    if calls[0] == step:
                        os._exit(9)
                    return fn(*args, **kwargs)

                return call

            for name in ("mkdir", "rename", "replace", "unlink", "rmdir", "chmod", "fsync", "open"):
                setattr(os, name, dying(getattr(os, name)))
            outdir._exchange = dying(outdir._exchange if exchange else lambda a, b: False)
            write_run(out, files, summary)
            os._exit(0)
        except BaseException:
            os._exit(3)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("first", [True, False], ids=["first-run", "re-run"])
def test_a_kill_at_every_step_leaves_one_whole_run(tmp_path, exchange, first):
    """Kill the writing process before each of its filesystem calls in turn: after the next run's
    repair, --out is exactly the previous run or exactly the new one, and a finished run leaves nothing."""
    out = tmp_path / "res"
    if not first:
        write_run(out, RUN_A, {"run": "A"})
    ref = tmp_path / "ref"
    write_run(ref, RUN_B, {"run": "B"})
    old, new = snapshot(out), snapshot(ref)
    seen = set()
    for step in range(1, 200):
        status = _crash_at(step, out, RUN_B, {"run": "B"}, exchange)
        assert status in (0, 9), status
        outdir.recover(out)  # what the next run does first
        now = snapshot(out)
        assert now in (old, new), (step, now)
        seen.add("old" if now == old else "new")
        if status == 0:
            break
        shutil.rmtree(out, ignore_errors=True)
        if old is not None:
            write_run(out, RUN_A, {"run": "A"})
    assert status == 0 and step > 10 and seen == {"old", "new"}
    write_run(out, RUN_A, {"run": "A"})
    assert leftovers(out) == [] and outdir.verify(out) == []


def _score(inp: Path, out: Path, *options: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(outdir.__file__).parents[1])}
    return subprocess.Popen([sys.executable, "-m", "vesseltrack", "score", str(inp), "--out", str(out), "--quiet",
                             *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def test_score_killed_at_random_points_leaves_one_whole_run(fleet_csv, tmp_path):
    """SIGKILL `vesseltrack score` at seeded random points (over the whole run, or once it has begun to
    write its staging folder): --out is always exactly run A or exactly run B (other alerts and a map),
    and no staging is left after a finished run."""
    out = tmp_path / "res"
    options = {"A": ("--top", "5"), "B": ("--top", "1", "--min-score", "0.3", "--map")}
    refs = {}
    durations = []
    for name in ("A", "B"):
        t0 = time.monotonic()
        proc = _score(fleet_csv, out, *options[name])
        assert proc.wait() == 0, proc.stderr.read() if proc.stderr else ""
        durations.append(time.monotonic() - t0)
        refs[name] = snapshot(out)
    assert refs["A"] != refs["B"] and "map.html" in refs["B"] and "map.html" not in refs["A"]
    assert outdir.verify(out) == []
    rng = random.Random(15)
    state, outcomes = "B", []
    for _ in range(6):
        nxt = "A" if state == "B" else "B"
        proc = _score(fleet_csv, out, *options[nxt])
        t0 = time.monotonic()
        if rng.random() < 0.5:  # anywhere in the run
            wait = rng.uniform(0.3, 1.1) * max(durations)
        else:  # while it writes: once its staging folder appears, within the next second and a half
            mine = f".{out.name}.tmp-{proc.pid}-"
            while (proc.poll() is None and not any(n.startswith(mine) for n in leftovers(out))
                   and time.monotonic() - t0 < 2 * max(durations)):
                time.sleep(0.005)
            wait = time.monotonic() - t0 + rng.uniform(0, 1.5)
        try:
            proc.wait(timeout=max(0.0, wait - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        if not out.exists():  # killed between two renames (systems without an atomic exchange)
            outdir.recover(out)  # what the next run does first
        now = snapshot(out)
        assert now in (refs["A"], refs["B"]), f"a kill after {wait:.1f} s left a mixed --out"
        state = "A" if now == refs["A"] else "B"
        outcomes.append((round(wait, 1), proc.returncode, state))
    proc = _score(fleet_csv, out, *options["A"])
    assert proc.wait() == 0
    assert snapshot(out) == refs["A"] and leftovers(out) == [], outcomes
