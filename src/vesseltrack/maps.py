"""Interactive maps of a Result (folium / Leaflet), self-contained and offline by default.

:func:`make_map` draws, on a plain sea-coloured background with a graticule (1, 5 or 10 degrees by extent) (no tiles, so
nothing is fetched when the map is opened):

- each vessel's track in its own colour, split at gaps and downsampled to at most
  ``max_points_per_track`` points per vessel (segment ends always kept);
- each gap as a dashed line in the vessel's colour from its last report before to its first after;
- sensitive port zones as red circles (polygons for polygon zones);
- port visits, encounters, loitering, spoofing and identity events as small markers, and alerts as
  red rings, each with a popup giving the vessel, times and the reasons.

Only Leaflet is loaded (no jQuery, Bootstrap or icon fonts). :func:`write_map` inlines Leaflet's JS
and CSS when a local copy is installed (the ``django-js-lib-leaflet`` package from the ``maps``
extra, or Debian's ``libjs-leaflet``), so the HTML file works with no network at all.

Ship-provided strings (names, destinations, reasons) and user zone names are attacker-controlled:
every one is passed through :func:`html.escape` and embedded in the page as a JSON string literal
(folium's own Popup/Tooltip put text inside JavaScript template literals, where ``${...}`` or a
backtick would run, so they are not used).
"""

from __future__ import annotations

import html
import os
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd

from vesseltrack import investigate, zones
from vesseltrack.errors import ConfigError

LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
SEA_COLOUR = "#e6eef5"
GRATICULE_COLOUR = "#b8c4cf"
ALERT_COLOUR = "#d62728"
SENSITIVE_COLOUR = "#d62728"
#: Track colours, one per vessel in MMSI order (cycled); no red, which marks alerts and sensitive ports.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#393b79", "#637939", "#8c6d31", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1")
EVENT_COLOURS = {"port_visit": "#1f4e79", "encounter": "#ff7f0e", "loitering": "#9467bd",
                 "spoofing": "#000000", "identity_clash": "#000000",
                 "feed_artefact": "#9e9e9e"}
DEFAULT_MAX_POINTS = 500
DEFAULT_MAX_VESSELS = 300


def _folium():
    try:
        import folium
    except ImportError as err:
        raise ConfigError(
            "folium is not installed; expected it for maps; install it with pip install 'vesseltrack[maps]'"
        ) from err
    return folium


def esc(v) -> str:
    """HTML-escaped text of a value ('' for missing)."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d %H:%M UTC")
    return html.escape(str(v), quote=True)


def popup_html(title: str, rows: list[tuple[str, object]]) -> str:
    """A small HTML table; ``title`` and every value are escaped here."""
    body = "".join(f"<tr><th style='text-align:left;padding-right:6px'>{html.escape(k)}</th><td>{esc(v)}</td></tr>"
                   for k, v in rows if esc(v) != "")
    return f"<b>{esc(title)}</b><table>{body}</table>"


def _safe_popup_class():
    from branca.element import MacroElement
    from jinja2 import Template

    class SafePopup(MacroElement):
        """bindPopup/bindTooltip with the (already escaped) HTML as a JSON string literal."""

        _template = Template("""
            {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {"maxWidth": 420});
            {%- if this.tooltip %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.tooltip|tojson }}, {"sticky": true});
            {%- endif %}
            {% endmacro %}
        """)

        def __init__(self, html_text: str, tooltip: str | None = None):
            super().__init__()
            self._name = "SafePopup"
            self.html = html_text
            self.tooltip = tooltip

    return SafePopup


def _vessel_colours(mmsis: np.ndarray) -> dict[int, str]:
    u = np.unique(mmsis)
    return {int(m): PALETTE[i % len(PALETTE)] for i, m in enumerate(u)}


def downsample(steps: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """Keep at most about ``max_points`` positions per vessel: every k-th report, plus the first and
    last of each segment (so gaps still join the right ends). Vectorised over the whole fleet."""
    n = len(steps)
    if n == 0 or max_points <= 0:
        return steps
    mmsi = steps["mmsi"].to_numpy()
    seg = steps["segment_id"].to_numpy()
    new_v = np.ones(n, dtype=bool)
    new_v[1:] = mmsi[1:] != mmsi[:-1]
    vid = np.cumsum(new_v) - 1
    starts = np.flatnonzero(new_v)
    counts = np.diff(np.append(starts, n))
    rank = np.arange(n) - starts[vid]
    stride = np.maximum(1, np.ceil(counts / max_points).astype(np.int64))[vid]
    seg_start = new_v.copy()
    seg_start[1:] |= seg[1:] != seg[:-1]
    seg_end = np.append(seg_start[1:], True)
    keep = (rank % stride == 0) | seg_start | seg_end
    return steps[keep]


def _gazetteer(result, gazetteer):
    if gazetteer is not None:
        return gazetteer
    p = result.summary.get("parameters", {}) if result.summary else {}
    try:
        return zones.build_gazetteer(tuple(p.get("zone_files", ())), replace=bool(p.get("replace_ports", False)))
    except ConfigError:  # zone files moved since the run: show the shipped ports
        return zones.build_gazetteer()


def _graticule(folium, group, bounds, step: float = 1.0) -> None:
    (s, w), (n, e) = bounds
    lat0, lat1 = np.floor(s / step) * step - step, np.ceil(n / step) * step + step
    lon0, lon1 = np.floor(w / step) * step - step, np.ceil(e / step) * step + step
    style = dict(color=GRATICULE_COLOUR, weight=1, opacity=0.8, interactive=False)
    for lat in np.arange(lat0, lat1 + step / 2, step):
        folium.PolyLine([[float(lat), float(lon0)], [float(lat), float(lon1)]], **style).add_to(group)
    for lon in np.arange(lon0, lon1 + step / 2, step):
        folium.PolyLine([[float(lat0), float(lon)], [float(lat1), float(lon)]], **style).add_to(group)


def _name_of(steps: pd.DataFrame) -> dict[int, str]:
    names = steps[["mmsi", "vessel_name"]].astype({"vessel_name": object}).dropna()
    return names.groupby("mmsi")["vessel_name"].last().to_dict()


def vessels_to_show(result, max_vessels: int) -> np.ndarray | None:
    """MMSIs to draw when the fleet has more than ``max_vessels`` vessels (None: all of them):
    vessels with alerts first (by best rank), then those with the highest-scoring events."""
    all_m = np.unique(result.positions["mmsi"].to_numpy())
    if len(all_m) <= max_vessels:
        return None
    a = result.alerts.groupby("mmsi")["rank"].min()
    ev = result.events.groupby("mmsi")["score"].max()
    order = pd.DataFrame({"mmsi": all_m}).assign(
        rank=lambda d: d["mmsi"].map(a).fillna(np.inf), score=lambda d: d["mmsi"].map(ev).fillna(-1.0))
    order = order.sort_values(["rank", "score", "mmsi"], ascending=[True, False, True], kind="stable")
    return order["mmsi"].to_numpy()[:max_vessels]


def make_map(result, *, mmsi: int | None = None, max_points_per_track: int = DEFAULT_MAX_POINTS,
             max_vessels: int = DEFAULT_MAX_VESSELS, tiles: str | None = None,
             gazetteer: zones.Gazetteer | None = None, height: str = "100%"):
    """A ``folium.Map`` of the tracks, gaps, sensitive ports, events and alerts (one vessel with ``mmsi``).

    A fleet of more than ``max_vessels`` vessels is cut down to the vessels with alerts, then those
    with the highest-scoring events (a note on the map says so), to keep the page light.
    ``tiles`` (e.g. ``"OpenStreetMap"``) adds a background tile layer fetched from the internet when
    the map is opened; by default there is none and the map works offline.
    """
    folium = _folium()
    SafePopup = _safe_popup_class()
    steps, events, alerts, note = _map_subject(result, mmsi, max_vessels)
    bounds = _track_bounds(steps)
    m = _base_map(folium, bounds, height, tiles)
    span = max(bounds[1][0] - bounds[0][0], bounds[1][1] - bounds[0][1])
    step = 1.0 if span <= 30 else 5.0 if span <= 120 else 10.0
    grat = folium.FeatureGroup(name=f"graticule ({step:.0f}°)", control=True)
    grat.add_to(m)  # drawn first, filled once the bounds are final

    gaz = _gazetteer(result, gazetteer)
    g = events[(events["event_type"] == "gap").to_numpy() & events["end_lat"].notna().to_numpy()]
    near = _add_sensitive_ports(folium, SafePopup, m, gaz, bounds)
    z = gaz.zones
    reach = reachable_port_names(g["reachable_ports"])
    bounds = _extend(bounds, z.loc[z["port"].isin(reach).to_numpy() & near, ["lat", "lon"]].to_numpy(float))

    colours = _vessel_colours(steps["mmsi"].to_numpy())
    _add_tracks(folium, SafePopup, m, steps, colours, max_points_per_track)
    _add_gaps(folium, SafePopup, m, g, colours)
    _add_events(folium, SafePopup, m, events, colours)
    _add_alerts(folium, SafePopup, m, alerts, _alert_locations(alerts, result.events, steps))

    if note:
        m.get_root().html.add_child(folium.Element(
            "<div style='position:fixed;bottom:36px;left:10px;z-index:1000;background:white;padding:3px 6px;"
            f"font:12px sans-serif;border:1px solid #999'>{html.escape(note)}</div>"))
    folium.LayerControl(collapsed=False).add_to(m)
    _graticule(folium, grat, bounds, step)
    m.fit_bounds(bounds)
    return m


def _map_subject(result, mmsi: int | None, max_vessels: int):
    """(steps, events, alerts, note) to draw: one vessel's, the whole fleet's, or the fleet cut down
    to ``max_vessels`` (:func:`vessels_to_show`) with a note saying so (else None)."""
    steps = investigate.track_segments(result, mmsi)
    events = result.events if mmsi is None else investigate.vessel_events(result, mmsi)
    alerts = result.alerts if mmsi is None else result.alerts[result.alerts["mmsi"].to_numpy() == int(mmsi)]
    note = None
    shown = vessels_to_show(result, max_vessels) if mmsi is None else None
    if shown is not None:
        n_all = steps["mmsi"].nunique()
        steps = steps[steps["mmsi"].isin(shown).to_numpy()]
        events = events[events["mmsi"].isin(shown).to_numpy()]
        alerts = alerts[alerts["mmsi"].isin(shown).to_numpy()]
        note = f"showing {len(shown):,} of {n_all:,} vessels: those with alerts first, then the highest-scoring events"
    return steps, events, alerts, note


def _track_bounds(steps: pd.DataFrame) -> list[list[float]]:
    """[[south, west], [north, east]] of the positions (most of the world when there are none)."""
    if len(steps):
        lat, lon = steps["lat"].to_numpy(float), steps["lon"].to_numpy(float)
        return [[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]]
    return [[-60.0, -180.0], [70.0, 180.0]]


def _base_map(folium, bounds, height: str, tiles: str | None):
    """The empty map: sea-coloured background, title, Leaflet from the CDN (inlined on writing), optional tiles."""
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = folium.Map(location=centre, tiles=None, zoom_start=6, control_scale=True, height=height, prefer_canvas=True)
    m.default_js = [("leaflet", LEAFLET_JS_URL)]
    m.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    m.get_root().header.add_child(folium.Element(
        f"<style>.folium-map.leaflet-container {{ background: {SEA_COLOUR}; }}</style>"), name="vesseltrack_bg")
    m.get_root().header.add_child(folium.Element("<title>vesseltrack map</title>"), name="vesseltrack_title")
    if tiles:
        folium.TileLayer(tiles, name="background tiles").add_to(m)
    return m


def _add_sensitive_ports(folium, SafePopup, m, gaz: zones.Gazetteer, bounds, margin: float = 1.0) -> np.ndarray:
    """Draw the sensitive port zones within ``margin`` degrees of ``bounds`` (circles, or polygons for
    polygon zones, and a dot at the centre); return that mask over ``gaz.zones``."""
    z = gaz.zones
    near = (z["sensitive"].to_numpy(bool)
            & (z["lat"].to_numpy() >= bounds[0][0] - margin) & (z["lat"].to_numpy() <= bounds[1][0] + margin)
            & (z["lon"].to_numpy() >= bounds[0][1] - margin) & (z["lon"].to_numpy() <= bounds[1][1] + margin))
    ports = folium.FeatureGroup(name="sensitive ports")
    for i in np.flatnonzero(near):
        row = z.iloc[i]
        tip = popup_html(f"sensitive port {row['port']}", [("country", row["country"])])
        style = dict(color=SENSITIVE_COLOUR, weight=2, fill=True, fill_opacity=0.08, dash_array="4 3")
        if i in gaz.polygons:
            geom = gaz.polygons[i]
            for poly in getattr(geom, "geoms", [geom]):
                shape = folium.Polygon([[y, x] for x, y in poly.exterior.coords], **style)
                shape.add_child(SafePopup(tip, tooltip=esc(row["port"])))
                shape.add_to(ports)
        else:
            shape = folium.Circle([float(row["lat"]), float(row["lon"])], radius=float(row["radius_m"]), **style)
            shape.add_child(SafePopup(tip, tooltip=esc(row["port"])))
            shape.add_to(ports)
        dot = folium.CircleMarker([float(row["lat"]), float(row["lon"])], radius=3, color=SENSITIVE_COLOUR, weight=1,
                                  fill=True, fill_opacity=0.9)
        dot.add_child(SafePopup(tip, tooltip=esc(row["port"])))
        dot.add_to(ports)
    ports.add_to(m)
    return near


def _add_tracks(folium, SafePopup, m, steps: pd.DataFrame, colours: dict[int, str], max_points: int) -> None:
    """Draw the tracks: one multi-polyline per vessel, pieces split at gaps and jumps, downsampled."""
    names = _name_of(steps)
    tracks_group = folium.FeatureGroup(name="tracks")
    ds = downsample(_split_jumps(steps), max_points)
    n_positions = steps["mmsi"].value_counts()
    if len(ds):
        mm = ds["mmsi"].to_numpy()
        sg = ds["segment_id"].to_numpy()
        cut = np.flatnonzero((mm[1:] != mm[:-1]) | (sg[1:] != sg[:-1])) + 1
        coords = np.round(np.column_stack([ds["lat"].to_numpy(float), ds["lon"].to_numpy(float)]), 5)
        pieces = np.split(coords, cut)
        piece_mmsi = mm[np.append(0, cut)]
        vcut = np.flatnonzero(piece_mmsi[1:] != piece_mmsi[:-1]) + 1
        for lo, hi in zip(np.append(0, vcut), np.append(vcut, len(pieces))):
            v = int(piece_mmsi[lo])
            lines = [p.tolist() for p in pieces[lo:hi]]
            n_pos = int(n_positions.get(v, 0))
            line = folium.PolyLine(lines, color=colours[v], weight=2.5, opacity=0.85)
            line.add_child(SafePopup(popup_html(f"{names.get(v, '')} ({v})".strip(),
                                                [("MMSI", v), ("positions", f"{n_pos:,}"), ("track pieces", hi - lo)]),
                                     tooltip=esc(f"{names.get(v, '')} {v}".strip())))
            line.add_to(tracks_group)
    tracks_group.add_to(m)


def _gap_popup(r) -> str:
    """Popup of a closed gap (a row of the events table)."""
    return popup_html(
        f"gap: {r.vessel_name or ''} ({r.mmsi})",
        [
            ("from", r.start_time),
            ("to", r.end_time),
            ("duration", f"{r.duration_h:.1f} h"),
            ("score", None if pd.isna(r.score) else f"{r.score:.3f}"),
            ("reasons", r.reasons),
            ("reachable ports", r.reachable_ports),
            ("spare time", None if pd.isna(r.spare_h) else f"{r.spare_h:.1f} h"),
            (
                "draught",
                None
                if pd.isna(r.draught_before_m)
                else f"{r.draught_before_m:.1f} m -> {r.draught_after_m:.1f} m",
            ),
            (
                "destination",
                None
                if r.destination_before is None
                else f"{r.destination_before} -> {r.destination_after}",
            ),
            ("name", None if r.name_before == r.name_after else f"{r.name_before} -> {r.name_after}"),
        ],
    )


def _add_gaps(folium, SafePopup, m, gaps: pd.DataFrame, colours: dict[int, str]) -> None:
    """Draw the closed gaps as dashed lines between their ends, in the vessel's colour."""
    gaps_group = folium.FeatureGroup(name="gaps (AIS silent)")
    for r in gaps.itertuples(index=False):
        line = folium.PolyLine([[r.start_lat, r.start_lon], [r.end_lat, r.end_lon]],
                               color=colours.get(int(r.mmsi), "#555555"), weight=3, opacity=0.9, dash_array="8 6")
        line.add_child(SafePopup(_gap_popup(r), tooltip=esc(f"gap {r.duration_h:.0f} h")))
        line.add_to(gaps_group)
    gaps_group.add_to(m)


def _event_popup(r) -> str:
    """Popup of an event other than a gap (a row of the events table)."""
    return popup_html(
        f"{r.event_type.replace('_', ' ')}: {r.vessel_name or ''} ({r.mmsi})",
        [
            ("port", r.port),
            ("from", r.start_time),
            ("to", r.end_time),
            ("duration", f"{r.duration_h:.1f} h"),
            ("other vessel", r.other_mmsi),
            ("reasons", r.reasons),
            (
                "draught",
                None
                if pd.isna(r.draught_before_m)
                else f"{r.draught_before_m:.1f} m -> {r.draught_after_m:.1f} m",
            ),
        ],
    )


def _add_events(folium, SafePopup, m, events: pd.DataFrame, colours: dict[int, str]) -> None:
    """Draw port visits and the other events as small markers, and open gaps where the ship went silent."""
    ev_group = folium.FeatureGroup(name="port visits and other events")
    open_gap = (events["event_type"] == "gap").to_numpy() & events["end_lat"].isna().to_numpy()
    other = events[(events["event_type"] != "gap").to_numpy() | open_gap]
    for r in other.itertuples(index=False):
        if r.event_type == "gap":  # still dark at the end of the data: where it went silent
            mk = folium.CircleMarker([r.start_lat, r.start_lon], radius=6, color="#000000", weight=2, fill=True,
                                     fill_color=colours.get(int(r.mmsi), "#555555"), fill_opacity=0.9)
            mk.add_child(SafePopup(popup_html(f"AIS off until the end of the data: {r.vessel_name or ''} ({r.mmsi})", [
                ("since", r.start_time), ("silent for", f"{r.duration_h:.1f} h"), ("reasons", r.reasons),
                ("reachable ports", r.reachable_ports)]), tooltip=esc("AIS off, still dark at the end of the data")))
            mk.add_to(ev_group)
            continue
        colour = EVENT_COLOURS.get(r.event_type, "#333333")
        mk = folium.CircleMarker([r.start_lat, r.start_lon], radius=4, color=colour, weight=1.5, fill=True,
                                 fill_color=colour, fill_opacity=0.7)
        mk.add_child(SafePopup(_event_popup(r),
                               tooltip=esc(f"{r.event_type.replace('_', ' ')} {r.port or ''}".strip())))
        mk.add_to(ev_group)
    ev_group.add_to(m)


def _add_alerts(folium, SafePopup, m, alerts: pd.DataFrame, places: list[tuple[float, float]]) -> None:
    """Draw the alerts as red rings at ``places`` (:func:`_alert_locations`; NaN: not drawn)."""
    al_group = folium.FeatureGroup(name="alerts")
    for r, (alat, alon) in zip(alerts.itertuples(index=False), places):
        if np.isnan(alat):
            continue
        mk = folium.CircleMarker([alat, alon], radius=10, color=ALERT_COLOUR, weight=3, fill=False)
        mk.add_child(SafePopup(popup_html(f"alert #{r.rank}: {r.vessel_name or ''} ({r.mmsi})", [
            ("score", f"{r.score:.3f}"), ("subject", r.subject), ("ports", r.ports), ("from", r.start_time),
            ("to", r.end_time), ("reasons", r.reasons)]), tooltip=esc(f"alert #{r.rank} {r.vessel_name or r.mmsi}")))
        mk.add_to(al_group)
    al_group.add_to(m)


def reachable_port_names(col: pd.Series) -> set[str]:
    """Port names in ``reachable_ports`` cells like 'WONSAN 61 h; HUNGNAM 57 h'."""
    txt = col.dropna().astype(str)
    if not len(txt):
        return set()
    parts = txt.str.split(";").explode().str.strip()
    return set(parts.str.replace(r"\s+\d+(\.\d+)?\s*h$", "", regex=True).str.strip()) - {""}


def _extend(bounds, latlon: np.ndarray):
    if not len(latlon):
        return bounds
    return [[min(bounds[0][0], float(latlon[:, 0].min())), min(bounds[0][1], float(latlon[:, 1].min()))],
            [max(bounds[1][0], float(latlon[:, 0].max())), max(bounds[1][1], float(latlon[:, 1].max()))]]


#: A step faster than this (and longer than JUMP_MIN_M) is not drawn: no ship sails it, so it is a
#: spoofed position or two ships sharing an MMSI, and a line would cross the map.
JUMP_KN = 50.0
JUMP_MIN_M = 20_000.0


def _split_jumps(steps: pd.DataFrame) -> pd.DataFrame:
    """Steps whose ``segment_id`` also restarts at impossible jumps (for drawing only)."""
    if not len(steps):
        return steps
    jump = ((steps["implied_speed_kn"].to_numpy() > JUMP_KN) & (steps["distance_m"].to_numpy() > JUMP_MIN_M))
    new_v = np.ones(len(steps), dtype=bool)
    new_v[1:] = steps["mmsi"].to_numpy()[1:] != steps["mmsi"].to_numpy()[:-1]
    new_seg = new_v.copy()
    new_seg[1:] |= steps["segment_id"].to_numpy()[1:] != steps["segment_id"].to_numpy()[:-1]
    piece = np.cumsum(new_seg | jump)
    return steps.assign(segment_id=piece)


def _alert_locations(alerts: pd.DataFrame, events: pd.DataFrame, steps: pd.DataFrame) -> list[tuple[float, float]]:
    """Where to draw each alert: the start of its event; for a voyage, the start of its longest gap,
    else the vessel's first position in the voyage."""
    ev = events.set_index("event_id", drop=False)
    gaps = events[events["event_type"] == "gap"].sort_values("duration_h", ascending=False, kind="stable")
    longest = gaps.drop_duplicates("voyage_id").set_index("voyage_id")
    ts = steps["timestamp"]
    out = []
    for r in alerts.itertuples(index=False):
        if r.ref_id in ev.index:
            e = ev.loc[r.ref_id]
            out.append((float(e["start_lat"]), float(e["start_lon"])))
        elif r.ref_id in longest.index:
            e = longest.loc[r.ref_id]
            out.append((float(e["start_lat"]), float(e["start_lon"])))
        else:
            sel = np.flatnonzero((steps["mmsi"].to_numpy() == r.mmsi) & (ts >= r.start_time).to_numpy())
            out.append(
                (float(steps["lat"].iloc[sel[0]]), float(steps["lon"].iloc[sel[0]])) if len(sel) else (np.nan, np.nan)
            )
    return out


# --- writing -------------------------------------------------------------------------------------

def local_leaflet() -> tuple[Path, Path] | None:
    """Paths of a locally installed leaflet.js and leaflet.css, or None.

    Looked for in ``$VESSELTRACK_LEAFLET_DIR``, the ``django-js-lib-leaflet`` package (maps extra)
    and Debian's ``libjs-leaflet`` (/usr/share/javascript/leaflet)."""
    dirs = []
    if os.environ.get("VESSELTRACK_LEAFLET_DIR"):
        dirs.append(Path(os.environ["VESSELTRACK_LEAFLET_DIR"]))
    spec = find_spec("js_lib_leaflet")
    if spec is not None and spec.submodule_search_locations:
        dirs.extend(Path(p) / "static" / "js_lib_leaflet" for p in spec.submodule_search_locations)
    dirs.append(Path("/usr/share/javascript/leaflet"))
    for d in dirs:
        js, css = d / "leaflet.js", d / "leaflet.css"
        if js.is_file() and css.is_file():
            return js, css
    return None


def map_html(m, *, offline: bool | None = None) -> str:
    """The map's full HTML page. ``offline``: None inlines Leaflet when a local copy is installed
    (else links the CDN), True requires the local copy, False always links the CDN."""
    page = m.get_root().render()
    if offline is False:
        return page
    found = local_leaflet()
    if found is None:
        if offline:
            raise ConfigError(
                "no local copy of Leaflet found for an offline map; expected leaflet.js and leaflet.css; install them with pip install 'vesseltrack[maps]' (django-js-lib-leaflet) or apt-get install libjs-leaflet, or set VESSELTRACK_LEAFLET_DIR"  # noqa: E501
            )
        return page
    js = found[0].read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = found[1].read_text(encoding="utf-8").replace("</style", "<\\/style")
    js_tag = f'<script src="{LEAFLET_JS_URL}"></script>'
    css_tag = f'<link rel="stylesheet" href="{LEAFLET_CSS_URL}"/>'
    if js_tag not in page or css_tag not in page:  # pragma: no cover - folium changed its markup
        raise ConfigError(f"cannot inline Leaflet: the page from folium has no {js_tag!r}; pass offline=False")
    return page.replace(js_tag, f"<script>{js}</script>").replace(css_tag, f"<style>{css}</style>")


def write_map(result, path: str | Path, *, offline: bool | None = None, **kwargs) -> Path:
    """Write :func:`make_map` as a single HTML file (keyword arguments go to make_map)."""
    path = Path(path)
    text = map_html(make_map(result, **kwargs), offline=offline)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


__all__ = ["downsample", "esc", "local_leaflet", "make_map", "map_html", "popup_html", "write_map"]
