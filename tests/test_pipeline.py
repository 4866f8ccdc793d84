import random

import pytest
from conftest import dark_tanker_rows, make_positions

from vesseltrack import export, pipeline, schema
from vesseltrack.errors import ConfigError


@pytest.fixture(scope="module")
def csv_path(fleet_csv):
    return fleet_csv


@pytest.fixture(scope="module")
def result(csv_path):
    return pipeline.run([csv_path])


def test_contracts(result):
    schema.validate(result.positions, schema.POSITIONS, name="positions")
    schema.validate(result.rejects, schema.REJECTS, name="rejects")
    schema.validate(result.events, schema.EVENTS, name="events")
    schema.validate(result.voyages, schema.VOYAGES, name="voyages")
    schema.validate(result.alerts, schema.ALERTS, name="alerts")
    schema.validate(result.vessels, schema.PARTICULARS, name="vessels")
    schema.validate(result.cargo, schema.CARGO, name="cargo")
    schema.validate(result.flows, schema.FLOWS, name="flows")
    assert result.watchlist_matches is None and "watchlist_matches" not in result.tables()


def test_a_watchlist_match_is_a_finding_that_raises_the_score(csv_path, result, tmp_path):
    """An MMSI on a list (plain CSV): the tanker's voyages carry the match, lead their reasons with
    it and score 1 - (1 - score) x 0.6; no other voyage changes."""
    listed = tmp_path / "list.csv"
    listed.write_text("imo,mmsi,name,list,note\n,273000009,,TEST LIST,a test entry\n", encoding="utf-8")
    hit = pipeline.run([csv_path], pipeline.Config(watchlist_files=(str(listed),)))
    schema.validate(hit.watchlist_matches, schema.WATCHLIST_MATCHES, name="watchlist_matches")
    m = hit.watchlist_matches
    assert m[["mmsi", "matched_on", "strength"]].values.tolist() == [[273000009, "mmsi", "strong"]]
    v0, v1 = result.voyages.set_index("voyage_id"), hit.voyages.set_index("voyage_id")
    on = (v1["mmsi"] == 273000009).to_numpy()
    assert on.any() and v1.loc[on, "watchlist_match"].notna().all() and v1.loc[~on, "watchlist_match"].isna().all()
    assert v1.loc[on, "reasons"].str.startswith(m["reason"].iloc[0]).all()
    expected = 1 - (1 - v0.loc[on, "score"].fillna(0.5)) * 0.6
    assert (v1.loc[on, "score"] - expected).abs().max() < 1e-12
    assert v1.loc[~on, "score"].equals(v0.loc[~on, "score"])
    assert hit.summary["watchlist"] == {"entries": 1, "matches": {"strong": 1, "name": 0, "weak": 0}}


def test_dark_tanker_tops_the_alerts_with_reasons(result):
    a = result.alerts
    assert a["mmsi"].iloc[0] == 273000009 and a["rank"].iloc[0] == 1
    assert a["rank"].tolist() == list(range(1, len(a) + 1))
    assert a["score"].is_monotonic_decreasing
    tanker_voyage = a[(a["mmsi"] == 273000009) & (a["subject"] == "voyage")].iloc[0]
    assert "AIS gap" in tanker_voyage["reasons"]
    assert any(p in tanker_voyage["reasons"] for p in ("VOSTOCHNY", "KOZMINO"))
    gap = result.events[(result.events["event_type"] == "gap") & (result.events["mmsi"] == 273000009)].iloc[0]
    assert "draught 10.0 m -> 10.0 m" not in gap["reasons"]
    assert gap["port"] in ("VOSTOCHNY", "KOZMINO", "NAKHODKA")


def test_summary_accounts_for_every_row(result):
    rows = result.summary["rows"]
    assert (
        rows["rows_read"]
        == rows["rows_kept"] + rows["rows_rejected"] + rows["rows_duplicate"] + rows["rows_non_vessel"]
    )
    assert result.summary["events"]["gap"] == int((result.events["event_type"] == "gap").sum())
    assert (
        result.summary["parameters"]["gap_preset"] == "gfw" and result.summary["parameters"]["gap"]["min_gap_h"] == 6.0
    )
    assert result.summary["alerts"] == len(result.alerts)


def test_outputs_are_byte_identical_across_runs_and_row_orders(csv_path, tmp_path, result):
    export.write_outputs(tmp_path / "a", result.tables(), result.summary)
    lines = csv_path.read_text().splitlines()
    body = lines[1:]
    random.Random(7).shuffle(body)
    shuffled = tmp_path / "fleet.csv"  # same name, so summary.json's inputs differ only by folder
    shuffled.write_text("\n".join([lines[0], *body]) + "\n")
    again = pipeline.run([shuffled])
    export.write_outputs(tmp_path / "b", again.tables(), again.summary)
    for name in ["alerts.csv", "events.csv", "voyages.csv", "rejects.csv"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_hostile_names_are_escaped_in_csv(result, tmp_path):
    export.write_outputs(tmp_path, result.tables(), result.summary)
    alerts = (tmp_path / "alerts.csv").read_text()
    assert "'=cmd|" in alerts and ",=cmd|" not in alerts


def test_analyse_positions_directly_and_config_validation():
    res = pipeline.analyse(make_positions(dark_tanker_rows()))
    assert res.alerts["mmsi"].iloc[0] == 273000009
    with pytest.raises(ConfigError, match="gap_h=-1 is out of range"):
        pipeline.Config(gap_h=-1)
    with pytest.raises(
        ConfigError, match=r"gap preset 'nope' is unknown; expected one of \['gfw', 'nearshore', 'welch2022'\]"
    ):
        pipeline.Config(gap_preset="nope")
    assert pipeline.Config(gap_preset="welch2022", gap_h=20).gap_params.min_gap_h == 20
    assert pipeline.Config(gap_preset="welch2022").gap_params.min_positions_before == 14
    with pytest.raises(ConfigError, match="no input files given"):
        pipeline.run([])


def test_a_dark_tankers_reasons_state_the_dark_hours_once_with_reach_and_draught():
    from vesseltrack import scenarios

    sc = scenarios.generate(3, n_vessels=30, days=6)
    res = pipeline.analyse(sc.positions)
    v = res.voyages
    tanker_dark = v[v["reasons"].fillna("").str.startswith("tanker with ")]
    assert len(tanker_dark)
    for r in tanker_dark["reasons"]:
        assert r.count("h dark that local reception does not explain") == 1
    assert tanker_dark["reasons"].str.contains("could have reached ").any()


def test_likely_dark_gaps_and_sts_at_sea_carry_a_satellite_search(result):
    e = result.events
    has = e["sentinel1_url"].notna().to_numpy()
    dark = (e["event_type"] == "gap").to_numpy() & e["likely_dark"].fillna(False).to_numpy(dtype=bool)
    sts = ((e["event_type"] == "encounter").to_numpy() & e["sts_candidate"].fillna(False).to_numpy(dtype=bool)
           & (e["context"] == "at sea").to_numpy())
    assert dark.any() and (has == (dark | sts)).all()
    assert (e["sentinel2_url"].notna().to_numpy() == has).all() and (e["search_start"].notna().to_numpy() == has).all()
    g = e[dark]
    assert (g["search_min_lat"] <= g[["start_lat", "end_lat"]].min(axis=1)).all()
    assert (g["search_max_lat"] >= g[["start_lat", "end_lat"]].max(axis=1)).all()
    assert (g["search_start"] == g["start_time"]).all() and (g["search_end"] == g["end_time"]).all()


def test_a_watchlist_reason_stands_alone_when_the_voyage_had_none():
    import pandas as pd

    voyages = pd.DataFrame({"mmsi": [1, 2, 3], "score": [0.5, float("nan"), 0.5], "reasons": ["", None, "gap"]})
    matches = pd.DataFrame({"mmsi": [1, 2, 3], "strength": "strong", "reason": ["A", "B", "C"],
                            "imo": pd.array([None] * 3, dtype="Int32"), "vessel_name": None, "matched_on": "mmsi",
                            "similarity": 1.0, "list": "L", "entry_id": ["1", "2", "3"], "listed_name": None,
                            "listed_imo": pd.array([None] * 3, dtype="Int32"), "listed_mmsi": [1, 2, 3],
                            "programs": None, "flag": None})
    out = pipeline._apply_watchlist(voyages, matches)
    assert out["reasons"].tolist() == ["A", "B", "C; gap"]
    assert out["score"].round(6).tolist() == [0.7, 0.7, 0.7]  # 1 - 0.5 x 0.6; an unscored voyage counts as 0.5


def test_train_checks_its_option_files_before_reading_data(tmp_path):
    from vesseltrack.errors import VesselTrackError

    bad = tmp_path / "zones.geojson"
    bad.write_text("{not json")
    with pytest.raises(VesselTrackError, match=r"zones\.geojson: not valid JSON"):
        pipeline.train([tmp_path / "absent.csv"], pipeline.Config(zone_files=(str(bad),)))
    areas = tmp_path / "areas.csv"
    areas.write_text("a,b\n1,2\n")
    with pytest.raises(VesselTrackError, match="not a stop-areas file"):
        pipeline.train([tmp_path / "absent.csv"], pipeline.Config(stop_areas_file=str(areas)))
