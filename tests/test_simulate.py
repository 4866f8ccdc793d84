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

from vesseltrack import schema, simulate
from vesseltrack.errors import ConfigError
from vesseltrack.geo import KN_PER_M_S, haversine_m

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
def scen() -> simulate.Scenario:
    return simulate.generate(7)


@pytest.fixture(scope="module")
def small() -> simulate.Scenario:
    return simulate.generate(3, n_vessels=20, days=5)


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
    a = simulate.generate(3, n_vessels=20, days=5)
    b = simulate.generate(3, n_vessels=20, days=5)
    pd.testing.assert_frame_equal(a.positions, b.positions)
    assert a.truth == b.truth


def test_different_seeds_differ(small):
    other = simulate.generate(4, n_vessels=20, days=5)
    assert len(other.positions) != len(small.positions) or not other.positions["lat"].equals(small.positions["lat"])
    assert other.truth["vessels"] != small.truth["vessels"]


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_write_is_byte_identical(small, tmp_path, fmt):
    p1 = simulate.write(small, tmp_path / "a", fmt=fmt)
    p2 = simulate.write(small, tmp_path / "b", fmt=fmt)
    assert [p.name for p in p1] == [f"sea_of_japan.{fmt}", "sea_of_japan.truth.json"]
    for x, y in zip(p1, p2):
        assert x.read_bytes() == y.read_bytes()


def test_marinecadastre_csv_layout(small, tmp_path):
    path, _ = simulate.write(small, tmp_path, fmt="csv.gz", name="s")
    text = gzip.decompress(path.read_bytes()).decode()
    header = text.split("\n", 1)[0]
    assert header == ",".join(simulate.MARINECADASTRE_COLUMNS)
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
    path, _ = simulate.write(small, tmp_path, fmt="parquet")
    back = pd.read_parquet(path)
    schema.validate(back, schema.POSITIONS)
    pd.testing.assert_frame_equal(back, small.positions)


def test_truth_format(scen):
    t = json.loads(json.dumps(scen.truth))  # JSON-serialisable as is
    assert t["format"] == "vesseltrack-truth/1" and t["seed"] == 7 and t["region"] == "sea_of_japan"
    assert {"params", "vessels", "anomalies", "natural_gaps"} <= set(t)
    types = {a["type"] for a in t["anomalies"]}
    assert types == {"dark_voyage", "sts", "dark_sts", "spoofing", "identity_clash"}
    assert sum(a["type"] == "dark_voyage" for a in t["anomalies"]) == 4 + 1  # 4 dark voyages + the dark STS partner
    for a in t["anomalies"]:
        assert {"type", "mmsi", "other_mmsi", "start_time", "end_time", "lat", "lon", "port", "detail"} <= set(a)
        assert a["start_time"].endswith("Z") and a["end_time"].endswith("Z") and a["start_time"] < a["end_time"]
    for v in t["vessels"]:
        assert {"mmsi", "name", "imo", "vessel_type", "role", "anomalous"} <= set(v)
        assert v["anomalous"] == (v["role"] != "normal")
    assert len(t["vessels"]) == 60
    assert set(scen.positions["mmsi"].unique()) == {v["mmsi"] for v in t["vessels"]}


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
        if a["port"] is not None:  # loaded in Russia before going dark: the draught went up in the data
            d = r["draught_m"].to_numpy()[ts <= s0]
            assert np.nanmax(d) - np.nanmin(d) > 2.0
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
        # cargo moved from mmsi to other_mmsi: one draught goes down, the other up
        for r, sign in ((ra, -1), (rb, 1)):
            t, d = r["timestamp"].array.asi8, r["draught_m"].to_numpy()
            before, after = d[t < s0][-1], d[t > s1 + 3 * 3600e9][0]
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
    assert {"reception", "ais_off_in_port"} == {g["cause"] for g in gaps}
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
        assert g["duration_h"] >= simulate.NATURAL_GAP_MIN_H


def test_positions_inside_region_and_not_on_land(scen):
    p = scen.positions
    lat0, lat1, lon0, lon1 = simulate.REGIONS["sea_of_japan"]
    lat, lon = p["lat"].to_numpy(), p["lon"].to_numpy()
    assert ((lat > lat0) & (lat < lat1) & (lon > lon0) & (lon < lon1)).all()
    for name, (a, b, c, d) in LAND_BOXES.items():
        inside = (lat > a) & (lat < b) & (lon > c) & (lon < d)
        assert not inside.any(), f"{inside.sum()} positions on land in {name}"


def test_sea_lanes_avoid_land_boxes():
    names, _, glat, glon, adj = simulate._graph()
    for i, nbrs in enumerate(adj):
        for j, _ in nbrs:
            f = np.linspace(0, 1, 200)
            la, lo = glat[i] + f * (glat[j] - glat[i]), glon[i] + f * (glon[j] - glon[i])
            for name, (a, b, c, d) in LAND_BOXES.items():
                assert not ((la > a) & (la < b) & (lo > c) & (lo < d)).any(), (names[i], names[j], name)


def test_reporting_is_dense_near_coasts_and_sparse_offshore(scen):
    p = scen.positions
    under_way = (p["ais_class"] == "A").to_numpy() & (p["sog_kn"].to_numpy() > 5)
    mm = p["mmsi"].to_numpy()
    ts = p["timestamp"].array.asi8
    dt_next = np.append(np.diff(ts) / 60e9, np.nan)
    dt_next[np.append(mm[1:] != mm[:-1], True)] = np.nan
    cov = simulate._covered("sea_of_japan", p["lat"].to_numpy(), p["lon"].to_numpy())
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
    assert len(imos) > 20 and all(simulate.imo_is_valid(int(i)) for i in imos)
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
        simulate.generate(region="atlantic")
    with pytest.raises(ConfigError, match="n_vessels=5 is smaller"):
        simulate.generate(n_vessels=5)
    with pytest.raises(ConfigError, match="too short"):
        simulate.generate(days=2)
    with pytest.raises(ConfigError, match="fmt 'xml' unknown"):
        simulate.write(simulate.Scenario(simulate.schema.empty(schema.POSITIONS), {}), "/tmp", fmt="xml")


def test_quiet_scenario_without_anomalies():
    s = simulate.generate(1, n_vessels=8, days=1, n_dark=0, n_sts=0, n_dark_sts=0, n_spoof=0, n_shared_mmsi=0)
    schema.validate(s.positions, schema.POSITIONS)
    assert s.truth["anomalies"] == [] and all(not v["anomalous"] for v in s.truth["vessels"])


# --- bulk -------------------------------------------------------------------------------------------
def test_generate_bulk():
    t0 = time.perf_counter()
    df = simulate.generate_bulk(200_000, seed=1)
    assert time.perf_counter() - t0 < 3
    assert len(df) == 200_000
    schema.validate(df, schema.POSITIONS)
    ts = df["timestamp"].array.asi8
    assert (np.diff(ts) >= 0).all()  # time-ordered ...
    mm = df["mmsi"].to_numpy()
    assert df["mmsi"].nunique() == 100 and (mm[1:] != mm[:-1]).mean() > 0.9  # ... with vessels interleaved
    pd.testing.assert_frame_equal(df.head(1000), simulate.generate_bulk(200_000, seed=1).head(1000))
    imos = df["imo"].dropna().unique()
    assert all(simulate.imo_is_valid(int(i)) for i in imos)
    # consecutive reports of one vessel are physically plausible
    one = df[mm == mm[0]]
    d = haversine_m(one["lat"].to_numpy()[:-1], one["lon"].to_numpy()[:-1], one["lat"].to_numpy()[1:], one["lon"].to_numpy()[1:])
    dt = np.diff(one["timestamp"].array.asi8) / 1e9
    assert (d[dt > 30] / dt[dt > 30] * KN_PER_M_S).max() < 30
    assert len(simulate.generate_bulk(0)) == 0


# --- bundled samples --------------------------------------------------------------------------------
def test_bundled_sample_matches_generator():
    truth_path = SAMPLES / "sea_of_japan.truth.json"
    csv_path = SAMPLES / "sea_of_japan.csv.gz"
    if not truth_path.exists():
        pytest.skip("bundled sample not built")
    truth = json.loads(truth_path.read_text())
    assert truth["format"] == "vesseltrack-truth/1" and truth["seed"] == 2024
    # the bundled sample is what the generator makes today (regenerate it, see data/samples/README.md)
    assert truth == json.loads(json.dumps(simulate.generate(2024).truth))
    assert csv_path.stat().st_size < 2_500_000
    n_rows = gzip.decompress(csv_path.read_bytes()).count(b"\n") - 1
    assert n_rows == sum(v["n_positions"] for v in truth["vessels"])
    excerpt = SAMPLES / "ny_harbor_excerpt.csv"
    lines = excerpt.read_text().splitlines()
    assert len(lines) == 2001 and lines[0].startswith("BaseDateTime,LON,LAT,MMSI")
