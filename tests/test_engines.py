"""The Dask engine gives the local engine's results, byte for byte, for any partitioning."""

from __future__ import annotations

import json

import pytest

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
    """What the identity test below relies on: encounters between vessels of different partitions,
    open and closed gaps, and an MMSI split into two tracks."""
    e = local[0].events
    enc = e[e["event_type"] == "encounter"]
    for n in (3, 7):
        assert (store.bucket_of(enc["mmsi"].to_numpy(), n) != store.bucket_of(enc["other_mmsi"].to_numpy(), n)).any()
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
    fleet = stages.fleet_gaps(agg, [stages.open_gaps(t, CONFIG, stages.data_end(agg))])
    enc = stages.encounters_stage([stages.encounter_columns(t)], CONFIG, gaz, agg.areas)
    d = stages.vessel_stage(t, agg, fleet, enc, CONFIG, gaz)
    assert stages.merge([d]) is d
    assert d.positions["mmsi"].is_monotonic_increasing


def test_workers_without_the_dask_engine_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="--engine dask"):
        pipeline.run([tmp_path / "x.csv"], engine="local", workers=2)
    with pytest.raises(ConfigError, match="engine 'spark' is unknown"):
        pipeline.run([tmp_path / "x.csv"], engine="spark")


def test_cli_score_with_the_dask_engine_on_a_worker_process(tmp_path, scenario):
    """score --engine dask --workers 1 on a CSV: the local engine's files, from a LocalCluster of one
    worker process (every stage's inputs and outputs travel pickled between processes)."""
    pytest.importorskip("distributed")
    from vesseltrack.cli import main

    csv = tmp_path / "in.csv"
    scenario.positions.head(3000).to_csv(csv, index=False)
    outs = {}
    for engine, extra in (("local", []), ("dask", ["--workers", "1"])):
        out = tmp_path / engine
        assert main(["score", str(csv), "--out", str(out), "--quiet", "--engine", engine, *extra]) == 0
        outs[engine] = out
    assert _same_files(outs["local"], outs["dask"]) == []
    assert json.loads((outs["dask"] / "summary.json").read_text())["positions"] > 0


def test_cli_workers_need_the_dask_engine(tmp_path, capsys):
    from vesseltrack.cli import main

    csv = tmp_path / "in.csv"
    csv.write_text("mmsi,timestamp,lat,lon\n", encoding="utf-8")
    assert main(["score", str(csv), "--out", str(tmp_path / "out"), "--workers", "2"]) == 2
    assert "--engine dask" in capsys.readouterr().err
