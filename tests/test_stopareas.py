import numpy as np
import pandas as pd
import pytest
from conftest import stay, steps_of, track
from hypothesis import given, settings
from hypothesis import strategies as st

from vesseltrack import export, schema, stopareas, zones
from vesseltrack.errors import ConfigError

QUAY = (43.10, 131.90)


def moored(n: int, lat: float, lon: float, *, spacing_deg: float = 0.0002, status: int = 5, **static) -> list[dict]:
    rows = []
    for i in range(n):
        rows += stay(100000001 + i, "2024-03-01T00:00", 6, lat + i * spacing_deg, lon, nav_status=status, **static)
    return rows


def test_three_vessels_stopped_together_make_a_berth_two_do_not():
    three = stopareas.learn(steps_of(moored(3, *QUAY)))
    assert len(three) == 1
    a = three.areas.iloc[0]
    assert a["kind"] == "berth" and a["n_vessels"] == 3
    # two vessels alongside (an STS at sea looks like this) are not a stop area
    assert len(stopareas.learn(steps_of(moored(2, *QUAY)))) == 0


def test_kinds_anchorage_and_marina_and_naming(gaz):
    anch = stopareas.learn(steps_of(moored(4, 42.70, 133.10, spacing_deg=0.001, status=1)), gaz)
    assert anch.areas["kind"].tolist() == ["anchorage"]
    assert anch.areas["name"].iloc[0] != ""  # named after the nearest gazetteer port (Nakhodka / Vostochny area)
    marina = stopareas.learn(steps_of(moored(5, *QUAY, status=5, ais_class="B", vessel_type=37)))
    assert marina.areas["kind"].tolist() == ["marina"]


def test_moving_vessels_make_no_stop_area():
    rows = [
        row
        for i in range(5)
        for row in track(200000001 + i, "2024-03-01T00:00", 30, lat0=QUAY[0], lon0=QUAY[1], sog_kn=12.0)
    ]
    assert len(stopareas.learn(steps_of(rows))) == 0


def test_lookup_covers_the_cells_and_a_one_cell_margin():
    areas = stopareas.learn(steps_of(moored(3, *QUAY)))
    lat, lon = QUAY
    dlat_500m = 500 / 111_195
    got = areas.lookup(np.array([lat, lat + dlat_500m, lat + 6 * dlat_500m, np.nan]), np.array([lon, lon, lon, lon]))
    assert got.tolist() == [0, 0, -1, -1]


def test_context_codes():
    areas = stopareas.learn(steps_of(moored(3, *QUAY)))
    ctx, area = stopareas.position_context(np.array([QUAY[0], 10.0, 10.0]), np.array([QUAY[1], 10.0, 10.0]),
                                           np.array([-1, 3, -1]), areas)
    assert stopareas.context_names(ctx).tolist() == ["berth", "port", "at sea"]
    assert area.tolist() == [0, -1, -1]


def test_written_stop_areas_read_back_identically(tmp_path):
    areas = stopareas.learn(
        steps_of(moored(3, *QUAY) + moored(4, 42.70, 133.10, spacing_deg=0.001, status=1)), zones.build_gazetteer()
    )
    table = areas.table()
    schema.validate(table, schema.STOP_AREAS, name="stop_areas")
    path = tmp_path / "stop_areas.csv"
    export.write_csv(table, schema.STOP_AREAS, path)
    back = stopareas.load(path)
    assert back.areas[["kind", "name", "n_vessels", "n_cells"]].equals(
        areas.areas[["kind", "name", "n_vessels", "n_cells"]]
    )
    probe_lat = np.r_[QUAY[0], 42.70, 42.703, 0.0]
    probe_lon = np.r_[QUAY[1], 133.10, 133.10, 0.0]
    assert back.lookup(probe_lat, probe_lon).tolist() == areas.lookup(probe_lat, probe_lon).tolist()


def test_combine_keeps_both_and_bad_files_fail_clearly(tmp_path):
    a = stopareas.learn(steps_of(moored(3, *QUAY)))
    b = stopareas.learn(steps_of(moored(3, 35.10, 129.04)))
    both = stopareas.combine(a, b)
    assert len(both) == 2 and both.areas["area"].tolist() == [0, 1]
    assert len(stopareas.combine(a, a)) == 1  # the same areas twice are one set
    assert (both.lookup(np.r_[QUAY[0], 35.10], np.r_[QUAY[1], 129.04]) >= 0).all()
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="not a stop-areas file; expected columns"):
        stopareas.load(bad)
    with pytest.raises(ConfigError, match="cannot be combined"):
        stopareas.combine(a, stopareas.StopAreas(b.cells, b.areas, 250.0))


@given(st.floats(-70, 70), st.floats(-179, 179), st.integers(3, 6))
@settings(max_examples=40, deadline=None)
def test_every_stop_of_a_learnt_area_is_found_again(lat, lon, n):
    steps = steps_of(moored(n, lat, lon, spacing_deg=0.0001))
    areas = stopareas.learn(steps)
    assert len(areas) == 1
    assert (areas.lookup(steps["lat"].to_numpy(), steps["lon"].to_numpy()) == 0).all()


@given(st.lists(st.tuples(st.floats(-80, 80), st.floats(-179.9, 179.9)), min_size=1, max_size=30),
       st.lists(st.tuples(st.floats(-80, 80), st.floats(-179.9, 179.9)), min_size=1, max_size=50))
@settings(max_examples=50, deadline=None)
def test_dense_table_and_binary_search_agree(cells, probes):
    lat, lon = np.array(cells).T
    iy, ix = stopareas.cell_index(lat, lon, 500.0)
    keys = np.unique(stopareas._key(iy, ix))
    n = len(keys)
    a = stopareas.StopAreas(pd.DataFrame({"key": keys, "area": np.arange(n)}),
                            pd.DataFrame({"area": np.arange(n), "kind": "berth", "name": "", "lat": 0.0, "lon": 0.0,
                                          "n_vessels": 3, "n_cells": 1}))
    plat, plon = np.r_[np.array(probes).T[0], lat], np.r_[np.array(probes).T[1], lon]
    dense = a.lookup(plat, plon)
    a._dense = None
    assert a.lookup(plat, plon).tolist() == dense.tolist()
    assert (dense[len(probes):] >= 0).all()  # every cell finds itself


def test_learnt_berths_are_port_calls_and_anchorages_are_not(gaz):
    from vesseltrack.detect.ports import port_visit_events, visit_runs

    rows = moored(3, 35.40, 129.80) + moored(
        3, 35.60, 130.20, spacing_deg=0.001, status=1
    )  # a quay, an anchorage at sea
    steps = steps_of(rows)
    areas = stopareas.learn(steps, gaz)
    assert sorted(areas.areas["kind"]) == ["anchorage", "berth"]
    zone = zones.assign_zone(steps["lat"].to_numpy(), steps["lon"].to_numpy(), gaz)
    _, area = stopareas.position_context(steps["lat"].to_numpy(), steps["lon"].to_numpy(), zone, areas)
    vzone, vgaz = stopareas.visit_zones(zone, area, gaz, areas)
    visits = port_visit_events(steps, visit_runs(steps, vzone), vgaz)
    assert len(visits) == 3 and visits["port"].str.endswith("(berth 0)").all() and not visits["port_sensitive"].any()
    assert (
        vgaz.zones.iloc[: len(gaz.zones)]["port"] == gaz.zones["port"]
    ).all()  # the gazetteer's zones keep their index


@pytest.fixture(scope="module")
def sim_steps():
    """Steps of a simulated week of traffic (berths, anchorages, many vessels)."""
    from vesseltrack import scenarios, tracks

    pos = scenarios.generate(3, n_vessels=30, days=6).positions
    return tracks.add_steps(tracks.sort_positions(pos), segment_gap_h=6.0)


@pytest.mark.parametrize("n_parts", [2, 3, 7])
def test_partials_of_any_partitioning_combine_to_the_areas_learnt_from_the_whole(sim_steps, n_parts):
    """learn_partial per partition of the vessels (whole vessels each), then combine_partials: exactly
    the areas learn() finds in the whole table (same cells, ids, kinds, names and centres, bit for bit)."""
    from vesseltrack.store import bucket_of

    gaz = zones.build_gazetteer()
    whole = stopareas.learn(sim_steps, gaz)
    b = bucket_of(sim_steps["mmsi"].to_numpy(), n_parts)
    parts = [stopareas.learn_partial(sim_steps[b == i].reset_index(drop=True)) for i in range(n_parts)]
    got = stopareas.combine_partials(parts[::-1], gaz)  # the order of the partials does not matter either
    assert len(whole) > 0
    assert got.cells.equals(whole.cells) and got.areas.equals(whole.areas)


def test_a_partial_has_one_row_per_cell_and_vessel(sim_steps):
    p = stopareas.learn_partial(sim_steps)
    assert not p.duplicated(["key", "mmsi"]).any()
    assert p[["key", "mmsi"]].equals(p[["key", "mmsi"]].sort_values(["key", "mmsi"]).reset_index(drop=True))
    assert int(p["n"].sum()) == int(stopareas.stopped(sim_steps).sum())
    assert (p["moored"] + p["anchored"] <= p["n"]).all()
