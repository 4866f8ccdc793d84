"""The Dask engine gives the local engine's results, byte for byte, for any partitioning."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import vesseltrack
from vesseltrack import export, pipeline, stages, store, zones
from vesseltrack.config import Config
from vesseltrack.errors import ConfigError

#: Fewer trees than the default: both engines fit the same forest, and the tests stay quick.
CONFIG = Config(n_estimators=20)
FILES = ("alerts.csv", "events.csv", "voyages.csv", "summary.json", "stop_areas.csv", "cargo.csv", "vessels.csv",
         "flows.csv")


@pytest.fixture(scope="module")
def scenario():
    from vesseltrack import scenarios

    return scenarios.generate(3, n_vessels=30, days=6)


@pytest.fixture(scope="module")
def local(scenario, tmp_path_factory):
    res = pipeline.analyse(scenario.positions, CONFIG)
    out = tmp_path_factory.mktemp("local")
    export.write_outputs(out, res.tables(), res.summary)
    return res, out


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c:
        with distributed.Client(c) as cl:
            yield cl


def _same_files(a, b) -> list[str]:
    """The output files that differ between folders a and b."""
    return [f for f in FILES if (a / f).read_bytes() != (b / f).read_bytes()]


def test_the_scenario_has_encounters_and_gaps_across_partitions(local):
    """What the identity test below relies on: encounters between vessels of different partitions
    and across the boundary of two encounter time slots, open and closed gaps, and an MMSI split
    into two tracks."""
    e = local[0].events
    enc = e[e["event_type"] == "encounter"]
    for n in (3, 7):
        assert (store.bucket_of(enc["mmsi"].to_numpy(), n) != store.bucket_of(enc["other_mmsi"].to_numpy(), n)).any()
    slot_ns = int(stages.SLOT_H * 3600e9)
    assert (enc["start_time"].array.asi8 // slot_ns != enc["end_time"].array.asi8 // slot_ns).any()
    kinds = set(e.loc[e["event_type"] == "gap", "gap_kind"])
    assert {"open", "moving"} <= kinds
    assert (e["event_type"] == "identity_clash").any()


@pytest.mark.parametrize("n_partitions", [1, 3, 7])
def test_dask_engine_writes_the_local_engines_files(scenario, local, client, n_partitions, tmp_path):
    from vesseltrack.engines import dask_engine

    res = dask_engine.analyse(scenario.positions, CONFIG, client=client, partitions=n_partitions)
    export.write_outputs(tmp_path, res.tables(), res.summary)
    assert _same_files(local[1], tmp_path) == []
    assert res.positions.equals(local[0].positions)


@pytest.fixture(scope="module")
def scenario_store(scenario, tmp_path_factory):
    """The scenario as a CSV, ingested into a store of 8 buckets."""
    d = tmp_path_factory.mktemp("store")
    csv = d / "in.csv"
    scenario.positions.to_csv(csv, index=False)
    store.ingest([csv], d / "s", n_buckets=8)
    return d / "s"


@pytest.mark.parametrize(("partitions", "hold"), [(1, None), (3, False), (3, True), (8, False)])
def test_dask_engine_on_a_store_writes_the_local_engines_files(scenario_store, client, partitions, hold, tmp_path):
    """A store read on the workers, its buckets grouped into 1, 3 or 8 tasks, each partition read
    and tracked twice or its tracks held between the passes: the local engine's files."""
    from vesseltrack.engines import dask_engine

    want = pipeline.run([scenario_store], CONFIG)
    export.write_outputs(tmp_path / "local", want.tables(), want.summary)
    got = dask_engine.run([scenario_store], CONFIG, client=client, partitions=partitions, hold=hold)
    export.write_outputs(tmp_path / "dask", got.tables(), got.summary)
    assert _same_files(tmp_path / "local", tmp_path / "dask") == []
    assert got.summary["rows"] == want.summary["rows"]


def test_bucket_groups_bound_the_rows_of_a_task_and_keep_every_bucket_once():
    from vesseltrack.engines.dask_engine import bucket_groups

    manifest = {"n_buckets": 16, "buckets": {f"{b:02d}": {"rows": r} for b, r in
                                             [(0, 5), (2, 5), (3, 30), (7, 5), (9, 5), (15, 10)]}}
    assert bucket_groups(manifest, 1, max_rows=100) == [[0, 2, 3, 7, 9, 15]]
    assert bucket_groups(manifest, 2, max_rows=100) == [[0, 2, 3], [7, 9, 15]]  # one per worker
    assert bucket_groups(manifest, 1, max_rows=20) == [[0, 2], [3], [7, 9, 15]]  # near max_rows each
    assert bucket_groups(manifest, 2, max_rows=30) == [[0, 2, 3], [7, 9, 15]]  # a multiple of the workers
    assert bucket_groups(manifest, 2, max_rows=20) == [[0], [2], [3], [7], [9], [15]]  # 4 groups of 6: each alone
    assert bucket_groups(manifest, 99, max_rows=100) == [[0], [2], [3], [7], [9], [15]]
    assert bucket_groups({"n_buckets": 4, "buckets": {}}, 2) == []

    # a big store of similar buckets: equal shares, as many as the workers' multiple needs
    big = {"n_buckets": 64, "buckets": {f"{b:02d}": {"rows": 1_560_000 + 1_000 * (b % 7)} for b in range(64)}}
    groups = bucket_groups(big, 2, max_rows=8_000_000)
    assert len(groups) == 14 and sorted(b for g in groups for b in g) == list(range(64))
    sizes = [sum(big["buckets"][f"{b:02d}"]["rows"] for b in g) for g in groups]
    assert max(sizes) <= 8_000_000 + 1_570_000
    assert len(bucket_groups(big, 2, max_rows=2_000_000)) == 64  # a group would be 1 or 2 buckets: each alone


def test_the_tracks_are_held_between_the_passes_when_half_the_workers_memory_holds_them(client):
    """dask_engine.holds: positions x HELD_BYTES_PER_POSITION within half the workers' memory limit."""
    from vesseltrack.engines.dask_engine import HELD_BYTES_PER_POSITION, holds

    limit = sum(w["memory_limit"] for w in client.scheduler_info()["workers"].values())
    assert holds(client, limit // 2 // HELD_BYTES_PER_POSITION)
    assert not holds(client, limit // 2 // HELD_BYTES_PER_POSITION + 1)
    assert not holds(client, 0)


def test_split_keeps_each_vessel_whole_in_its_bucket(scenario):
    from vesseltrack.engines.dask_engine import split

    parts = split(scenario.positions, 7)
    assert sum(len(p) for p in parts) == len(scenario.positions)
    for b, p in enumerate(parts):
        assert (store.bucket_of(p["mmsi"].to_numpy(), 7) == b).all()
    with pytest.raises(ConfigError, match="at least 1"):
        split(scenario.positions, 0)


def test_merge_of_one_partition_is_that_partition(scenario):
    gaz = zones.build_gazetteer()
    t = stages.tracks_stage(scenario.positions.head(2000), CONFIG, gaz)
    agg = stages.combine_fleet([stages.partials(t)], gaz)
    fleet = stages.fleet_gaps_of(agg, [stages.last_reports(t.steps)], CONFIG)
    enc = stages.encounters_stage([t.steps], CONFIG, gaz, agg.areas)
    d = stages.vessel_stage(t, agg, fleet, enc, CONFIG, gaz)
    assert stages.merge([d]) is d
    assert d.positions["mmsi"].is_monotonic_increasing


def test_workers_without_the_dask_engine_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="--engine dask"):
        pipeline.run([tmp_path / "x.csv"], engine="local", workers=2)
    with pytest.raises(ConfigError, match="engine 'spark' is unknown"):
        pipeline.run([tmp_path / "x.csv"], engine="spark")


def test_cli_score_with_the_dask_engine_on_a_worker_process(tmp_path, scenario, capfd):
    """score --engine dask --workers 1 on a CSV: the local engine's files, from a LocalCluster of one
    worker process (every stage's inputs and outputs travel pickled between processes); with --quiet,
    stderr stays empty (no progress, and none of the cluster's log lines, from this process or the worker's)."""
    pytest.importorskip("distributed")
    from vesseltrack.cli import main

    csv = tmp_path / "in.csv"
    scenario.positions.head(3000).to_csv(csv, index=False)
    outs = {}
    for engine, extra in (("local", []), ("dask", ["--workers", "1"])):
        out = tmp_path / engine
        assert main(["score", str(csv), "--out", str(out), "--quiet", "--engine", engine, *extra]) == 0
        outs[engine] = out
    assert capfd.readouterr().err == ""
    assert _same_files(outs["local"], outs["dask"]) == []
    assert json.loads((outs["dask"] / "summary.json").read_text())["positions"] > 0


def test_cli_workers_need_the_dask_engine(tmp_path, capsys):
    from vesseltrack.cli import main

    csv = tmp_path / "in.csv"
    csv.write_text("mmsi,timestamp,lat,lon\n", encoding="utf-8")
    assert main(["score", str(csv), "--out", str(tmp_path / "out"), "--workers", "2"]) == 2
    assert "--engine dask" in capsys.readouterr().err


def test_cli_dask_engine_without_the_dask_extra_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    """--engine dask where dask or distributed cannot be imported: exit 2, one line that says how to install it."""
    from vesseltrack.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    csv = tmp_path / "in.csv"
    csv.write_text("mmsi,timestamp,lat,lon\n", encoding="utf-8")
    assert main(["score", str(csv), "--out", str(tmp_path / "out"), "--engine", "dask", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("vesseltrack: error: ")
    assert "pip install 'vesseltrack[dask]'" in err
    assert not (tmp_path / "out").exists()


def test_cli_unreachable_scheduler_is_one_line_after_the_timeout(tmp_path, capsys, monkeypatch):
    """--scheduler at an address where nothing listens: exit 2 and one line naming the address, once the
    connection timeout is over (shortened here), and --out untouched."""
    pytest.importorskip("distributed")
    from vesseltrack.cli import main
    from vesseltrack.engines import dask_engine

    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT_S", 1)
    csv = tmp_path / "in.csv"
    csv.write_text("mmsi,timestamp,lat,lon\n", encoding="utf-8")
    argv = ["score", str(csv), "--out", str(tmp_path / "out"), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("vesseltrack: error: ")
    assert "cannot reach the Dask scheduler 'tcp://127.0.0.1:1' within 1 s" in err
    assert not (tmp_path / "out").exists()


def test_dask_engine_reports_its_workers_and_each_finished_partition(tmp_path, scenario, client):
    """The progress of a Dask run: the workers and the dashboard's address, then a line per finished partition."""
    from vesseltrack.engines import dask_engine

    csv = tmp_path / "in.csv"
    scenario.positions.to_csv(csv, index=False)  # 30 vessels: none of the 3 partitions is empty
    said: list[str] = []
    dask_engine.run([csv], CONFIG, client=client, partitions=3, progress=said.append)
    assert said[0].startswith("dask: 2 workers, dashboard http")
    assert [m for m in said if "partitions detected" in m] == [f"dask: {i}/3 partitions detected" for i in (1, 2, 3)]


def _dask_cli(*args: str) -> list[str]:
    """The command line of the ``dask`` CLI of this interpreter's environment (python -m dask ...)."""
    return [sys.executable, "-m", "dask", *args]


def _stop(procs: list[subprocess.Popen]) -> None:
    """Terminate each process group started by the test (workers first, then the scheduler), killing what does
    not exit."""
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@pytest.fixture
def dask_processes(tmp_path):
    """A ``dask scheduler`` and two ``dask worker`` processes (one single-threaded worker each) on 127.0.0.1,
    no dashboard, the workers importing vesseltrack from this source tree; yields the scheduler's address."""
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    src = str(Path(vesseltrack.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    sched_file = tmp_path / "scheduler.json"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []

    def start(name: str, argv: list[str]) -> None:
        log = open(logs / f"{name}.log", "wb")  # the child writes to its own copy of the descriptor
        try:
            procs.append(subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True))  # its own process group, stopped as one
        finally:
            log.close()

    try:
        start("scheduler", _dask_cli("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                     "--scheduler-file", str(sched_file)))
        deadline = time.monotonic() + 60  # a wait for start-up, not a timed assertion
        while not sched_file.exists():
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dask scheduler did not start: {(logs / 'scheduler.log').read_text()}")
            time.sleep(0.1)
        for i in range(2):
            start(f"worker{i}", _dask_cli("worker", "--scheduler-file", str(sched_file), "--nworkers", "1",
                                          "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                                          "--local-directory", str(tmp_path / f"worker{i}")))
        with distributed.Client(scheduler_file=str(sched_file), timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
            address = c.scheduler.address
        yield address
    finally:
        _stop(procs)


def test_cli_score_on_a_scheduler_and_two_worker_processes(tmp_path, scenario, dask_processes):
    """score --engine dask --scheduler ADDRESS against a real cluster of separate processes (dask scheduler, two
    dask worker): the local engine's files, byte for byte."""
    from vesseltrack.cli import main

    assert dask_processes.startswith("tcp://127.0.0.1:")
    csv = tmp_path / "in.csv"
    scenario.positions.to_csv(csv, index=False)
    outs = {}
    for engine, extra in (("local", []), ("dask", ["--scheduler", dask_processes])):
        out = tmp_path / engine
        assert main(["score", str(csv), "--out", str(out), "--quiet", "--engine", engine, *extra]) == 0
        outs[engine] = out
    assert _same_files(outs["local"], outs["dask"]) == []
    assert json.loads((outs["dask"] / "summary.json").read_text())["positions"] > 0


def test_keeping_no_positions_writes_the_local_engines_files(scenario_store, client, tmp_path):
    """keep="none" (score without --map): no position comes back to the client, the files are the
    same, and the result still knows the whole fleet (counts, vessels, time span)."""
    from vesseltrack import investigate
    from vesseltrack.engines import dask_engine

    want = pipeline.run([scenario_store], CONFIG)
    export.write_outputs(tmp_path / "local", want.tables(), want.summary)
    got = dask_engine.run([scenario_store], CONFIG, client=client, partitions=3, keep="none", hold=False)
    export.write_outputs(tmp_path / "dask", got.tables(), got.summary)
    assert _same_files(tmp_path / "local", tmp_path / "dask") == []
    assert len(got.positions) == 0 and got.fleet is not None
    assert got.fleet.n_positions == len(want.positions)
    assert (investigate.vessel_ids(got) == investigate.vessel_ids(want)).all()
    assert investigate.time_span(got) == investigate.time_span(want)


def test_keeping_the_shown_vessels_draws_the_local_map_and_case_files(scenario_store, client, tmp_path, monkeypatch):
    """keep="shown" (score --map / --case-files): the tracks of the vessels the map and case files
    draw are read back in a third pass, and the map (cut to 5 vessels here) and case files are the
    local engine's, byte for byte."""
    pytest.importorskip("folium")
    pytest.importorskip("matplotlib")
    from vesseltrack import casefile, maps
    from vesseltrack.engines import dask_engine

    monkeypatch.setattr(maps, "DEFAULT_MAX_VESSELS", 5)
    want = pipeline.run([scenario_store], CONFIG)
    got = dask_engine.run([scenario_store], CONFIG, client=client, partitions=3, keep="shown")
    assert 0 < got.positions["mmsi"].nunique() < want.positions["mmsi"].nunique()
    for name, res in (("local", want), ("dask", got)):
        maps.write_map(res, tmp_path / name / "map.html", max_vessels=5)
        casefile.write_case_files(res, tmp_path / name / "cases", 3)
    for f in ["map.html", *sorted(p.name for p in (tmp_path / "local" / "cases").iterdir())]:
        sub = "" if f == "map.html" else "cases"
        assert (tmp_path / "local" / sub / f).read_bytes() == (tmp_path / "dask" / sub / f).read_bytes(), f
