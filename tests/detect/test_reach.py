import numpy as np
import pandas as pd
import pytest
from conftest import make_positions, track

from vesseltrack import zones
from vesseltrack.detect.reach import reachable, typical_speed
from vesseltrack.tracks import add_steps


def gaps_frame(rows):
    return pd.DataFrame(rows, columns=["duration_h", "start_lat", "start_lon", "end_lat", "end_lon"])


def test_detour_to_a_sensitive_port_fits_or_not():
    gaz = zones.build_gazetteer()
    # from just off Vostochny, back to the same spot: Nampo is ~1,100 nm away by a straight line
    g = gaps_frame(
        [(60.0, 42.6, 133.1, 42.6, 133.1), (200.0, 42.6, 133.1, 42.6, 133.1), (30.0, 42.6, 133.1, np.nan, np.nan)]
    )
    out = reachable(g, np.array([12.0, 12.0, 12.0]), gaz)
    assert out["spare_h"][0] == pytest.approx(60.0)
    assert out["reachable_ports"][0].startswith("KOZMINO") and "NAMPO" not in out["reachable_ports"][0]
    # at most three per country: the Russian terminals beside the start do not hide North Korea's ports
    listed = [x.rsplit(" ", 2)[0] for x in out["reachable_ports"][1].split("; ")]
    assert listed == ["KOZMINO", "VOSTOCHNY", "NAKHODKA", "SONBONG", "RAJIN", "CHONGJIN"]
    assert out["spare_h"][2] == pytest.approx(30.0)  # open gap: no end, all of it is spare
    far = reachable(gaps_frame([(5.0, 0.0, 0.0, 0.0, 1.0)]), np.array([12.0]), gaz)
    assert far["reachable_ports"][0] is None and far["spare_h"][0] == pytest.approx(5.0 - 60.04 / 12, abs=0.01)


def test_typical_speed_from_reports_or_type():
    rows = track(1, "2024-01-01T00:00", 50, sog_kn=14.0, vessel_type=80) + track(
        2, "2024-01-01T00:00", 5, sog_kn=0.0, vessel_type=60
    )
    v = typical_speed(add_steps(make_positions(rows), segment_gap_h=6), np.array([2, 1, 2]))
    assert v.tolist() == pytest.approx([18.0, 14.0, 18.0], abs=0.25)  # 0.25-kn histogram bins


def test_port_names_reads_what_reachable_writes():
    import pandas as pd

    from vesseltrack.detect.reach import port_names

    col = pd.Series(["WONSAN 61 h; CH'AHO 57 h", None, "", "RAJIN 9.5 h"], index=[10, 11, 12, 13])
    got = port_names(col)
    assert got.index.tolist() == [10, 10, 13] and got.tolist() == ["WONSAN", "CH'AHO", "RAJIN"]
