from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest

from vesseltrack import satellite
from vesseltrack.geo import haversine_m


def gaps(rows):
    """Gap rows: (start_lat, start_lon, end_lat, end_lon, duration_h, likely_dark), 12 kn, from 2024-03-01."""
    df = pd.DataFrame(rows, columns=["start_lat", "start_lon", "end_lat", "end_lon", "duration_h", "likely_dark"])
    df["typical_speed_kn"] = 12.0
    df["start_time"] = pd.Timestamp("2024-03-01T22:00Z")
    df["end_time"] = df["start_time"] + pd.to_timedelta(df["duration_h"], unit="h")
    df["likely_dark"] = df["likely_dark"].astype("boolean")
    return df


def inside(lat, lon, box):
    lo_lat, lo_lon, hi_lat, hi_lon = box
    in_lon = (lo_lon <= lon <= hi_lon) if lo_lon <= hi_lon else (lon >= lo_lon or lon <= hi_lon)
    return lo_lat <= lat <= hi_lat and in_lon


def box_of(out, i):
    return tuple(float(out[c][i]) for c in satellite.COLUMNS[:4])


def test_the_box_holds_both_ends_and_grows_with_the_gap():
    g = gaps([(42.6, 133.1, 41.0, 131.5, 20.0, True), (42.6, 133.1, 41.0, 131.5, 60.0, True),
              (42.6, 133.1, 41.0, 131.5, 5.0, True)])  # the last: faster than 12 kn, the box is the segment's
    out = satellite.gap_search(g)
    for i in range(3):
        assert inside(42.6, 133.1, box_of(out, i)) and inside(41.0, 131.5, box_of(out, i))
    short, long_ = box_of(out, 0), box_of(out, 1)
    assert long_[0] < short[0] and long_[1] < short[1] and long_[2] > short[2] and long_[3] > short[3]
    # a point the ship could reach (on the way, with a 20 h x 12 kn = 444 km budget) is inside, one beyond it is not
    assert inside(42.6 + 0.5, 133.1, short)
    reach_km = 12 * 1.852 * 20
    lat_far = 42.6 + reach_km / 111.2  # due north of the start: the detour back alone exceeds the budget
    assert not inside(lat_far, 133.1, short)
    # the box's half-height is the ellipse's: a = v T / 2 along the ends' axis at most
    centre_lat = (short[0] + short[2]) / 2
    assert (short[2] - centre_lat) * 111.195 <= reach_km / 2 + 1


def test_open_gaps_get_a_circle_from_the_start_and_other_gaps_nothing():
    g = gaps([(0.0, 10.0, np.nan, np.nan, 10.0, True), (0.0, 10.0, 0.1, 10.1, 30.0, False),
              (0.0, 10.0, 0.1, 10.1, 30.0, pd.NA)])
    out = satellite.gap_search(g)
    r_deg = 12 * 1.852 * 10 / 111.195  # radius v T around the start, not halved
    r_lon = r_deg / np.cos(np.radians(r_deg))  # at the box's most poleward latitude: never cuts the circle
    assert box_of(out, 0) == pytest.approx((-r_deg, 10 - r_lon, r_deg, 10 + r_lon), abs=2e-4)
    assert out["search_start"][0] == g["start_time"][0] and out["search_end"][0] == g["end_time"][0]
    for i in (1, 2):  # not likely dark: no search, no links
        assert np.isnan(box_of(out, i)).all()
        assert pd.isna(out["search_start"][i]) and pd.isna(out["search_end"][i])
        assert out["sentinel1_url"][i] is None and out["sentinel2_url"][i] is None


def test_links_parse_and_carry_the_dates_and_the_area():
    g = gaps([(42.6, 133.1, 41.0, 131.5, 30.0, True)])
    out = satellite.gap_search(g)
    box = box_of(out, 0)
    for col, dataset in (("sentinel1_url", "S1_CDAS_IW_VVVH"), ("sentinel2_url", "S2_L2A_CDAS")):
        url = urlsplit(out[col][0])
        assert (url.scheme, url.netloc, url.path) == ("https", "browser.dataspace.copernicus.eu", "/")
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert q["datasetId"] == dataset and q["dateMode"] == "TIME RANGE"
        assert q["fromTime"] == "2024-03-01T00:00:00.000Z"  # the UTC days of 22:00 .. 04:00 two days later
        assert q["toTime"] == "2024-03-03T23:59:59.999Z"
        assert pd.Timestamp(q["fromTime"]) <= g["start_time"][0] and pd.Timestamp(q["toTime"]) >= g["end_time"][0]
        assert inside(float(q["lat"]), float(q["lng"]), box) and 3 <= int(q["zoom"]) <= 14
        assert len(q["lat"].split(".")[1]) == 5  # rounded: deterministic
    assert "layerId=1_TRUE_COLOR" in out["sentinel2_url"][0]
    assert satellite.gap_search(g)["sentinel1_url"][0] == out["sentinel1_url"][0]


def test_a_box_across_the_antimeridian_wraps():
    out = satellite.gap_search(gaps([(50.0, 179.5, 50.2, -179.6, 20.0, True)]))
    box = box_of(out, 0)
    assert box[1] > box[3]  # west edge east of the east edge: it crosses 180
    assert inside(50.0, 179.5, box) and inside(50.2, -179.6, box)
    q = parse_qs(urlsplit(out["sentinel1_url"][0]).query)
    assert -180 <= float(q["lng"][0]) <= 180
    polar = satellite.gap_search(gaps([(88.0, 0.0, 88.5, 90.0, 100.0, True)]))
    assert box_of(polar, 0)[1:4:2] == (-180.0, 180.0) and box_of(polar, 0)[2] == 90.0


def test_sts_candidates_at_sea_get_a_small_box_around_the_median_position():
    enc = pd.DataFrame({"sts_candidate": pd.array([True, True, False], dtype="boolean"),
                        "start_time": pd.Timestamp("2024-03-04T20:10Z"), "end_time": pd.Timestamp("2024-03-05T04:50Z")})
    out = satellite.sts_search(enc, np.array([34.3, 34.3, 34.3]), np.array([128.4, 128.4, 128.4]),
                               np.array([True, False, True]))  # the second: at an anchorage
    lo_lat, lo_lon, hi_lat, hi_lon = box_of(out, 0)
    assert haversine_m(lo_lat, 128.4, hi_lat, 128.4) / 1000 == pytest.approx(10.0, abs=0.05)
    assert haversine_m(34.3, lo_lon, 34.3, hi_lon) / 1000 == pytest.approx(10.0, abs=0.05)
    assert out["sentinel1_url"][1] is None and out["sentinel1_url"][2] is None
    assert "fromTime=2024-03-04T00%3A00%3A00.000Z&toTime=2024-03-05T23%3A59%3A59.999Z" in out["sentinel1_url"][0]
