"""Issue 3, last "done when": ``vesseltrack score some.nmea --out results/`` gives the same events and
alerts as the same traffic given as CSV.

A generated scenario (dark voyages, ship-to-ship encounters, loitering, spoofing, a shared MMSI, one
class B ship) is written twice from the same positions:

- as a MarineCadastre CSV (``scenarios.write``);
- as NMEA 0183 encoded with pyais (an encoder independent of our reader): one type 1 (class A) or
  type 18 (class B) sentence per position, each behind a tag block ``\\s:sim,c:<epoch>*hh\\`` with a
  correct checksum, and the static data the way ships send them: a two-sentence type 5 (class A) or
  a type 24 part A + part B pair (class B) at each MMSI's first report and whenever its static
  data (name, call sign, IMO, type, dimensions, draught, destination) change. The parts of a type 5
  are grouped by ``g:``; only part 1 carries the time, as real receivers write it.

The positions are first rounded to what both formats carry exactly (see :func:`_ais_resolution`),
so the two files hold the same information and everything downstream must agree.
"""

from __future__ import annotations

import json
from functools import reduce
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vesseltrack import scenarios
from vesseltrack.cli import main

encode_dict = pytest.importorskip("pyais.encode").encode_dict

# events.csv columns that legitimately differ between the two runs, and why:
EVENT_COLUMNS_NOT_COMPARED = {
    # MarineCadastre CSV has no destination column; NMEA type 5 carries it.
    "destination_before", "destination_after",
}
# Every other events.csv column, and every alerts.csv column, must be identical as text.


def _ais_resolution(positions: pd.DataFrame) -> pd.DataFrame:
    """The positions rounded to what both AIS and the MarineCadastre CSV carry exactly.

    - lat/lon to 1e-5 degree: the CSV writes 5 decimals and 1e-5 degree is exactly 6 AIS units of
      1/10000 minute, so both readers parse the very same float (``k / 600000.0`` and
      ``float("43.07917")`` are both the double nearest the same rational);
    - SOG and COG to 0.1 (COG 360.0, "not available" in AIS, becomes 0.0), heading to whole degrees
      (360 -> 0), draught to 0.1 m, length/width to whole metres; timestamps are whole seconds.
    """
    p = positions
    assert (p["timestamp"].array.asi8 % 1_000_000_000 == 0).all()
    out = p.copy()
    out["lat"] = np.round(p["lat"].to_numpy(), 5)
    out["lon"] = np.round(p["lon"].to_numpy(), 5)
    out["sog_kn"] = np.round(p["sog_kn"].to_numpy(np.float64), 1).astype(np.float32)
    cog = np.round(p["cog_deg"].to_numpy(np.float64), 1)
    out["cog_deg"] = np.where(cog >= 360.0, 0.0, cog).astype(np.float32)
    hdg = np.round(p["heading_deg"].to_numpy(np.float64))
    out["heading_deg"] = np.where(hdg >= 360.0, 0.0, hdg).astype(np.float32)
    out["draught_m"] = np.round(p["draught_m"].to_numpy(np.float64), 1).astype(np.float32)
    out["length_m"] = np.round(p["length_m"].to_numpy(np.float64)).astype(np.float32)
    out["width_m"] = np.round(p["width_m"].to_numpy(np.float64)).astype(np.float32)
    return out


def _tag(body: str) -> str:
    """A NMEA 4.0 tag block with its checksum (XOR of the characters between the backslash and ``*``)."""
    return f"\\{body}*{reduce(lambda a, c: a ^ ord(c), body, 0):02X}\\"


def _tenths(v: float) -> float:
    # pyais encodes 0.1-unit fields as int(v * 10.0), which truncates (14.7 * 10 == 146.99999999999997):
    # hand it the middle of the unit so the integer sent is exactly round(v * 10)
    return (round(v * 10) + 0.5) / 10


_STATIC = ["vessel_name", "call_sign", "imo", "vessel_type", "length_m", "width_m", "draught_m", "destination"]


def write_nmea(positions: pd.DataFrame, path: Path) -> dict[str, int]:
    """Write positions as a time-ordered NMEA feed (see the module docstring); returns message counts."""
    p = positions.sort_values(["timestamp", "mmsi"], kind="stable").reset_index(drop=True)
    # static data change points: per MMSI in time order, any static field differs from the previous report
    by = p.sort_values(["mmsi", "timestamp"], kind="stable")
    st = by[_STATIC].astype(object)
    prev = st.groupby(by["mmsi"]).shift()
    differs = (st != prev) & ~(st.isna() & prev.isna())  # missing == missing
    changed = differs.any(axis=1) | ~by["mmsi"].duplicated()
    send_static = pd.Series(changed.to_numpy(), index=by.index).reindex(p.index).to_numpy()

    def text(v):
        return "" if v is None or v != v else str(v)

    lines: list[str] = []
    counts = {"positions": 0, "type5": 0, "type24": 0}
    seq = 0
    for r, static in zip(p.itertuples(index=False), send_static):
        t = int(r.timestamp.timestamp())
        mmsi = int(r.mmsi)
        class_b = r.ais_class == "B"
        if static:
            L, W = int(r.length_m), int(r.width_m)
            dims = {"to_bow": L // 2, "to_stern": L - L // 2, "to_port": W // 2, "to_starboard": W - W // 2}
            if class_b:
                for part in ({"partno": 0, "shipname": text(r.vessel_name)},
                             {"partno": 1, "ship_type": int(r.vessel_type), "callsign": text(r.call_sign), **dims}):
                    (s,) = encode_dict({"msg_type": 24, "mmsi": mmsi, **part}, talker_id="AI", sentence_type="VDM")
                    lines.append(_tag(f"s:sim,c:{t}") + s)
                counts["type24"] += 1
            else:
                seq = seq % 9 + 1
                msg = {"msg_type": 5, "mmsi": mmsi, "ais_version": 0,
                       "imo": 0 if pd.isna(r.imo) else int(r.imo), "callsign": text(r.call_sign),
                       "shipname": text(r.vessel_name), "ship_type": int(r.vessel_type), **dims, "epfd": 1,
                       "draught": 0.0 if np.isnan(r.draught_m) else _tenths(float(r.draught_m)),
                       "destination": text(r.destination), "dte": 0}
                s1, s2 = encode_dict(msg, talker_id="AI", sentence_type="VDM", seq_id=seq)
                lines.append(_tag(f"g:1-2-{len(lines)},s:sim,c:{t}") + s1)
                lines.append(_tag(f"g:2-2-{len(lines) - 1}") + s2)
                counts["type5"] += 1
        pos = {"mmsi": mmsi, "lat": float(r.lat), "lon": float(r.lon), "speed": _tenths(float(r.sog_kn)),
               "course": _tenths(float(r.cog_deg)),
               "heading": 511 if np.isnan(r.heading_deg) else int(r.heading_deg), "second": t % 60}
        if class_b:
            pos["msg_type"] = 18
        else:
            pos.update(msg_type=1, status=15 if pd.isna(r.nav_status) else int(r.nav_status))
        (s,) = encode_dict(pos, talker_id="AI", sentence_type="VDM", radio_channel="B" if class_b else "A")
        lines.append(_tag(f"s:sim,c:{t}") + s)
        counts["positions"] += 1
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return counts


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both inputs written from the same rounded positions, and both scored."""
    tmp = tmp_path_factory.mktemp("nmea_eq")
    scenario = scenarios.generate(seed=7, n_vessels=25, days=5)
    positions = _ais_resolution(scenario.positions)
    # the shared MMSI has both ships reporting in one second, each right after its own type 5: the
    # NMEA reader must give each its own name (it used to give both the later one's; now fixed)
    assert positions.duplicated(["mmsi", "timestamp"]).any()
    csv_path, _ = scenarios.write(scenarios.Scenario(positions=positions, truth=scenario.truth), tmp / "in", fmt="csv")
    nmea_path = tmp / "in" / "sea_of_japan.nmea"
    counts = write_nmea(positions, nmea_path)
    out = {}
    for name, path in (("csv", csv_path), ("nmea", nmea_path)):
        assert main(["score", str(path), "--out", str(tmp / name), "--quiet"]) == 0
        out[name] = tmp / name
    return positions, counts, nmea_path, out


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_the_scenario_exercises_what_it_should(runs):
    positions, counts, _, out = runs
    events = _read(out["csv"] / "events.csv")
    assert {"gap", "port_visit", "encounter", "loitering", "spoofing", "identity_clash"} <= set(events["event_type"])
    assert set(positions["ais_class"]) == {"A", "B"}
    assert counts["type5"] > positions["mmsi"].nunique()  # draught / destination / name changes re-sent
    assert counts["type24"] >= 1


def test_nmea_file_is_well_formed(runs):
    _, counts, nmea_path, _ = runs
    lines = nmea_path.read_text().splitlines()
    assert len(lines) == counts["positions"] + 2 * counts["type5"] + 2 * counts["type24"]
    for line in lines[:200]:
        _, tag, sentence = line.split("\\")
        body, hh = tag.split("*")
        assert reduce(lambda a, c: a ^ ord(c), body, 0) == int(hh, 16)
        body, hh = sentence[1:].split("*")
        assert reduce(lambda a, c: a ^ ord(c), body, 0) == int(hh, 16)


def test_nmea_row_accounting(runs):
    positions, counts, nmea_path, out = runs
    rows = json.loads((out["nmea"] / "summary.json").read_text())["rows"]
    # rows are positions (kept, rejected or duplicate); every other sentence is counted in skipped
    assert rows["rows_read"] == rows["rows_kept"] == counts["positions"] == len(positions)
    assert rows["rows_rejected"] == 0 and rows["rows_duplicate"] == 0 and rows["rejected_by_reason"] == {}
    # a type 5 is one message in two sentences: part 1 counts as the static message, part 2 as its fragment;
    # type 24 parts A and B are two single-sentence static messages
    assert rows["skipped"] == {"static_msg": counts["type5"] + 2 * counts["type24"],
                               "multipart_fragment": counts["type5"]}
    n_sentences = counts["positions"] + 2 * counts["type5"] + 2 * counts["type24"]
    assert rows["rows_read"] + sum(rows["skipped"].values()) == n_sentences
    assert rows["files"] == [{"file": str(nmea_path), "format": "nmea", "rows_duplicate": 0, "rows_non_vessel": 0,
                              "rows_kept": len(positions), "rows_read": len(positions), "rows_rejected": 0,
                              "time_sources": {"own": len(positions) + counts["type5"] + 2 * counts["type24"]}}]


def test_same_events_as_csv(runs):
    *_, out = runs
    a, b = _read(out["csv"] / "events.csv"), _read(out["nmea"] / "events.csv")
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) and len(a) > 50
    same = [c for c in a.columns if c not in EVENT_COLUMNS_NOT_COMPARED]
    pd.testing.assert_frame_equal(a[same], b[same])
    # the excluded columns differ only as documented: empty in the CSV run, the broadcast text in NMEA
    for c in sorted(EVENT_COLUMNS_NOT_COMPARED):
        assert (a[c] == "").all(), c
    assert (b["destination_before"] != "").any()


def test_same_alerts_as_csv(runs):
    *_, out = runs
    a, b = (out["csv"] / "alerts.csv").read_text(), (out["nmea"] / "alerts.csv").read_text()
    assert a.count("\n") > 5
    assert a == b


def test_same_voyages_and_summary_counts_as_csv(runs):
    *_, out = runs
    assert (out["csv"] / "voyages.csv").read_text() == (out["nmea"] / "voyages.csv").read_text()
    sa, sb = (json.loads((out[k] / "summary.json").read_text()) for k in ("csv", "nmea"))
    for key in ("events", "alerts", "vessels", "voyages", "positions", "model"):
        assert sa[key] == sb[key], key
