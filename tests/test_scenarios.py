"""Tests of the scenario generator: the contract, determinism, and that the truth matches the data."""

from __future__ import annotations

import gzip
import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vesseltrack import scenarios, schema
from vesseltrack.errors import ConfigError
from vesseltrack.geo import KN_PER_M_S, haversine_m
from vesseltrack.scenarios.coverage import _covered, _gazetteer
from vesseltrack.scenarios.lanes import _graph

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"

#: Boxes that are entirely land (checked against a 1 km land mask): no position may fall inside.
LAND_BOXES = {
    "central Korean peninsula": (35.5, 37.8, 127.0, 128.6),
    "North Korea interior": (39.6, 40.8, 126.0, 127.2),
    "Honshu interior (Japan Alps)": (35.3, 36.5, 137.0, 139.5),
    "Honshu interior (Fukushima)": (36.7, 37.6, 139.4, 140.5),
    "Primorye interior": (43.5, 45.5, 132.0, 134.5),
    "Hokkaido interior": (42.8, 44.0, 141.8, 142.5),
    "Shandong interior": (36.4, 36.9, 119.5, 120.5),
    "Liaodong interior": (39.5, 40.0, 122.0, 122.5),
}
KNOWN_MIDS = {273, 445, 440, 441, 431, 432, 412, 413, 351, 352, 353, 354, 355, 636, 538, 511, 667, 671, 457, 477}


@pytest.fixture(scope="module")
def scen() -> scenarios.Scenario:
    return scenarios.generate(7)


@pytest.fixture(scope="module")
def small() -> scenarios.Scenario:
    return scenarios.generate(3, n_vessels=20, days=5)


def ns(iso: str) -> int:
    return pd.Timestamp(iso).value


def rows_of(p: pd.DataFrame, mmsi: int) -> pd.DataFrame:
    return p[p["mmsi"].to_numpy() == mmsi]


# --- contract ---------------------------------------------------------------------------------------
def test_positions_match_schema_and_are_sorted(scen):
    p = scen.positions
    schema.validate(p, schema.POSITIONS)
    mm = p["mmsi"].to_numpy().astype(np.int64)
    ts = p["timestamp"].array.asi8
    assert (np.diff(mm) >= 0).all()
    assert (np.diff(ts)[np.diff(mm) == 0] >= 0).all()
    assert isinstance(p.index, pd.RangeIndex)


def test_same_seed_same_frame_and_truth():
    a = scenarios.generate(3, n_vessels=20, days=5)
    b = scenarios.generate(3, n_vessels=20, days=5)
    pd.testing.assert_frame_equal(a.positions, b.positions)
    assert a.truth == b.truth


def test_different_seeds_differ(small):
    other = scenarios.generate(4, n_vessels=20, days=5)
    assert len(other.positions) != len(small.positions) or not other.positions["lat"].equals(small.positions["lat"])
    assert other.truth["vessels"] != small.truth["vessels"]


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_write_is_byte_identical(small, tmp_path, fmt):
    p1 = scenarios.write(small, tmp_path / "a", fmt=fmt)
    p2 = scenarios.write(small, tmp_path / "b", fmt=fmt)
    assert [p.name for p in p1] == [f"sea_of_japan.{fmt}", "sea_of_japan.truth.json"]
    for x, y in zip(p1, p2):
        assert x.read_bytes() == y.read_bytes()


def test_marinecadastre_csv_layout(small, tmp_path):
    path, _ = scenarios.write(small, tmp_path, fmt="csv.gz", name="s")
    text = gzip.decompress(path.read_bytes()).decode()
    header = text.split("\n", 1)[0]
    assert header == ",".join(scenarios.MARINECADASTRE_COLUMNS)
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert len(df) == len(small.positions)
    assert (df["BaseDateTime"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")).all()
    imo = df["IMO"][df["IMO"] != ""]
    assert len(imo) and imo.str.fullmatch(r"IMO\d{7}").all()
    # "not available" is an empty cell (Heading 511 as MarineCadastre writes it)
    class_b = df["TransceiverClass"] == "B"
    assert (df.loc[class_b, "Draft"] == "").all() and (df.loc[class_b, "Status"] == "").all()
    assert (df.loc[~class_b, "Status"] != "").all() and df["VesselType"].str.fullmatch(r"\d+").all()
    assert not (df["LAT"] == "").any() and "nan" not in text.lower().replace("nanao", "")
    assert (df["Heading"] == "511").sum() == small.positions["heading_deg"].isna().sum()
    # time-ordered like a daily export
    assert df["BaseDateTime"].is_monotonic_increasing


def test_parquet_round_trip(small, tmp_path):
    path, _ = scenarios.write(small, tmp_path, fmt="parquet")
    back = pd.read_parquet(path)
    schema.validate(back, schema.POSITIONS)
    pd.testing.assert_frame_equal(back, small.positions)


def test_truth_format(scen):
    t = json.loads(json.dumps(scen.truth))  # JSON-serialisable as is
    assert t["format"] == "vesseltrack-truth/1" and t["seed"] == 7 and t["region"] == "sea_of_japan"
    assert {"params", "vessels", "anomalies", "natural_gaps"} <= set(t)
    types = {a["type"] for a in t["anomalies"]}
    assert types == {"dark_voyage", "sts", "dark_sts", "spoofing", "identity_clash"}
    # 4 dark voyages + the dark STS partner + a designated cargo ship's dark call at Rajin
    dark_calls = sum(v["role"] == "dark" and v["kind"] == "cargo" for v in t["vessels"])
    assert dark_calls == 1
    assert sum(a["type"] == "dark_voyage" for a in t["anomalies"]) == 4 + 1 + dark_calls
    for a in t["anomalies"]:
        assert {"type", "mmsi", "other_mmsi", "start_time", "end_time", "lat", "lon", "port", "detail"} <= set(a)
        assert a["start_time"].endswith("Z") and a["end_time"].endswith("Z") and a["start_time"] < a["end_time"]
    for v in t["vessels"]:
        assert {"mmsi", "name", "imo", "vessel_type", "role", "anomalous"} <= set(v)
        assert v["anomalous"] == (v["role"] not in ("normal", "designated"))
    assert sum("nuisance" not in v for v in t["vessels"]) == 60  # n_vessels; the nuisance vessels come on top
    assert set(scen.positions["mmsi"].unique()) == {v["mmsi"] for v in t["vessels"]}
    assert t["params"]["nuisances"] is True and set(scenarios.NUISANCE_KINDS) == {r["kind"] for r in t["nuisances"]}
    for r in t["nuisances"]:
        assert {
            "kind",
            "mmsi",
            "other_mmsi",
            "start_time",
            "end_time",
            "duration_h",
            "lat",
            "lon",
            "port",
            "detail",
        } <= set(r)
        assert r["start_time"].endswith("Z") and r["start_time"] <= r["end_time"] <= t["end_time"]


# --- truth matches data -----------------------------------------------------------------------------
def test_dark_voyages_are_silent_between_their_ends(scen):
    p = scen.positions
    for a in [a for a in scen.truth["anomalies"] if a["type"] == "dark_voyage"]:
        r = rows_of(p, a["mmsi"])
        ts = r["timestamp"].array.asi8
        s0, s1 = ns(a["start_time"]), ns(a["end_time"])
        assert ((ts > s0) & (ts < s1)).sum() == 0
        assert (ts == s0).any() and (ts == s1).any()
        assert abs((s1 - s0) / 3.6e12 - a["duration_h"]) < 1e-3
        assert 20 <= a["duration_h"] <= 4 * 24 + 12
        if a["port"] is not None:  # loaded in Russia before going dark, discharged unseen
            ops = [o for o in scen.truth["cargo_ops"] if o["mmsi"] == a["mmsi"]]
            load = [o for o in ops if o["kind"] == "load" and ns(o["end_time"]) <= s0]
            assert load and load[-1]["port"] in {"VOSTOCHNY", "KOZMINO", "NAKHODKA", "VLADIVOSTOK", "ZARUBINO"}
            assert load[-1]["true_draught_after_m"] - load[-1]["true_draught_before_m"] > 1.5
            dark = [o for o in ops if o["where"] == "dark"]
            assert len(dark) == 1 and dark[0]["kind"] == "discharge" and dark[0]["port"] == a["port"]
            assert s0 <= ns(dark[0]["start_time"]) <= ns(dark[0]["end_time"]) <= s1
            if load[-1]["crew"] == "prompt":  # the crew reported it: the draught went up in the data
                d = r["draught_m"].to_numpy()[ts <= s0]
                assert np.nanmax(d) - np.nanmin(d) > 1.5
            assert a["port"] in {"RAJIN", "CHONGJIN", "NAMPO", "WONSAN", "KIMCHAEK", "HUNGNAM"}


def test_sts_pairs_are_alongside(scen):
    p = scen.positions
    checked = 0
    for a in [a for a in scen.truth["anomalies"] if a["type"] == "sts"]:
        s0, s1 = ns(a["start_time"]), ns(a["end_time"])
        ra, rb = rows_of(p, a["mmsi"]), rows_of(p, a["other_mmsi"])
        ta, tb = ra["timestamp"].array.asi8, rb["timestamp"].array.asi8
        ina, inb = (ta >= s0) & (ta <= s1), (tb >= s0) & (tb <= s1)
        for r, m in ((ra, ina), (rb, inb)):
            assert (r["sog_kn"].to_numpy()[m] < 1.0).all()
        # cargo moved from mmsi to other_mmsi: one true draught goes down, the other up; prompt crews report it
        for r, sign, mmsi, other in ((ra, -1, a["mmsi"], a["other_mmsi"]), (rb, 1, a["other_mmsi"], a["mmsi"])):
            op = [o for o in scen.truth["cargo_ops"] if o["mmsi"] == mmsi and o["where"] == "sts"]
            assert len(op) == 1 and op[0]["other_mmsi"] == other
            assert (op[0]["start_time"], op[0]["end_time"]) == (a["start_time"], a["end_time"])
            assert sign * (op[0]["true_draught_after_m"] - op[0]["true_draught_before_m"]) > 1.0
            t, d = r["timestamp"].array.asi8, r["draught_m"].to_numpy()
            before, after = d[t < s0][-1], d[t > s1 + 3 * 3600e9][0]
            if op[0]["crew"] == "prompt":
                assert sign * (after - before) > 1.0
        if inb.sum() < 2 or ina.sum() < 1:
            continue  # offshore, satellite-only: too few reports to compare
        tq = ta[ina]
        tq = tq[(tq >= tb[inb].min()) & (tq <= tb[inb].max())]
        if not len(tq):
            continue
        lat_b = np.interp(tq, tb[inb], rb["lat"].to_numpy()[inb])
        lon_b = np.interp(tq, tb[inb], rb["lon"].to_numpy()[inb])
        sel = np.isin(ta, tq)
        d = haversine_m(ra["lat"].to_numpy()[sel], ra["lon"].to_numpy()[sel], lat_b, lon_b)
        assert (d < 500).all(), d
        checked += 1
    assert checked >= 1


def test_dark_sts_partner_is_silent_while_the_other_loiters(scen):
    p = scen.positions
    for a in [a for a in scen.truth["anomalies"] if a["type"] == "dark_sts"]:
        s0, s1 = ns(a["start_time"]), ns(a["end_time"])
        ra, rb = rows_of(p, a["mmsi"]), rows_of(p, a["other_mmsi"])
        tb = rb["timestamp"].array.asi8
        assert not ((tb >= s0) & (tb <= s1)).any()
        ta = ra["timestamp"].array.asi8
        m = (ta >= s0) & (ta <= s1)
        assert (ra["sog_kn"].to_numpy()[m] < 1.0).all()
        assert haversine_m(ra["lat"].to_numpy()[m], ra["lon"].to_numpy()[m], a["lat"], a["lon"]).max(initial=0) < 5000


def test_spoofed_positions_imply_impossible_speeds(scen):
    p = scen.positions
    for a in [a for a in scen.truth["anomalies"] if a["type"] == "spoofing"]:
        r = rows_of(p, a["mmsi"])
        ts = r["timestamp"].array.asi8
        i0 = int(np.searchsorted(ts, ns(a["start_time"])))
        i1 = int(np.searchsorted(ts, ns(a["end_time"])))
        lat, lon = r["lat"].to_numpy(), r["lon"].to_numpy()
        for j in (i0, i1 + 1):  # the jump out and the jump back
            d = haversine_m(lat[j - 1], lon[j - 1], lat[j], lon[j])
            kn = d / ((ts[j] - ts[j - 1]) / 1e9) * KN_PER_M_S
            assert d > 50_000 and kn > 50


def test_identity_clash_two_ships_one_mmsi(scen):
    p = scen.positions
    (a,) = [a for a in scen.truth["anomalies"] if a["type"] == "identity_clash"]
    r = rows_of(p, a["mmsi"])
    assert r["vessel_name"].nunique() == 2
    names = [v["name"] for v in scen.truth["vessels"] if v["mmsi"] == a["mmsi"]]
    assert set(names) == set(r["vessel_name"].astype(str))
    x, y = (r[r["vessel_name"] == n] for n in names)
    assert haversine_m(x["lat"].median(), x["lon"].median(), y["lat"].median(), y["lon"].median()) > 100_000


def test_natural_gaps_exist_and_are_not_anomalies(scen):
    p = scen.positions
    gaps = scen.truth["natural_gaps"]
    assert len(gaps) > 50
    assert {"reception", "ais_off_in_port", "ais_off_at_anchor"} == {g["cause"] for g in gaps}
    assert max(g["duration_h"] for g in gaps) > 6  # long, benign silences exist
    dark = {(a["mmsi"], a["start_time"]) for a in scen.truth["anomalies"] if a["type"] == "dark_voyage"}
    key = p["mmsi"].to_numpy()
    ts = p["timestamp"].array.asi8
    for g in gaps[:: max(1, len(gaps) // 200)]:
        assert (g["mmsi"], g["start_time"]) not in dark
        m = key == g["mmsi"]
        t = ts[m]
        s0, s1 = ns(g["start_time"]), ns(g["end_time"])
        assert (t == s0).any() and (t == s1).any() and not ((t > s0) & (t < s1)).any()
        assert g["duration_h"] >= scenarios.NATURAL_GAP_MIN_H


def test_positions_inside_region_and_not_on_land(scen):
    p = scen.positions
    lat0, lat1, lon0, lon1 = scenarios.REGIONS["sea_of_japan"]
    lat, lon = p["lat"].to_numpy(), p["lon"].to_numpy()
    assert ((lat > lat0) & (lat < lat1) & (lon > lon0) & (lon < lon1)).all()
    for name, (a, b, c, d) in LAND_BOXES.items():
        inside = (lat > a) & (lat < b) & (lon > c) & (lon < d)
        assert not inside.any(), f"{inside.sum()} positions on land in {name}"


def test_sea_lanes_avoid_land_boxes():
    names, _, glat, glon, adj = _graph()
    for i, nbrs in enumerate(adj):
        for j, _ in nbrs:
            f = np.linspace(0, 1, 200)
            la, lo = glat[i] + f * (glat[j] - glat[i]), glon[i] + f * (glon[j] - glon[i])
            for name, (a, b, c, d) in LAND_BOXES.items():
                assert not ((la > a) & (la < b) & (lo > c) & (lo < d)).any(), (names[i], names[j], name)


def test_package_data_tables_are_consistent_and_shipped():
    from vesseltrack.scenarios import _shared

    lanes, ports, traffic = _shared.table("lanes"), _shared.table("ports")["ports"], _shared.table("traffic")
    nodes = set(lanes["nodes"])
    assert all(a in nodes and b in nodes for a, b in (e.split("-") for e in lanes["edges"]))
    assert all(r["approach"] in nodes and r["country"] in {"RU", "KP", "KR", "CN", "JP"} for r in ports.values())
    named = {*traffic["ru_oil"], *traffic["tanker_discharge"], *traffic["cargo_ports"], *traffic["tug_bases"],
             *traffic["east_sea_ports"], *traffic["marinas"], *traffic["ferry_terminals"], *traffic["anchorages"]}
    assert named <= set(ports)
    assert {p for plan in traffic["dark_plans"] for p in plan} <= set(ports) | nodes
    # every table is covered by the package-data globs, so a non-editable install has it
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"scenarios/data/*.json"' in pyproject
    assert len(_graph()[0]) == len(nodes) + len(ports) + sum("inner" in r for r in ports.values())


def test_reporting_is_dense_near_coasts_and_sparse_offshore(scen):
    p = scen.positions
    under_way = (p["ais_class"] == "A").to_numpy() & (p["sog_kn"].to_numpy() > 5)
    mm = p["mmsi"].to_numpy()
    ts = p["timestamp"].array.asi8
    dt_next = np.append(np.diff(ts) / 60e9, np.nan)
    dt_next[np.append(mm[1:] != mm[:-1], True)] = np.nan
    cov = _covered("sea_of_japan", p["lat"].to_numpy(), p["lon"].to_numpy())
    near = under_way & cov & ~np.isnan(dt_next)
    far = under_way & ~cov & ~np.isnan(dt_next)
    assert near.sum() > 1000 and far.sum() > 100
    assert 1.0 <= np.median(dt_next[near]) <= 5.0
    assert (dt_next[near] > 60).mean() < 0.02
    assert (dt_next[far] > 60).mean() > 0.25


def test_realistic_identities(scen):
    p = scen.positions
    mids = set((p["mmsi"].unique() // 1_000_000).tolist())
    assert mids <= KNOWN_MIDS
    imos = p["imo"].dropna().unique()
    assert len(imos) > 20 and all(scenarios.imo_is_valid(int(i)) for i in imos)
    vt = p.drop_duplicates("mmsi")["vessel_type"].astype(int)
    assert ((vt >= 80) & (vt <= 89)).mean() > 0.25
    assert (vt == 30).any() and ((vt >= 60) & (vt <= 69)).any() and ((vt >= 70) & (vt <= 79)).any()
    assert set(p["ais_class"].astype(str)) == {"A", "B"}
    # at-port rows: slow and moored / at anchor
    moored = p["nav_status"].isin([1, 5]).to_numpy(dtype=bool, na_value=False)
    assert (p["sog_kn"].to_numpy()[moored] < 1.5).all()
    tanker = p["vessel_type"].between(80, 89).to_numpy(dtype=bool, na_value=False)
    under_way = (p["nav_status"] == 0).to_numpy(dtype=bool, na_value=False)
    assert p["sog_kn"].to_numpy()[tanker & under_way].max() < 18


def test_bad_parameters_raise():
    with pytest.raises(ConfigError, match="region 'atlantic' unknown"):
        scenarios.generate(region="atlantic")
    with pytest.raises(ConfigError, match="n_vessels=5 is smaller"):
        scenarios.generate(n_vessels=5)
    with pytest.raises(ConfigError, match="too short"):
        scenarios.generate(days=2)
    with pytest.raises(ConfigError, match="fmt 'xml' unknown"):
        scenarios.write(scenarios.Scenario(schema.empty(schema.POSITIONS), {}), "/tmp", fmt="xml")


def test_quiet_scenario_without_anomalies():
    s = scenarios.generate(1, n_vessels=8, days=1, n_dark=0, n_sts=0, n_dark_sts=0, n_spoof=0, n_shared_mmsi=0)
    schema.validate(s.positions, schema.POSITIONS)
    assert s.truth["anomalies"] == [] and all(not v["anomalous"] for v in s.truth["vessels"])


# --- nuisances: everyday harbour life ---------------------------------------------------------------
def nuisances(sc, kind: str) -> list[dict]:
    return [r for r in sc.truth["nuisances"] if r["kind"] == kind]


def at(p: pd.DataFrame, mmsi: int, iso: str) -> pd.Series:
    """The report of ``mmsi`` at time ``iso`` (there must be one)."""
    r = rows_of(p, mmsi)
    (i,) = np.flatnonzero(r["timestamp"].array.asi8 == ns(iso))
    return r.iloc[i]


def categories_as_objects(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(**{c: df[c].astype(object) for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)})


def test_nuisances_are_added_without_changing_the_rest(small):
    bare = scenarios.generate(3, n_vessels=20, days=5, nuisances=False)
    assert (
        "nuisances" not in bare.truth and "nuisances" not in bare.truth["params"] and len(bare.truth["vessels"]) == 20
    )
    orig = {v["mmsi"] for v in bare.truth["vessels"]}
    added = [v for v in small.truth["vessels"] if v["mmsi"] not in orig]
    assert len(added) >= 14 and all(v.get("nuisance") and not v["anomalous"] and v["role"] == "normal" for v in added)
    assert len({v["mmsi"] for v in added}) == len(added)  # unique MMSIs, none of the other ships'
    assert all(v["mmsi"] // 1_000_000 in KNOWN_MIDS and v["mmsi"] % 1000 != 0 for v in added)
    # the other ships' reports and truth are exactly what they are without nuisances
    p = small.positions
    mine = p[p["mmsi"].isin(orig).to_numpy()].reset_index(drop=True)
    pd.testing.assert_frame_equal(categories_as_objects(mine), categories_as_objects(bare.positions))
    t, b = small.truth, bare.truth
    assert [v for v in t["vessels"] if v["mmsi"] in orig] == b["vessels"]
    assert (
        t["anomalies"] == b["anomalies"] and {k: v for k, v in t["params"].items() if k != "nuisances"} == b["params"]
    )
    assert [g for g in t["natural_gaps"] if g["mmsi"] in orig] == b["natural_gaps"]
    assert {r["mmsi"] for r in t["nuisances"]} <= {v["mmsi"] for v in added}


def test_berth_shutdowns_restart_where_they_stopped_and_are_natural_gaps(scen):
    p = scen.positions
    gaz = _gazetteer().set_index("port")
    gaps = {(g["mmsi"], g["start_time"], g["end_time"]): g["cause"] for g in scen.truth["natural_gaps"]}
    shut = nuisances(scen, "berth_shutdown")
    assert len(shut) >= 8
    hours = [r["duration_h"] for r in shut]
    assert 8 <= min(hours) < 20 and 40 < max(hours) <= 72  # overnight and over a weekend
    for r in shut:
        a, b = at(p, r["mmsi"], r["start_time"]), at(p, r["mmsi"], r["end_time"])
        ts = rows_of(p, r["mmsi"])["timestamp"].array.asi8
        assert not ((ts > ns(r["start_time"])) & (ts < ns(r["end_time"]))).any()
        assert haversine_m(a["lat"], a["lon"], b["lat"], b["lon"]) < 100  # back on where it stopped
        assert haversine_m(a["lat"], a["lon"], r["lat"], r["lon"]) < 50
        assert a["sog_kn"] < 0.3 and b["sog_kn"] < 0.3 and {a["nav_status"], b["nav_status"]} <= {5, pd.NA}
        port = gaz.loc[r["port"]]
        assert haversine_m(r["lat"], r["lon"], port["lat"], port["lon"]) < port["radius_m"]  # at a berth in the port
        assert gaps[(r["mmsi"], r["start_time"], r["end_time"])] == "ais_off_in_port"


def test_harbour_craft_types_and_classes(scen):
    craft = [v for v in scen.truth["vessels"] if v.get("nuisance") == "harbour_craft"]
    assert {v["vessel_type"] for v in craft} == {52, 50, 53, 55, 31, 33}
    assert {v["ais_class"] for v in craft} == {"A", "B"}
    assert {r["mmsi"] for r in nuisances(scen, "harbour_craft")} >= {v["mmsi"] for v in craft}
    p = scen.positions
    for v in craft:  # short trips in the harbour: never far from home
        r = rows_of(p, v["mmsi"])
        home = next(x for x in nuisances(scen, "harbour_craft") if x["mmsi"] == v["mmsi"] and x["other_mmsi"] is None)
        assert haversine_m(r["lat"].to_numpy(), r["lon"].to_numpy(), home["lat"], home["lon"]).max() < 20_000
        assert (r["sog_kn"].to_numpy() > 3).any()


@pytest.mark.parametrize(
    "kind, types, metres",
    [
        ("marina_moored", {37}, (10, 40)),
        ("ferry_berth", set(range(60, 70)), (40, 70)),
        ("harbour_craft", {33}, (10, 30)),
    ],
)
def test_boats_moored_side_by_side(scen, kind, types, metres):
    p = scen.positions
    pairs = [r for r in nuisances(scen, kind) if r["other_mmsi"] is not None]
    assert len(pairs) >= 2
    vt = {v["mmsi"]: v["vessel_type"] for v in scen.truth["vessels"]}
    for r in pairs:
        assert {vt[r["mmsi"]], vt[r["other_mmsi"]]} <= types and metres[0] <= r["distance_m"] <= metres[1]
        s0, s1 = ns(r["start_time"]), ns(r["end_time"])
        med = []
        for m in (r["mmsi"], r["other_mmsi"]):
            x = rows_of(p, m)
            ts = x["timestamp"].array.asi8
            w = (ts >= s0) & (ts <= s1)
            assert (x["sog_kn"].to_numpy()[w] < 0.3).all()
            med.append((np.median(x["lat"].to_numpy()[w]), np.median(x["lon"].to_numpy()[w])) if w.sum() >= 3 else None)
        if None not in med:
            assert abs(haversine_m(*med[0], *med[1]) - r["distance_m"]) < 12
    assert {v["ais_class"] for v in scen.truth["vessels"] if v.get("nuisance") == "marina"} == {"A", "B"}


def test_ships_wait_at_anchor_close_but_not_alongside(scen):
    p = scen.positions
    waits = nuisances(scen, "anchorage_wait")
    assert len(waits) >= 4 and all(24 <= r["duration_h"] or r["end_time"] == scen.truth["end_time"]
                                   or r["start_time"] == scen.truth["start_time"] for r in waits)
    vt = {v["mmsi"]: v["vessel_type"] for v in scen.truth["vessels"]}
    pairs = [r for r in waits if r["other_mmsi"] is not None]
    assert len(pairs) >= 2
    for r in waits:
        assert 70 <= vt[r["mmsi"]] <= 89
        x = rows_of(p, r["mmsi"])
        ts = x["timestamp"].array.asi8
        w = (ts >= ns(r["start_time"])) & (ts <= ns(r["end_time"]))
        assert (x["sog_kn"].to_numpy()[w] <= 1.2).all() and (x["nav_status"].to_numpy()[w] == 1).all()
        assert haversine_m(x["lat"].to_numpy()[w], x["lon"].to_numpy()[w], r["lat"], r["lon"]).max() < 300
    for r in pairs:
        assert 300 <= r["distance_m"] <= 800
    gaps = {(g["mmsi"], g["start_time"], g["end_time"]): g["cause"] for g in scen.truth["natural_gaps"]}
    for r in nuisances(scen, "anchorage_gap"):
        a, b = at(p, r["mmsi"], r["start_time"]), at(p, r["mmsi"], r["end_time"])
        assert 3 <= r["duration_h"] <= 14 and a["nav_status"] == 1 and b["nav_status"] == 1
        assert haversine_m(a["lat"], a["lon"], b["lat"], b["lon"]) < 500  # swinging round the same anchor
        assert gaps[(r["mmsi"], r["start_time"], r["end_time"])] == "ais_off_at_anchor"


def test_censored_ends_are_the_last_reports(scen):
    p = scen.positions
    recs = nuisances(scen, "censored_end")
    assert {"ais_off", "left_area"} <= {r["cause"] for r in recs}
    for r in recs:
        ts = rows_of(p, r["mmsi"])["timestamp"].array.asi8
        assert ts.max() == ns(r["start_time"]) and r["end_time"] == scen.truth["end_time"] and r["duration_h"] >= 1
        if r["cause"] != "reception":
            assert r["duration_h"] >= 4  # well before the end of the data
        if r["cause"] == "left_area":
            assert r["lon"] > 141.0  # out through the Tsugaru strait


def test_fast_craft_is_fast_but_not_spoofing(scen):
    p = scen.positions
    crossings = nuisances(scen, "fast_craft")
    assert len(crossings) >= 10
    for m in {r["mmsi"] for r in crossings}:
        x = rows_of(p, m)
        assert 40 <= int(x["vessel_type"].iloc[0]) <= 49
        ts = x["timestamp"].array.asi8 / 1e9
        d = haversine_m(
            x["lat"].to_numpy()[:-1], x["lon"].to_numpy()[:-1], x["lat"].to_numpy()[1:], x["lon"].to_numpy()[1:]
        )
        dt = np.diff(ts)
        assert 34 <= np.percentile(x["sog_kn"], 99) <= 42
        assert (d[dt > 60] / dt[dt > 60] * KN_PER_M_S).max() < 45  # implied speeds match the reported ones


def test_short_extract_censors_the_nightly_shutdowns():
    s = scenarios.generate(5, n_vessels=20, days=0.7, n_dark=0, n_sts=0, n_dark_sts=0, n_spoof=0, n_shared_mmsi=0)
    schema.validate(s.positions, schema.POSITIONS)
    assert s.truth["end_time"] == "2024-03-01T16:48:00Z" and s.truth["anomalies"] == []
    cens = nuisances(s, "censored_end")
    off = [r for r in cens if r["cause"] == "ais_off"]
    assert len(off) >= 2  # harbour craft off at their berth for the night, and the ship off for good
    assert {r["cause"] for r in cens} >= {"ais_off", "left_area"}
    assert s.positions["timestamp"].max() < pd.Timestamp(s.truth["end_time"])


# --- bulk -------------------------------------------------------------------------------------------
def test_generate_bulk():
    t0 = time.perf_counter()
    df = scenarios.generate_bulk(200_000, seed=1)
    assert time.perf_counter() - t0 < 3
    assert len(df) == 200_000
    schema.validate(df, schema.POSITIONS)
    ts = df["timestamp"].array.asi8
    assert (np.diff(ts) >= 0).all()  # time-ordered ...
    mm = df["mmsi"].to_numpy()
    assert df["mmsi"].nunique() == 100 and (mm[1:] != mm[:-1]).mean() > 0.9  # ... with vessels interleaved
    pd.testing.assert_frame_equal(df.head(1000), scenarios.generate_bulk(200_000, seed=1).head(1000))
    imos = df["imo"].dropna().unique()
    assert all(scenarios.imo_is_valid(int(i)) for i in imos)
    # consecutive reports of one vessel are physically plausible
    one = df[mm == mm[0]]
    d = haversine_m(
        one["lat"].to_numpy()[:-1], one["lon"].to_numpy()[:-1], one["lat"].to_numpy()[1:], one["lon"].to_numpy()[1:]
    )
    dt = np.diff(one["timestamp"].array.asi8) / 1e9
    assert (d[dt > 30] / dt[dt > 30] * KN_PER_M_S).max() < 30
    assert len(scenarios.generate_bulk(0)) == 0


def test_generate_bulk_chunks_is_one_dataset_whatever_the_chunk_size(monkeypatch):
    monkeypatch.setattr(scenarios.bulk, "BULK_BLOCK_ROWS", 10_000)  # several random blocks in 50k rows
    chunks = list(scenarios.generate_bulk_chunks(50_000, seed=2, chunk_rows=7_000))
    assert [len(c) for c in chunks] == [7_000] * 7 + [1_000]
    for c in chunks:
        schema.validate(c, schema.POSITIONS)
        assert isinstance(c.index, pd.RangeIndex) and c.index.start == 0
    whole = pd.concat(chunks, ignore_index=True)
    for rows in (13_000, 10_000, 50_000, 80_000):
        other = pd.concat(scenarios.generate_bulk_chunks(50_000, seed=2, chunk_rows=rows), ignore_index=True)
        pd.testing.assert_frame_equal(whole, other)
    ts = whole["timestamp"].array.asi8
    assert (np.diff(ts) >= 0).all()  # the clock continues from chunk to chunk and from block to block
    gaps = np.diff(ts)
    assert gaps[9_999] < 20 * gaps.mean()  # no jump at a block boundary
    # the fleet and time span of generate_bulk for the same seed and size; vessels interleaved
    single = scenarios.generate_bulk(50_000, seed=2)
    assert set(whole["mmsi"]) == set(single["mmsi"]) and whole["mmsi"].nunique() == 25
    span, single_span = ts[-1] - ts[0], np.ptp(single["timestamp"].array.asi8)
    assert 0.9 < span / single_span < 1.1
    mm = whole["mmsi"].to_numpy()
    assert (mm[1:] != mm[:-1]).mean() > 0.9
    assert not whole.equals(pd.concat(scenarios.generate_bulk_chunks(50_000, seed=3, chunk_rows=7_000)))
    assert list(scenarios.generate_bulk_chunks(0)) == []


def test_generate_bulk_chunks_rejects_a_bad_chunk_size():
    with pytest.raises(ConfigError, match="chunk_rows=0 is invalid; expected a positive whole number"):
        scenarios.generate_bulk_chunks(1_000, chunk_rows=0)
    with pytest.raises(ConfigError, match="n_positions=-1 invalid"):
        scenarios.generate_bulk_chunks(-1)


# --- cargo operations, crews and designated identities ----------------------------------------------
def test_cargo_ops_true_tonnes_follow_the_recorded_hull(scen):
    ops = scen.truth["cargo_ops"]
    assert len(ops) > 60
    keys = {"mmsi", "kind", "where", "port", "other_mmsi", "start_time", "end_time", "true_draught_before_m",
            "true_draught_after_m", "reported_draught_before_m", "reported_draught_after_m", "crew", "length_m",
            "width_m", "cwp", "lwl_m", "true_tonnes"}
    for o in ops:
        assert set(o) == keys
        d0, d1 = o["true_draught_before_m"], o["true_draught_after_m"]
        expected = abs(d1 - d0) * o["cwp"] * o["lwl_m"] * o["width_m"] * 1.025
        assert o["true_tonnes"] == pytest.approx(expected, abs=0.06)
        assert o["kind"] == ("load" if d1 > d0 else "discharge") and o["where"] in ("port", "sts", "dark")
        assert o["start_time"] <= o["end_time"] and o["start_time"].endswith("Z")
        assert 0.72 <= o["cwp"] <= 0.90 and 0.93 * o["length_m"] - 0.05 <= o["lwl_m"] <= 0.98 * o["length_m"] + 0.05
        assert (o["where"] == "sts") == (o["other_mmsi"] is not None)
        assert (o["where"] == "port") <= (o["port"] is not None)
    wheres = {(o["kind"], o["where"]) for o in ops}
    assert {("load", "port"), ("discharge", "port"), ("discharge", "dark"), ("load", "sts"),
            ("discharge", "sts")} <= wheres
    # a laden tanker of 85-250 m moves thousands to tens of thousands of tonnes
    tank = [o["true_tonnes"] for o in ops if o["where"] in ("dark", "sts")]
    assert 1000 < np.median(tank) < 80000


def test_crew_habits_proportions_and_never_updates():
    counts = {h: 0 for h in ("prompt", "late", "rough", "never")}
    for seed in (11, 12, 13):
        sc = scenarios.generate(seed, nuisances=False)
        crews = {o["mmsi"]: o["crew"] for o in sc.truth["cargo_ops"]}
        for h in crews.values():
            counts[h] += 1
        p = sc.positions
        shared = {v["mmsi"] for v in sc.truth["vessels"] if v["role"] == "shared_mmsi"}
        for mmsi in [m for m, h in crews.items() if h == "never" and m not in shared]:
            d = rows_of(p, mmsi)["draught_m"].dropna()
            assert d.nunique() == 1, mmsi  # a static draught, never changed
        ops = sc.truth["cargo_ops"]
        prompt = [o for o in ops if o["crew"] == "prompt" and o["reported_draught_before_m"] is not None
                  and o["reported_draught_after_m"] is not None and o["where"] != "dark"]
        assert np.mean([o["reported_draught_after_m"] == round(o["true_draught_after_m"], 1) for o in prompt]) > 0.9
    n = sum(counts.values())
    assert n > 100
    assert 0.45 < counts["prompt"] / n < 0.75 and 0.08 < counts["late"] / n < 0.35
    assert 0.02 < counts["rough"] / n < 0.2 and 0.02 < counts["never"] / n < 0.2


def test_designated_identities_in_positions_and_truth(scen, small):
    from vesseltrack.scenarios import _shared

    listed = {e["imo"]: e for e in _shared.table("designated")["cargo"] + _shared.table("designated")["tankers"]}
    des = scen.truth["designated"]
    assert 3 <= len(des) <= 4 and len({d["mmsi"] for d in des}) == len(des)
    assert sum(d["name"] in ("MAIA-1", "ANGARA", "LADY R") for d in des) == 3
    p = scen.positions
    for d in des:
        e = listed[d["imo"]]
        assert d["list"] == "OFAC SDN" and d["entry_id"] == e["entry_id"] and d["program"] == e["program"]
        assert d["name"] == e["name"] and e["mmsi"] in (None, d["mmsi"]) and scenarios.imo_is_valid(d["imo"])
        assert 273_000_000 <= d["mmsi"] < 274_000_000
        r = rows_of(p, d["mmsi"])
        assert len(r) > 20 and set(r["imo"].astype(int)) == {d["imo"]} and set(r["vessel_name"]) == {d["name"]}
    tanker = next(d for d in des if d["name"] == "SANAR 15")
    assert any(a["type"] == "dark_voyage" and a["mmsi"] == tanker["mmsi"] for a in scen.truth["anomalies"])
    rajin = {o["mmsi"] for o in scen.truth["cargo_ops"] if o["port"] == "RAJIN" and o["kind"] == "discharge"}
    assert sum(d["mmsi"] in rajin for d in des) >= 3
    assert 1 <= len(small.truth["designated"]) <= 2


def test_cargo_truth_is_deterministic(small):
    again = scenarios.generate(3, n_vessels=20, days=5)
    assert again.truth["cargo_ops"] == small.truth["cargo_ops"]
    assert again.truth["designated"] == small.truth["designated"]
    assert small.truth["cargo_ops"]


# --- bundled samples --------------------------------------------------------------------------------
def test_bundled_sample_matches_generator(tmp_path):
    truth_path = SAMPLES / "sea_of_japan.truth.json"
    csv_path = SAMPLES / "sea_of_japan.csv.gz"
    if not truth_path.exists():
        pytest.skip("bundled sample not built")
    truth = json.loads(truth_path.read_text())
    assert truth["format"] == "vesseltrack-truth/1" and truth["seed"] == 2024
    # the bundled sample is what the generator makes today without nuisances, byte for byte
    # (regenerate it, see data/samples/README.md)
    sc = scenarios.generate(2024, nuisances=False)
    assert truth == json.loads(json.dumps(sc.truth))
    assert scenarios.write(sc, tmp_path, fmt="csv.gz")[0].read_bytes() == csv_path.read_bytes()
    assert csv_path.stat().st_size < 2_500_000
    n_rows = gzip.decompress(csv_path.read_bytes()).count(b"\n") - 1
    assert n_rows == sum(v["n_positions"] for v in truth["vessels"])
    excerpt = SAMPLES / "ny_harbor_excerpt.csv"
    lines = excerpt.read_text().splitlines()
    assert len(lines) == 2001 and lines[0].startswith("BaseDateTime,LON,LAT,MMSI")
