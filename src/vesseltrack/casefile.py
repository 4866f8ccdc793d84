"""A case file per alert: one self-contained HTML page an analyst can attach to a report.

:func:`case_file_html` builds the page for one vessel (focused on one of its alerts, by default its
best-ranked one); :func:`write_case_files` writes those of the top N alerts of a run. A page holds:

- the alert (rank, score, period, ports) and each reason, with the figures of the events behind it;
- the vessel's identity and history as broadcast: names, IMO numbers, call signs, types and
  destinations with when each was heard, the flag its MMSI's MID stands for, dimensions and draught;
- the timeline (:func:`vesseltrack.plots.timeline`, a PNG embedded as a data URI) and the map of the
  vessel's track and events (:func:`vesseltrack.maps.make_map`, a sandboxed iframe with the page
  inline, Leaflet inlined when a local copy is installed);
- its cargo operations (tonnes and barrels low-central-high, basis, trips) or why it has none, its
  watchlist matches, the run's parameters and a plain statement of what AIS can and cannot show.

Nothing is fetched when the page is opened. Every ship-provided string goes through
:func:`html.escape`; the page itself has no script, and its Content-Security-Policy allows only the
map's own scripts (by hash), so text from the data never runs. The bytes depend only on the input:
folium's random element ids are renumbered in order of appearance and the PNG carries no date.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vesseltrack import investigate
from vesseltrack.errors import ConfigError

DISCLAIMER = (
    "AIS is what a ship's transponder broadcasts about itself. Positions, names, IMO numbers, types, "
    "dimensions, draught and destinations are entered or sent by the ship and can be wrong, stale or "
    "deliberately false; the flag shown is the one the MMSI's first three digits (MID) stand for, not a "
    "registry record. A gap means no report reached this data set: the transponder may have been switched "
    "off, but reception (terrestrial range, satellite passes, collisions in busy areas) and the data "
    "provider's filtering also lose reports. Nothing is known of where a ship went during a gap: the ports "
    "\"it could have reached\" are places it had time to reach, not places it went. Draught is typed in by "
    "the crew and often not updated, so cargo figures are estimates from draught changes (ranges, with "
    "their basis), not measurements. A watchlist match by name alone is not an identification. An alert "
    "ranks what is unusual in this data; it is a lead for an analyst to check against other sources, not "
    "evidence of wrongdoing."
)

STYLE = """
body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#222;margin:0 auto;max-width:1180px;
padding:16px 24px;background:#fff}
h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:22px 0 6px;border-bottom:2px solid #1f4e79;color:#1f4e79}
h3{font-size:14px;margin:10px 0 4px}
.lead{font-size:15px;background:#fff3b0;padding:8px 12px;border-left:5px solid #d62728}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}
table{border-collapse:collapse;font-size:13px;margin:4px 0}th,td{border:1px solid #ccd;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#eef2f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}
ul.reasons li{margin:3px 0}.muted{color:#666}.warn{color:#b00}
img.timeline{width:100%;border:1px solid #ccd}
iframe.map{width:100%;height:MAPHpx;border:1px solid #ccd}
.card{border:1px solid #ccd;border-radius:4px;padding:6px 10px;margin:6px 0}
.card.focus{border-color:#d62728;background:#fffaf0}
.disclaimer{background:#f4f4f4;padding:8px 12px;font-size:13px}
"""
#: Height of the map frame; the map inside is 20 px less, fixed so that it fits its bounds at once.
MAP_HEIGHT_PX = 580
STYLE = STYLE.replace("MAPH", str(MAP_HEIGHT_PX))

#: AIS ship-type codes, by tens (first digit 2-9), with the special 3x and 5x codes.
_TYPE_TENS = {2: "wing in ground", 4: "high-speed craft", 6: "passenger", 7: "cargo", 8: "tanker", 9: "other type"}
_TYPE_CODES = {30: "fishing", 31: "towing", 32: "towing (large)", 33: "dredging or underwater ops", 34: "diving ops",
               35: "military ops", 36: "sailing", 37: "pleasure craft", 50: "pilot vessel", 51: "search and rescue",
               52: "tug", 53: "port tender", 54: "anti-pollution", 55: "law enforcement", 58: "medical transport",
               59: "non-combatant (RR 18)"}
_HAZARD = {1: "hazardous cat. X", 2: "hazardous cat. Y", 3: "hazardous cat. Z", 4: "hazardous cat. OS"}


def esc(v) -> str:
    """Escaped text of a value ('' for None/NaN/NA)."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    return html.escape(str(v), quote=True)


def _num(v, spec: str = ",.1f", unit: str = "") -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if not np.isfinite(f) else f"{f:{spec}}{unit}"


def _time(v) -> str:
    if v is None or v is pd.NaT or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return pd.Timestamp(v).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def type_text(code) -> str:
    """'80 tanker', '37 pleasure craft', '' for a missing code."""
    if code is None or pd.isna(code):
        return ""
    c = int(code)
    name = _TYPE_CODES.get(c) or _TYPE_TENS.get(c // 10, "reserved / unknown")
    hz = _HAZARD.get(c % 10) if c // 10 in _TYPE_TENS else None
    return f"{c} {name}" + (f", {hz}" if hz else "")


def flag_of(mmsi: int) -> str:
    """The flag the MMSI's MID stands for ('Panama (MID 352)'), or why there is none."""
    from vesseltrack.detect.identity import mid_table

    m = int(mmsi) % 1_000_000_000
    if not 100_000_000 <= m <= 999_999_999:
        return "none: not a 9-digit MMSI"
    mid = m // 1_000_000
    t = mid_table()
    hit = t[t["mid"].to_numpy() == mid]
    if len(hit):
        return f"{hit['country'].iloc[0]} (MID {mid})"
    return f"none: {mid} is not a ship-station MID (first digit 2-7); a coast station, SAR craft, AtoN or a made-up number"  # noqa: E501


def _table(header: list[str], rows: list[list[str]], numeric: set[int] | frozenset = frozenset()) -> str:
    """An HTML table; the cells must already be escaped."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td class='n'>{c}</td>" if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv(rows: list[tuple[str, str]]) -> str:
    """A two-column key/value table of the rows whose value is not empty (values already escaped)."""
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows if v != "") + "</table>"


# --- identity ------------------------------------------------------------------------------------

def broadcast_history(track: pd.DataFrame, col: str) -> pd.DataFrame:
    """Each distinct value of ``col`` the vessel broadcast, with first and last heard and reports,
    in the order first heard."""
    s = track[col]
    s = s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s
    ok = s.notna().to_numpy()
    if not ok.any():
        return pd.DataFrame(columns=["value", "first", "last", "reports"])
    g = track.loc[ok, "timestamp"].groupby(s[ok].astype(str).to_numpy(), sort=False)
    out = pd.DataFrame({"first": g.min(), "last": g.max(), "reports": g.size()})
    return out.rename_axis("value").reset_index().sort_values(["first", "value"], kind="stable")


def identity_card(result, mmsi: int, track: pd.DataFrame) -> str:
    """Who the vessel says it is: MMSI, flag from the MID, last name and IMO, type, dimensions, draught."""
    v = result.vessels[result.vessels["mmsi"].to_numpy() == int(mmsi)]
    p: Any = v.iloc[0] if len(v) else pd.Series(dtype=object)
    shared = int(mmsi) >= 1_000_000_000
    n_dr = int(p.get("draught_changes", 0) or 0)
    return _kv([
        ("MMSI", esc(int(mmsi) % 1_000_000_000) + (" (the second ship found using this MMSI)" if shared else "")),
        ("flag (from MID)", esc(flag_of(mmsi))),
        ("name (last heard)", esc(p.get("vessel_name"))), ("IMO (last heard)", esc(p.get("imo"))),
        ("type", esc(type_text(p.get("vessel_type")))), ("population", esc(p.get("population"))),
        ("length x beam", esc(f"{_num(p.get('length_m'), '.0f')} m x {_num(p.get('width_m'), '.0f')} m")
         if _num(p.get("length_m")) else "not broadcast"),
        ("draught", esc(f"{_num(p.get('min_draught_m'), '.1f')} to {_num(p.get('max_draught_m'), '.1f')} m, "
                        f"changed {n_dr} time{'' if n_dr == 1 else 's'}") if _num(p.get("max_draught_m"))
         else "never broadcast"),
        ("dimensions plausible", esc({True: "yes", False: "no"}.get(p.get("dimensions_plausible"), ""))),
        ("heard", esc(f"{len(track):,} reports from {_time(track['timestamp'].iloc[0])} to "
                      f"{_time(track['timestamp'].iloc[-1])}") if len(track) else ""),
        ("AIS class", esc(", ".join(sorted(track["ais_class"].astype(object).dropna().astype(str).unique())))),
    ])


def history_html(track: pd.DataFrame) -> str:
    """Every name, IMO, call sign, type and destination broadcast, with when and how often."""
    parts = []
    for col, label in (("vessel_name", "names"), ("imo", "IMO numbers"), ("call_sign", "call signs"),
                       ("vessel_type", "types"), ("destination", "destinations")):
        h = broadcast_history(track, col)
        if col == "vessel_type":
            h["value"] = [type_text(int(x)) for x in h["value"]]
        n = len(h)
        changed = n > 1 and col in ("vessel_name", "imo", "call_sign", "vessel_type")
        cls = " class='warn'" if changed else ""
        shown = label if n != 1 else label[:-1]
        title = f"<h3{cls}>{n} {shown}{' (changed during the data)' if changed else ''}</h3>" if n else ""
        rows = [[esc(r.value), esc(_time(r.first)), esc(_time(r.last)), esc(f"{r.reports:,}")]
                for r in h.head(20).itertuples(index=False)]
        head = [label[:-1], "first heard", "last heard", "reports"]
        parts.append(f"<div>{title}{_table(head, rows, {3})}</div>" if rows
                     else f"<div><h3>{label}</h3><p class='muted'>none broadcast</p></div>")
    return f"<div class='grid'>{''.join(parts)}</div>"


# --- reasons and figures -------------------------------------------------------------------------

#: Figures shown for an event, in this order: (column, label, format, unit); missing ones are left out.
EVENT_FIGURES = (
    ("duration_h", "duration", ",.1f", " h"), ("distance_m", "distance start to end", "km", ""),
    ("implied_speed_kn", "speed needed across it", ",.1f", " kn"),
    ("typical_speed_kn", "ship's typical speed", ",.1f", " kn"),
    ("spare_h", "time to spare for a detour", ",.0f", " h"), ("reachable_ports", "sensitive ports it could have reached", "s", ""),  # noqa: E501
    ("likely_dark", "likely dark (not explained by reception)", "b", ""), ("gap_kind", "kind", "s", ""),
    ("in_port", "in port", "b", ""), ("context", "where", "s", ""), ("port", "port / nearest sensitive port", "s", ""),
    ("port_sensitive", "sensitive port", "b", ""), ("start_shore_km", "from shore at start", ",.0f", " km"),
    ("end_shore_km", "from shore at end", ",.0f", " km"),
    ("positions_before_12h", "reports in the 12 h before", ",.0f", ""),
    ("positions_after_12h", "reports in the 12 h after", ",.0f", ""),
    ("reception_start_per_h", "reception at start (reports/h, all ships)", ",.1f", ""),
    ("reception_end_per_h", "reception at end (reports/h, all ships)", ",.1f", ""),
    ("silence_per_day_log10", "ships there go silent this long", "rare", ""),
    ("others_heard", "other ships heard there meanwhile", ",.0f", ""),
    ("at_extent_edge", "at the edge of the data's extent", "b", ""),
    ("draught_before_m", "draught before", ".1f", " m"), ("draught_after_m", "draught after", ".1f", " m"),
    ("other_mmsi", "other vessel (MMSI)", "s", ""), ("other_vessel_name", "other vessel", "s", ""),
    ("median_separation_m", "median separation", ",.0f", " m"), ("median_speed_kn", "median speed", ",.1f", " kn"),
    ("possible_dark_sts", "possible dark ship-to-ship", "b", ""),
    ("max_implied_speed_kn", "fastest implied speed", ",.0f", " kn"), ("jump_distance_m", "jump", "km", ""),
    ("name_before", "name before", "s", ""), ("name_after", "name after", "s", ""),
    ("imo_before", "IMO before", "s", ""), ("imo_after", "IMO after", "s", ""),
    ("destination_before", "destination before", "s", ""), ("destination_after", "destination after", "s", ""),
    ("score", "event score (0-1)", ".3f", ""),
)


def _figure(v, fmt: str, unit: str) -> str:
    if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if fmt == "s":
        return esc(v)
    if fmt == "b":
        return "yes" if bool(v) else "no"
    if fmt == "km":
        return esc(_num(float(v) / 1000.0, ",.1f", " km"))
    if fmt == "rare":
        return esc(f"once in ~{10 ** -float(v):,.0f} ship-days") if float(v) < 0 else "often"
    return esc(_num(v, fmt, unit))


def event_card(r: pd.Series, focus: bool) -> str:
    """One event as a card: type, times, its reasons and the figures behind them."""
    closed = not (r["event_type"] == "gap" and pd.isna(r.get("end_lat")))
    when = f"{_time(r['start_time'])} to {_time(r['end_time']) if closed else 'the end of the data (still open)'}"
    rows = [(label, _figure(r.get(col), fmt, unit)) for col, label, fmt, unit in EVENT_FIGURES if col in r.index]
    end = f"{_num(r['end_lat'], '.3f')}, {_num(r['end_lon'], '.3f')}" if closed else "?"
    rows.insert(0, ("from / to", esc(f"{_num(r['start_lat'], '.3f')}, {_num(r['start_lon'], '.3f')} -> {end}")))
    rows += satellite_rows(r)
    reasons = f"<p>{esc(r['reasons'])}</p>" if esc(r.get("reasons")) else ""
    kind = str(r["event_type"]).replace("_", " ") + ("" if closed else " (open)")
    return (f"<div class='card{' focus' if focus else ''}'><b>{esc(kind)}</b> {esc(when)}{reasons}"
            f"{_kv(rows)}</div>")


def satellite_rows(r: pd.Series) -> list[tuple[str, str]]:
    """For a likely-dark gap or an STS at sea (events with search columns, satellite.py): the area and
    time window to search, and links to Sentinel-1 radar and Sentinel-2 optical imagery of them in
    the Copernicus Browser (opened by the reader; nothing is fetched to make the page)."""
    url1, url2 = r.get("sentinel1_url"), r.get("sentinel2_url")
    if not isinstance(url1, str) or not url1:
        return []
    box = (f"lat {_num(r['search_min_lat'], '.2f')} to {_num(r['search_max_lat'], '.2f')}, "
           f"lon {_num(r['search_min_lon'], '.2f')} to {_num(r['search_max_lon'], '.2f')}")
    links = " · ".join(f"<a href='{esc(u)}' target='_blank' rel='noopener noreferrer'>{label}</a>"
                       for u, label in ((url1, "Sentinel-1 radar (sees ships with AIS off)"),
                                        (url2, "Sentinel-2 optical")) if isinstance(u, str) and u)
    return [("satellite check: area to search", esc(box)),
            ("satellite check: window", esc(f"{_time(r['search_start'])} to {_time(r['search_end'])}")),
            ("satellite check: imagery", links)]


def _voyage_figures(result, ref_id: str) -> str:
    v = result.voyages[result.voyages["voyage_id"].to_numpy(dtype=object) == ref_id]
    if not len(v):
        return ""
    r: Any = v.iloc[0]
    dr = float(r["draught_change_m"])
    rows = [("voyage", esc(r["ports"])), ("from / to", esc(f"{_time(r['start_time'])} to {_time(r['end_time'])}")),
            ("distance", _figure(r["distance_m"], "km", "")), ("duration", _figure(r["duration_h"], ",.1f", " h")),
            ("reports", _figure(r["n_positions"], ",.0f", "")),
            ("reports per hour", _figure(r["positions_per_h"], ",.1f", "")),
            ("gaps / dark hours", esc(f"{int(r['n_gaps'])} / {_num(r['dark_hours'], ',.0f')} h")),
            ("likely dark hours", _figure(r["likely_dark_hours"], ",.0f", " h")),
            ("draught change", _figure(dr if abs(np.nan_to_num(dr)) >= 0.05 else None, "+.1f", " m")),
            ("ship-to-ship hours", _figure(r["encounter_hours"], ",.1f", " h")),
            ("loitering hours", _figure(r["loitering_hours"], ",.1f", " h")),
            ("sensitive port calls", _figure(r["sensitive_port_calls"], ",.0f", "")),
            ("identity issues", esc(r["identity_issues"])), ("voyage score (0-1)", _figure(r["score"], ".3f", "")),
            ("what drove the score (feature=contribution)", esc(r["contributions"]))]
    return "<h3>the voyage</h3>" + _kv([(k, val) for k, val in rows if val not in ("", "0", "0 h", "0.0 h", "0 / 0 h")])


_CONTINUATION = re.compile(r"^[^:]{1,40} \d+(\.\d+)? h$")


def reason_list(reasons) -> list[str]:
    """The reasons of an alert one by one: split at ';', a 'PORT 58 h' continuation kept with the
    list it continues ('could have reached A 58 h; B 58 h'), repeats dropped."""
    out: list[str] = []
    for part in (p.strip() for p in str(reasons or "").split(";")):
        if not part:
            continue
        if out and _CONTINUATION.match(part) and _CONTINUATION.search(out[-1].rsplit(";", 1)[-1].strip()):
            out[-1] += "; " + part
        elif not any(part in o for o in out):
            out.append(part)
    return out


def alert_lead(alert) -> str:
    """The alert's lead line and its reasons one by one."""
    if alert is None:
        return ("<p class='lead'>No alert for this vessel in this run. Alerts list merchant ships (all vessels "
                "with --all-vessels) whose voyage carries a finding (a likely-dark gap, ship-to-ship, spoofing, an "
                "identity clash, a sensitive port call, a watchlist match) and scores at least --min-score. "
                "What was seen follows.</p>")
    reasons = reason_list(alert["reasons"])
    lead = (f"<p class='lead'><b>Alert #{int(alert['rank'])}</b>, score {float(alert['score']):.3f} (0-1): "
            f"{esc(alert['subject'])} {esc(alert['ports'])}, {esc(_time(alert['start_time']))} to "
            f"{esc(_time(alert['end_time']))}</p>")
    items = "".join(f"<li>{esc(s)}</li>" for s in reasons) or "<li class='muted'>no reason recorded</li>"
    n = len(reasons)
    return lead + f"<h3>why: {n} reason{'' if n == 1 else 's'}</h3><ul class='reasons'>{items}</ul>"


def figures_html(result, mmsi: int, alert, events: pd.DataFrame) -> str:
    """The figures of the voyage and events behind the alert (the subject event, and likely-dark gaps,
    highlighted); without an alert, those of the vessel's highest-scoring voyage."""
    intro = ""
    if alert is None:
        v = result.voyages[result.voyages["mmsi"].to_numpy() == mmsi]
        v = v[v["score"].notna().to_numpy()]
        if not len(v):
            return "<p class='muted'>No alert, and no scored voyage: see all events below.</p>"
        best = v.sort_values(["score", "start_time"], ascending=[False, True], kind="stable").iloc[0]
        ref = best["voyage_id"]
        intro = (f"<p>Not an alert. The vessel's highest-scoring voyage, score {float(best['score']):.3f}: "
                 f"{esc(best['reasons']) or 'no reason recorded'}.</p>")
    else:
        ref = alert["ref_id"]
    mine = (events["voyage_id"].to_numpy(dtype=object) == ref) | (events["event_id"].to_numpy(dtype=object) == ref)
    behind = events[mine]
    cards = "".join(event_card(r, r["event_id"] == ref or r["likely_dark"] is True) for _, r in behind.iterrows())
    head = f"<h3>the events behind it ({len(behind)})</h3>" if cards else ""
    return intro + _voyage_figures(result, ref) + head + cards


# --- cargo, watchlist, parameters ----------------------------------------------------------------

def _range(r, what: str, unit: str) -> str:
    lo, mid, hi = (r.get(f"{what}_{k}") for k in ("low", "central", "high"))
    if not _num(mid):
        return ""
    return esc(f"{_num(mid, ',.0f')} {unit} ({_num(lo, ',.0f')} to {_num(hi, ',.0f')})")


def cargo_html(result, mmsi: int) -> str:
    """The vessel's cargo operations with their ranges and basis, or why it has no estimate."""
    c = result.cargo[result.cargo["mmsi"].to_numpy() == int(mmsi)].sort_values("start_time", kind="stable")
    if not len(c):
        v = result.vessels[result.vessels["mmsi"].to_numpy() == int(mmsi)]
        note = v["cargo_note"].iloc[0] if len(v) else None
        why = esc(note) if esc(note) else "no draught change was reported across a port visit, encounter or gap"
        return f"<p class='muted'>No cargo estimate: {why}.</p>"
    rows = []
    for _, r in c.iterrows():
        draught = f"{_num(r['draught_before_m'], '.1f')} → {_num(r['draught_after_m'], '.1f')} m" if _num(
            r["draught_change_m"]) else ""
        trip = f"{esc(r['origin'])} → {esc(r['destination'])}" if esc(r["origin"]) or esc(r["destination"]) else ""
        flags = ", ".join(k for k, col in (("to North Korea", "to_dprk"), ("sensitive route", "sensitive_route"))
                          if r[col] is True)
        rows.append([esc(_time(r["start_time"])), esc(str(r["event_type"]).replace("_", " ")), esc(r["place"]),
                     esc(r["direction"]), esc(r["basis"]), esc(draught), _range(r, "tonnes", "t"),
                     _range(r, "barrels", f"bbl {r['product']}"), trip, esc(flags)])
    return ("<p>Central estimate (low to high): from the reported draught change x tonnes per centimetre "
            "immersion from the ship's dimensions, or a capacity bound (an upper-end figure) where the draught "
            "is not maintained.</p>"
            + _table(["when", "at", "place", "direction", "basis", "draught", "tonnes", "barrels", "trip",
                      "flags"], rows))


def watchlist_html(result, mmsi: int) -> str:
    """The vessel's watchlist matches (reason, strength), or that none was found or none was given."""
    w = result.watchlist_matches
    if w is None:
        return "<p class='muted'>Not screened: no watchlist was given (--watchlist).</p>"
    mine = w[w["mmsi"].to_numpy() == int(mmsi)]
    if not len(mine):
        files = result.summary.get("parameters", {}).get("watchlist_files") or []
        names = ", ".join(Path(str(f)).name for f in files)
        return f"<p>No match on the lists screened{esc(f' ({names})' if names else '')}.</p>"
    rows = [[esc(r["strength"]), esc(r["matched_on"]), esc(r["reason"]), esc(r["list"]), esc(r["listed_name"]),
             esc(r["programs"]), esc(_num(r["similarity"], ".2f"))] for _, r in mine.iterrows()]
    return ("<p>strong = a finding (same IMO or MMSI); name = exact name only; weak = similar name, or an "
            "MMSI the broadcast IMO contradicts.</p>"
            + _table(["strength", "matched on", "reason", "list", "listed name", "programs", "similarity"], rows))


def parameters_html(result) -> str:
    """The run's parameters and inputs, as they are in summary.json."""
    s = result.summary or {}
    params = s.get("parameters", {})
    rows = [(esc(k), esc(json.dumps(v, sort_keys=True, default=str))) for k, v in params.items()
            if v not in (None, (), [], {})]
    files = [f for f in s.get("rows", {}).get("files", [])]
    inputs = ", ".join(f"{Path(str(f.get('file', ''))).name} ({f.get('rows_read', 0):,} rows)" for f in files)
    rows = [("vesseltrack", esc(s.get("vesseltrack_version", ""))), ("inputs", esc(inputs)),
            ("model", esc(json.dumps(s.get("model"), sort_keys=True, default=str)) if s.get("model") else ""),
            *rows]
    return _kv(rows)


# --- embedded timeline and map -------------------------------------------------------------------



def label_ports(m, result, mmsi: int) -> None:
    """Name on the map the sensitive ports the vessel could have reached during a gap (red) and the
    ports it called at (blue), so the map reads without clicking."""
    import folium

    from vesseltrack import maps

    ev = investigate.vessel_events(result, mmsi)
    reach = maps.reachable_port_names(ev.loc[(ev["event_type"] == "gap").to_numpy(), "reachable_ports"])
    visited = set(ev.loc[(ev["event_type"] == "port_visit").to_numpy(), "port"].dropna().astype(str))
    z = maps._gazetteer(result, None).zones
    sel = z[z["port"].isin(reach | visited).to_numpy()].drop_duplicates("port")
    if not len(sel):
        return
    group = folium.FeatureGroup(name="port names", control=False)  # the layer control is already drawn
    for port, lat, lon in zip(sel["port"].astype(str), sel["lat"].to_numpy(float), sel["lon"].to_numpy(float)):
        colour = maps.SENSITIVE_COLOUR if port in reach else "#1f4e79"
        label = (f"<div style='font:bold 11px sans-serif;color:{colour};white-space:nowrap;"
                 f"text-shadow:0 0 2px #fff,0 0 2px #fff'>{html.escape(port)}</div>")
        folium.Marker([lat, lon], icon=folium.DivIcon(html=label, icon_size=(0, 0), icon_anchor=(-7, 7))).add_to(group)
    group.add_to(m)


def map_page(result, mmsi: int) -> str:
    """The one-vessel map as a full HTML page with stable ids (Leaflet inlined when installed)."""
    from vesseltrack import maps

    m = maps.make_map(result, mmsi=mmsi, height=f"{MAP_HEIGHT_PX - 20}px")
    label_ports(m, result, mmsi)
    return maps.map_html(m)  # element ids numbered in order (maps.stable_ids): same map, same bytes


def script_hashes(page: str) -> tuple[list[str], list[str]]:
    """CSP sources for the scripts of ``page``: ('sha256-...' of each inline script, origins of external ones)."""
    inline, external = [], []
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S | re.I):
        src = re.search(r"src=[\"']([^\"']+)", attrs)
        if src:
            external.append(re.sub(r"^(https?://[^/]+).*$", r"\1", src.group(1)))
        else:
            inline.append("'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'")
    return sorted(set(inline)), sorted(set(external))


def timeline_img(result, mmsi: int, focus) -> str:
    from vesseltrack import plots

    png = plots.timeline_png(result, mmsi, focus=focus, dpi=110)
    return (f"<img class='timeline' alt='timeline: speed, draught and reports per hour' "
            f"src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}'>")


# --- the page ------------------------------------------------------------------------------------

def events_table(events: pd.DataFrame) -> str:
    """All the vessel's events, one line each."""
    if not len(events):
        return "<p class='muted'>No events.</p>"
    is_open = ((events["event_type"] == "gap") & events["end_lat"].isna()).to_numpy()
    kinds: list[str] = list(events["event_type"].astype(str).str.replace("_", " ") + np.where(is_open, " (open)", ""))
    rows = [[esc(_time(r["start_time"])), esc(kind),
             esc(_num(r["duration_h"], ",.1f", " h")), esc(r["port"]), esc(r["context"]), esc(_num(r["score"], ".3f")),
             esc(r["reasons"])] for kind, (_, r) in zip(kinds, events.iterrows())]
    return _table(["start", "event", "duration", "port / nearest sensitive port", "where", "score", "reasons"], rows,
                  {2, 5})


def pick_alert(result, mmsi: int, rank: int | None = None):
    """The vessel's alert of that rank (its best-ranked one by default), or None when it has none."""
    a = result.alerts[result.alerts["mmsi"].to_numpy() == int(mmsi)]
    if rank is not None:
        a = a[a["rank"].to_numpy() == int(rank)]
        if not len(a):
            raise ConfigError(f"alert #{rank} is not an alert of MMSI {int(mmsi)}; expected one of its ranks; "
                              "check alerts.csv")
    return a.sort_values("rank").iloc[0] if len(a) else None


def case_file_html(result, mmsi: int, *, rank: int | None = None) -> str:
    """The case file of one vessel, focused on its alert of rank ``rank`` (default: its best-ranked
    alert; a vessel without alert gets a case file too, saying so). Deterministic bytes."""
    mmsi = int(mmsi)
    track = investigate.vessel_track(result, mmsi)
    events = investigate.vessel_events(result, mmsi)
    alert = pick_alert(result, mmsi, rank)
    focus = None if alert is None else (alert["start_time"], alert["end_time"])
    names = track["vessel_name"].astype(object).dropna()
    name = str(names.iloc[-1]) if len(names) else "(no name)"
    others = result.alerts[(result.alerts["mmsi"].to_numpy() == mmsi)]
    others = others[others["rank"].to_numpy() != (-1 if alert is None else int(alert["rank"]))]
    more = (f"<p>Other alerts of this vessel: {esc(', '.join(f'#{r} ({s:.3f})' for r, s in zip(others['rank'], others['score'])))}</p>"  # noqa: E501
            if len(others) else "")
    page = map_page(result, mmsi)
    inline, external = script_hashes(page)
    csp = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; frame-src 'self' about:; "
           f"script-src {' '.join(inline + external) or chr(39) + 'none' + chr(39)}")
    offline = "" if not external else ("<p class='warn'>Leaflet is not installed locally: the map loads it from "
                                       f"{esc(', '.join(external))} and needs the internet.</p>")
    title = f"Case file: {name} (MMSI {mmsi % 1_000_000_000})" + (f", alert #{int(alert['rank'])}" if alert is not None else "")  # noqa: E501
    body = [
        f"<h1>{esc(title)}</h1>",
        f"<div class='grid'><div>{alert_lead(alert)}{more}</div><div><h3>the vessel</h3>"
        f"{identity_card(result, mmsi, track)}</div></div>",
        "<h2>Timeline</h2><p class='muted'>Speed (reported, and implied by consecutive positions: impossible jumps "
        "in red), reported draught and reports per hour over the whole data; gaps shaded and labelled with their "
        "length (hatched when still open at the end of the data); the alert's period in yellow.</p>",
        timeline_img(result, mmsi, focus),
        "<h2>Map</h2><p class='muted'>The track (split at gaps and impossible jumps), gaps as dashed lines, "
        "sensitive ports in red, events and alerts; click a mark for details.</p>" + offline,
        f"<iframe class='map' title='map' sandbox='allow-scripts' srcdoc=\"{html.escape(page, quote=True)}\"></iframe>",
        "<h2>The figures behind the alert</h2>", figures_html(result, mmsi, alert, events),
        "<h2>Identity history (as broadcast)</h2>", history_html(track),
        f"<h2>All events of this vessel ({len(events)})</h2>", events_table(events),
        "<h2>Cargo estimate</h2>", cargo_html(result, mmsi),
        "<h2>Watchlist</h2>", watchlist_html(result, mmsi),
        "<h2>Parameters of the run</h2>", parameters_html(result),
        f"<h2>What AIS can and cannot show</h2><p class='disclaimer'>{esc(DISCLAIMER)}</p>",
    ]
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{esc(csp)}\">"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def case_file_name(alert) -> str:
    return f"alert_{int(alert['rank']):03d}_{int(alert['mmsi'])}.html"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_case_file(result, mmsi: int, path: str | Path, *, rank: int | None = None) -> Path:
    """Write :func:`case_file_html` to ``path``."""
    return _write(Path(path), case_file_html(result, mmsi, rank=rank))


def write_case_files(result, out_dir: str | Path, top: int) -> list[Path]:
    """Case files of the top ``top`` alerts, as ``out_dir/alert_<rank>_<mmsi>.html``."""
    out = Path(out_dir)
    return [write_case_file(result, int(a["mmsi"]), out / case_file_name(a), rank=int(a["rank"]))
            for _, a in result.alerts.head(max(0, int(top))).iterrows()]
