"""Interactive maps of a Result (folium / Leaflet), self-contained and offline by default.

:func:`make_map` draws, on a sea-coloured background with a graticule (1, 5 or 10 degrees by extent)
and no tiles (nothing is fetched when the map is opened):

- land: Natural Earth coasts cut to the data's extent and simplified for it (:mod:`.land`), 1:10m
  for harbours and seas, 1:50m for oceans, so a ship at its berth is seen beside the quay;
- the learnt stop areas (``Result.stop_areas``: ~500 m cells where ships stop, coloured by kind:
  berth, anchorage, marina) and every gazetteer port zone near the data, each in its own layer;
- each vessel's track in its own colour, split at gaps and downsampled to at most
  ``max_points_per_track`` points per vessel (segment ends always kept);
- each gap as a dashed line in the vessel's colour from its last report before to its first after;
- sensitive port zones as red circles (polygons for polygon zones);
- port visits, encounters, loitering, spoofing and identity events as small markers, and alerts as
  red rings, each with a popup giving the vessel, times and the reasons.

``tiles`` adds an online base map (e.g. OpenStreetMap's tile URL, with its attribution) under the
land layer, which is then off by default. Element ids are numbered in order of appearance, so the
same result always gives the same bytes.

Only Leaflet is loaded (no jQuery, Bootstrap or icon fonts). :func:`write_map` inlines Leaflet's JS
and CSS when a local copy is installed (the ``django-js-lib-leaflet`` package from the ``maps``
extra, or Debian's ``libjs-leaflet``), so the HTML file works with no network at all.

Ship-provided strings (names, destinations, reasons) and user zone names are attacker-controlled:
every one is passed through :func:`html.escape` and embedded in the page as a JSON string literal
(folium's own Popup/Tooltip put text inside JavaScript template literals, where ``${...}`` or a
backtick would run, so they are not used).
"""

from __future__ import annotations

import base64
import copy
import html
import json
import os
from collections.abc import Iterator
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from vesseltrack import investigate, zones
from vesseltrack.errors import ConfigError
from vesseltrack.maps import land as _land

LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
SEA_COLOUR = "#d5e5f2"
LAND_COLOUR = "#f2efe6"
COAST_COLOUR = "#9c9682"
GRATICULE_COLOUR = "#a9bccc"
PORT_ZONE_COLOUR = "#4a6378"
#: Stop-area cells by kind (no red, nor a track colour).
STOP_AREA_COLOURS = {"berth": "#00695c", "anchorage": "#d4a017", "marina": "#6d4c41"}
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
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


def js_json(obj) -> str:
    """Compact JSON safe inside a <script> element (<, >, & and ' as \\u escapes, like Jinja's tojson)."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")


@cache
def _script_class():
    from branca.element import Element, Figure, MacroElement

    class _Text(Element):
        """Text put into the page as it is (branca would compile it as a Jinja template: slow for data)."""

        def __init__(self, text: str):
            super().__init__()
            self.text = text

        def render(self, **kwargs) -> str:
            return self.text

    class Script(MacroElement):
        """A JavaScript function expression, called with the parent's Leaflet object."""

        def __init__(self, code: str):
            super().__init__()
            self._name = "Script"
            self.code = code

        def render(self, **kwargs):  # as MacroElement.render (untyped): returns None, not Element's str
            # a Script is rendered as a child (of a map element, in a Figure): see _script
            text = f"({self.code})({cast(Element, self._parent).get_name()});"
            cast(Figure, self.get_root()).script.add_child(_Text(text), name=self.get_name())

    return Script


def _script(folium, parent, code: str) -> None:
    """Add ``code``, a JavaScript function expression, called with ``parent``'s Leaflet object once
    that exists (the code must only hold numbers and :func:`js_json` text)."""
    parent.add_child(_script_class()(code))


#: Panes (z-index) under Leaflet's overlay pane (400): land, then the graticule, then areas, so the
#: order stays right when a layer is switched off and on again.
PANES = {"vt_land": 350, "vt_grid": 360, "vt_areas": 390}


def _add_panes(folium, m) -> None:
    code = "".join(f"m.createPane({js_json(k)}).style.zIndex = {v};" for k, v in PANES.items())
    _script(folium, m, f"function (m) {{ {code} }}")


def _add_geojson(folium, group, geometry: dict, style: dict) -> None:
    """A non-interactive GeoJSON geometry (numbers only) drawn with ``style`` (incl. its pane)."""
    _script(folium, group, f"function (g) {{ L.geoJSON({js_json(geometry)}, "
                           f"{js_json({**style, 'interactive': False})}).addTo(g); }}")


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
    lat0, lat1 = max(np.floor(s / step) * step - step, -85.0), min(np.ceil(n / step) * step + step, 85.0)
    lon0, lon1 = np.floor(w / step) * step - step, np.ceil(e / step) * step + step
    lines = [[[float(lon0), float(lat)], [float(lon1), float(lat)]] for lat in np.arange(lat0, lat1 + step / 2, step)]
    lines += [[[float(lon), float(lat0)], [float(lon), float(lat1)]] for lon in np.arange(lon0, lon1 + step / 2, step)]
    _add_geojson(folium, group, {"type": "MultiLineString", "coordinates": lines},
                 {"color": GRATICULE_COLOUR, "weight": 1, "opacity": 0.8, "pane": "vt_grid"})


def _fill_land(folium, group, box, near: tuple[np.ndarray, np.ndarray]) -> None:
    """Draw the land in ``box`` (:mod:`vesseltrack.maps.land`) into ``group``, under everything else,
    at full detail around the points ``near`` (lat, lon)."""
    geom, tol = _land.land_geometry(box)
    geom = _land.with_detail(geom, tol, near[0], near[1], box)
    if not geom.is_empty:
        rings = _land.geojson_rings(geom, _land.decimals_for(min(tol, _land.DETAIL_TOL)))
        _add_geojson(folium, group, {"type": "MultiPolygon", "coordinates": rings},
                     {"color": COAST_COLOUR, "weight": 1, "opacity": 1.0, "fillColor": LAND_COLOUR, "fillOpacity": 1.0,
                      "pane": "vt_land"})


def _name_of(steps: pd.DataFrame) -> dict[int, str]:
    names = steps[["mmsi", "vessel_name"]].astype({"vessel_name": object}).dropna()
    return cast("dict[int, str]", names.groupby("mmsi")["vessel_name"].last().to_dict())


def vessels_to_show(result, max_vessels: int) -> np.ndarray | None:
    """MMSIs to draw when the fleet has more than ``max_vessels`` vessels (None: all of them):
    vessels with alerts first (by best rank), then those with the highest-scoring events."""
    all_m = investigate.vessel_ids(result)
    if len(all_m) <= max_vessels:
        return None
    a = result.alerts.groupby("mmsi")["rank"].min()
    ev = result.events.groupby("mmsi")["score"].max()
    order = pd.DataFrame({"mmsi": all_m}).assign(
        rank=lambda d: d["mmsi"].map(a).fillna(np.inf), score=lambda d: d["mmsi"].map(ev).fillna(-1.0))
    order = order.sort_values(["rank", "score", "mmsi"], ascending=[True, False, True], kind="stable")
    return order["mmsi"].to_numpy()[:max_vessels]


def make_map(result, *, mmsi: int | None = None, max_points_per_track: int = DEFAULT_MAX_POINTS,
             max_vessels: int = DEFAULT_MAX_VESSELS, tiles: str | None = None, tiles_attribution: str | None = None,
             gazetteer: zones.Gazetteer | None = None, height: str = "100%"):
    """A ``folium.Map`` of the land, port zones, stop areas, tracks, gaps, sensitive ports, events and
    alerts (one vessel with ``mmsi``).

    A fleet of more than ``max_vessels`` vessels is cut down to the vessels with alerts, then those
    with the highest-scoring events (a note on the map says so), to keep the page light.
    ``tiles`` (a tile URL template such as ``"https://tile.openstreetmap.org/{z}/{x}/{y}.png"``, or
    a provider name such as ``"OpenStreetMap"``) adds a background tile layer fetched from the
    internet when the map is opened, credited with ``tiles_attribution`` (HTML; needed for URLs
    other than OpenStreetMap's); by default there is none and the map works offline.
    """
    folium = _folium()
    SafePopup = _safe_popup_class()
    steps, events, alerts, note = _map_subject(result, mmsi, max_vessels)
    bounds = _track_bounds(steps)
    m = _base_map(folium, bounds, height, tiles, tiles_attribution)
    _add_panes(folium, m)
    land = folium.FeatureGroup(name="land (Natural Earth, ~1 km precise)", show=not tiles)
    land.add_to(m)  # filled once the bounds are final
    span = max(bounds[1][0] - bounds[0][0], bounds[1][1] - bounds[0][1])
    step = 1.0 if span <= 30 else 5.0 if span <= 120 else 10.0
    grat = folium.FeatureGroup(name=f"graticule ({step:.0f}°)", control=True)
    grat.add_to(m)

    gaz = _gazetteer(result, gazetteer)
    g = events[(events["event_type"] == "gap").to_numpy() & events["end_lat"].notna().to_numpy()]
    near = _add_sensitive_ports(folium, SafePopup, m, gaz, bounds)
    z = gaz.zones
    reach = reachable_port_names(g["reachable_ports"])
    bounds = _extend(bounds, z.loc[z["port"].isin(reach).to_numpy() & near, ["lat", "lon"]].to_numpy(float))
    box = _land.land_box(bounds)
    _add_port_zones(folium, m, gaz, box)
    _add_stop_areas(folium, m, getattr(result, "stop_areas", None), box)

    colours = _vessel_colours(steps["mmsi"].to_numpy())
    _add_tracks(folium, SafePopup, m, steps, colours, max_points_per_track)
    _add_gaps(folium, SafePopup, m, g, colours)
    _add_events(folium, SafePopup, m, events, colours)
    _add_alerts(folium, SafePopup, m, alerts, _alert_locations(alerts, result.events, steps))

    if note:
        m.get_root().html.add_child(folium.Element(
            "<div style='position:fixed;bottom:36px;left:10px;z-index:1000;background:white;padding:3px 6px;"
            f"font:12px sans-serif;border:1px solid #999'>{html.escape(note)}</div>"), name="vesseltrack_note")
    folium.LayerControl(collapsed=False).add_to(m)
    _fill_land(folium, land, box, _berths(result, events))
    _graticule(folium, grat, bounds, step)
    m.fit_bounds(bounds)
    _refit_on_load(folium, m, bounds)
    return m


def _refit_on_load(folium, m, bounds) -> None:
    """Fit the data again once the page has its final size: a map in a frame (case files) can be
    built before its frame is laid out, and would otherwise stay zoomed out to the whole world."""
    _script(folium, m, f"function (m) {{ window.addEventListener('load', function () {{ m.invalidateSize(); "
                       f"m.fitBounds({js_json([[float(v) for v in b] for b in bounds])}); }}); }}")


def _berths(result, events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of the learnt stop areas and the port calls: where the coast is drawn in detail."""
    sa = getattr(result, "stop_areas", None)
    visits = events[(events["event_type"] == "port_visit").to_numpy()]
    lat = [visits["start_lat"].to_numpy(float)]
    lon = [visits["start_lon"].to_numpy(float)]
    if sa is not None and len(sa):
        lat.append(sa["lat"].to_numpy(float))
        lon.append(sa["lon"].to_numpy(float))
    la, lo = np.concatenate(lat), np.concatenate(lon)
    ok = np.isfinite(la) & np.isfinite(lo)
    return la[ok], lo[ok]


def _map_subject(result, mmsi: int | None, max_vessels: int):
    """(steps, events, alerts, note) to draw: one vessel's, the whole fleet's, or the fleet cut down
    to ``max_vessels`` (:func:`vessels_to_show`) with a note saying so (else None)."""
    shown = vessels_to_show(result, max_vessels) if mmsi is None else None
    if shown is None:
        steps = investigate.track_segments(result, mmsi)
    else:  # tracks are per vessel: work out the steps of the vessels shown only
        some = copy.copy(result)
        some.positions = result.positions[result.positions["mmsi"].isin(shown).to_numpy()]
        steps = investigate.track_segments(some)
    events = result.events if mmsi is None else investigate.vessel_events(result, mmsi)
    alerts = result.alerts if mmsi is None else result.alerts[result.alerts["mmsi"].to_numpy() == int(mmsi)]
    note = None
    if shown is not None:
        n_all = len(investigate.vessel_ids(result))
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


def _base_map(folium, bounds, height: str, tiles: str | None, attribution: str | None = None):
    """The empty map: sea-coloured background, title, Leaflet from the CDN (inlined on writing), optional tiles."""
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = folium.Map(location=centre, tiles=None, zoom_start=6, control_scale=True, height=height, prefer_canvas=True)
    m.default_js = [("leaflet", LEAFLET_JS_URL)]
    m.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    m.get_root().header.add_child(folium.Element(
        f"<style>.folium-map.leaflet-container {{ background: {SEA_COLOUR}; }}</style>"), name="vesseltrack_bg")
    m.get_root().header.add_child(folium.Element("<title>vesseltrack map</title>"), name="vesseltrack_title")
    if tiles:
        if not attribution and "openstreetmap.org" in tiles.lower():
            attribution = OSM_ATTRIBUTION
        try:
            folium.TileLayer(tiles, name="background tiles", attr=attribution or None).add_to(m)
        except ValueError as err:
            raise ConfigError(
                f"tiles {tiles!r} have no attribution; expected the credit their provider asks for; pass it with --tiles-attribution (tiles_attribution=...)"  # noqa: E501
            ) from err
    return m


def _add_sensitive_ports(folium, SafePopup, m, gaz: zones.Gazetteer, bounds, margin: float = 1.0) -> np.ndarray:
    """Draw the sensitive port zones within ``margin`` degrees of ``bounds`` (circles, or polygons for
    polygon zones, and a dot at the centre); return that mask over ``gaz.zones``."""
    z = gaz.zones
    near = (z["sensitive"].to_numpy(bool)
            & (z["lat"].to_numpy() >= bounds[0][0] - margin) & (z["lat"].to_numpy() <= bounds[1][0] + margin)
            & (z["lon"].to_numpy() >= bounds[0][1] - margin) & (z["lon"].to_numpy() <= bounds[1][1] + margin))
    ports = folium.FeatureGroup(name="sensitive ports")
    for i in np.flatnonzero(near).tolist():
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


def _in_box(lat: np.ndarray, lon: np.ndarray, box) -> np.ndarray:
    return (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])


def _stop_area_data(sa: pd.DataFrame) -> list:
    """[[kind index, tooltip, half cell height (deg), [[lat, lon], ...]], ...] per stop area."""
    kinds = list(STOP_AREA_COLOURS)
    rpd = np.round(111_195.0 / sa["cell_m"].to_numpy(float))
    sa = sa.assign(_h=0.5 / rpd).sort_values(["area", "lat", "lon"], kind="stable")
    out = []
    for _, a in sa.groupby("area", sort=True):
        first = a.iloc[0]
        kind = str(first["kind"])
        name = first["name"] if isinstance(first["name"], str) else ""
        n_v = f", {int(a['n_vessels'].max())} vessels" if "n_vessels" in a and a["n_vessels"].notna().any() else ""
        tip = esc(f"{kind} {name}".strip() + f" ({len(a)} cells{n_v})")
        cells = np.round(a[["lat", "lon"]].to_numpy(float), 6).tolist()
        out.append([kinds.index(kind) if kind in kinds else 0, tip, round(float(first["_h"]), 8), cells])
    return out


def _add_stop_areas(folium, m, stop_areas: pd.DataFrame | None, box) -> None:
    """The learnt stop areas (~500 m cells where ships stop: berths, anchorages, marinas), coloured by kind."""
    legend = ", ".join(f"<span style='color:{c}'>&#9632;</span> {k}" for k, c in STOP_AREA_COLOURS.items())
    group = folium.FeatureGroup(name=f"stop areas: {legend}")
    if stop_areas is not None and len(stop_areas):
        sa = stop_areas[_in_box(stop_areas["lat"].to_numpy(float), stop_areas["lon"].to_numpy(float), box)]
        if len(sa):
            colours = js_json(list(STOP_AREA_COLOURS.values()))
            _script(folium, group, (
                f"function (g) {{ var K = {colours}; for (const a of {js_json(_stop_area_data(sa))}) {{ "
                "var h = a[2], st = {color: K[a[0]], weight: 1, opacity: 0.9, fillOpacity: 0.45, pane: 'vt_areas'}; "
                "for (const c of a[3]) { var w = h / Math.cos((Math.floor(c[0]) + 0.5) * Math.PI / 180); "
                "L.rectangle([[c[0] - h, c[1] - w], [c[0] + h, c[1] + w]], st)"
                ".bindTooltip(a[1], {sticky: true}).addTo(g); } } }"))
    group.add_to(m)


def _add_port_zones(folium, m, gaz: zones.Gazetteer, box) -> None:
    """Every port zone of the gazetteer in ``box`` but the sensitive ones (their own layer): circles,
    or polygons for polygon zones, with the port's name."""
    z = gaz.zones
    inside = _in_box(z["lat"].to_numpy(float), z["lon"].to_numpy(float), box)
    idx = np.flatnonzero(~z["sensitive"].to_numpy(bool) & inside)
    circles, polys = [], []
    for i in idx.tolist():
        row = z.iloc[i]
        country = f" ({row['country']})" if isinstance(row["country"], str) else ""
        tip = esc(f"port {row['port']}{country}")
        if i in gaz.polygons:
            for poly in getattr(gaz.polygons[i], "geoms", [gaz.polygons[i]]):
                polys.append([tip, np.round(np.asarray(poly.exterior.coords)[:, ::-1], 5).tolist()])
        else:
            circles.append([round(float(row["lat"]), 5), round(float(row["lon"]), 5), float(row["radius_m"]), tip])
    group = folium.FeatureGroup(name="port zones")
    if circles or polys:
        style = js_json({"color": PORT_ZONE_COLOUR, "weight": 1.5, "opacity": 0.8, "dashArray": "5 4",
                         "fillOpacity": 0.0, "pane": "vt_areas"})
        _script(folium, group, (
            f"function (g) {{ var st = {style}; "
            f"for (const p of {js_json(circles)}) L.circle([p[0], p[1]], Object.assign({{radius: p[2]}}, st))"
            ".bindTooltip(p[3], {sticky: true}).addTo(g); "
            f"for (const p of {js_json(polys)}) L.polygon(p[1], st).bindTooltip(p[0], {{sticky: true}}).addTo(g); }}"))
    group.add_to(m)


def _add_tracks(folium, SafePopup, m, steps: pd.DataFrame, colours: dict[int, str], max_points: int) -> None:
    """Draw the tracks: one multi-polyline per vessel, pieces split at gaps and jumps, downsampled.

    Written as one data array and a loop (folium's PolyLine checks every point in Python and its
    template would be compiled per vessel: too slow for a big fleet): per vessel [colour, popup,
    tooltip, points per piece], and all the points as little-endian int32 (lat, lon) pairs in
    1e-5 degree (~1 m), base64-encoded, in that order."""
    names = _name_of(steps)
    tracks_group = folium.FeatureGroup(name="tracks")
    ds = downsample(_split_jumps(steps), max_points)
    n_positions = steps["mmsi"].value_counts()
    if len(ds):
        mm = ds["mmsi"].to_numpy()
        sg = ds["segment_id"].to_numpy()
        cut = np.flatnonzero((mm[1:] != mm[:-1]) | (sg[1:] != sg[:-1])) + 1
        coords = np.round(np.column_stack([ds["lat"].to_numpy(float), ds["lon"].to_numpy(float)]) * 1e5)
        blob = base64.b64encode(coords.astype("<i4").tobytes()).decode("ascii")
        starts = np.append(0, cut)
        sizes = np.diff(np.append(starts, len(ds)))
        piece_mmsi = mm[starts]
        vcut = np.flatnonzero(piece_mmsi[1:] != piece_mmsi[:-1]) + 1
        data = []
        for lo, hi in zip(np.append(0, vcut), np.append(vcut, len(starts))):
            v = int(piece_mmsi[lo])
            n_pos = int(n_positions.get(v, 0))
            popup = popup_html(f"{names.get(v, '')} ({v})".strip(),
                               [("MMSI", v), ("positions", f"{n_pos:,}"), ("track pieces", hi - lo)])
            data.append([colours[v], popup, esc(f"{names.get(v, '')} {v}".strip()), sizes[lo:hi].tolist()])
        _script(folium, tracks_group, (
            f"function (g) {{ var b = atob({js_json(blob)}), u = new Uint8Array(b.length), k = 0; "
            "for (var i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); var a = new Int32Array(u.buffer); "
            f"for (const t of {js_json(data)}) {{ var lines = t[3].map(function (n) {{ var p = []; "
            "for (var j = 0; j < n; j++, k += 2) p.push([a[k] / 1e5, a[k + 1] / 1e5]); return p; }); "
            "L.polyline(lines, {color: t[0], weight: 2.5, opacity: 0.85}).bindPopup(t[1], {maxWidth: 420})"
            ".bindTooltip(t[2], {sticky: true}).addTo(g); } }"))
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


def _add_shapes(folium, group, kind: str, items: list) -> None:
    """Draw ``items``, [geometry, style, popup HTML, tooltip HTML] each, as Leaflet ``kind``
    ("circleMarker": geometry [lat, lon]; "polyline": [[lat, lon], ...]) from one data array (a
    folium element each would have its script compiled as a template: slow for thousands)."""
    if items:
        _script(folium, group, (
            f"function (g) {{ for (const p of {js_json(items)}) L.{kind}(p[0], p[1])"
            ".bindPopup(p[2], {maxWidth: 420}).bindTooltip(p[3], {sticky: true}).addTo(g); }"))


def _records(df: pd.DataFrame) -> Iterator[Any]:
    """``df.itertuples(index=False)``, its rows typed Any: pandas-stubs types every field as the union
    of all pandas scalars, where each column here holds one kind (numbers, text, timestamps)."""
    return df.itertuples(index=False)


def _f(x) -> float:
    return round(float(x), 5)


def _add_gaps(folium, SafePopup, m, gaps: pd.DataFrame, colours: dict[int, str]) -> None:
    """Draw the closed gaps as dashed lines between their ends, in the vessel's colour."""
    gaps_group = folium.FeatureGroup(name="gaps (AIS silent)")
    items = [[[[_f(r.start_lat), _f(r.start_lon)], [_f(r.end_lat), _f(r.end_lon)]],
              {"color": colours.get(int(r.mmsi), "#555555"), "weight": 3, "opacity": 0.9, "dashArray": "8 6"},
              _gap_popup(r), esc(f"gap {r.duration_h:.0f} h")] for r in _records(gaps)]
    _add_shapes(folium, gaps_group, "polyline", items)
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
    items = []
    for r in _records(other):
        at = [_f(r.start_lat), _f(r.start_lon)]
        if r.event_type == "gap":  # still dark at the end of the data: where it went silent
            items.append([at, {"radius": 6, "color": "#000000", "weight": 2, "fill": True,
                               "fillColor": colours.get(int(r.mmsi), "#555555"), "fillOpacity": 0.9},
                          popup_html(f"AIS off until the end of the data: {r.vessel_name or ''} ({r.mmsi})", [
                              ("since", r.start_time), ("silent for", f"{r.duration_h:.1f} h"),
                              ("reasons", r.reasons), ("reachable ports", r.reachable_ports)]),
                          esc("AIS off, still dark at the end of the data")])
            continue
        colour = EVENT_COLOURS.get(r.event_type, "#333333")
        items.append([at, {"radius": 4, "color": colour, "weight": 1.5, "fill": True, "fillColor": colour,
                           "fillOpacity": 0.7},
                      _event_popup(r), esc(f"{r.event_type.replace('_', ' ')} {r.port or ''}".strip())])
    _add_shapes(folium, ev_group, "circleMarker", items)
    ev_group.add_to(m)


def _add_alerts(folium, SafePopup, m, alerts: pd.DataFrame, places: list[tuple[float, float]]) -> None:
    """Draw the alerts as red rings at ``places`` (:func:`_alert_locations`; NaN: not drawn)."""
    al_group = folium.FeatureGroup(name="alerts")
    items = []
    for r, (alat, alon) in zip(_records(alerts), places):
        if np.isnan(alat):
            continue
        items.append([[_f(alat), _f(alon)], {"radius": 10, "color": ALERT_COLOUR, "weight": 3, "fill": False},
                      popup_html(f"alert #{r.rank}: {r.vessel_name or ''} ({r.mmsi})", [
                          ("score", f"{r.score:.3f}"), ("subject", r.subject), ("ports", r.ports),
                          ("from", r.start_time), ("to", r.end_time), ("reasons", r.reasons)]),
                      esc(f"alert #{r.rank} {r.vessel_name or r.mmsi}")])
    _add_shapes(folium, al_group, "circleMarker", items)
    al_group.add_to(m)


def reachable_port_names(col: pd.Series) -> set[str]:
    """Port names in ``reachable_ports`` cells like 'WONSAN 61 h; HUNGNAM 57 h'."""
    from vesseltrack.detect.reach import port_names

    return set(port_names(col))


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
    for r in _records(alerts):
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


def stable_ids(root) -> None:
    """Number every element under ``root`` 0, 1, 2, ... depth first, in place of folium's random
    ids, so the same map always gives the same bytes."""
    stack, n = [root], 0
    while stack:
        el = stack.pop()
        el._id = str(n)
        n += 1
        stack.extend(reversed(list(el._children.values())))


def map_html(m, *, offline: bool | None = None) -> str:
    """The map's full HTML page, the same bytes for the same map (:func:`stable_ids`). ``offline``: None inlines Leaflet
    when a local copy is installed (else links the CDN), True requires the local copy, False always
    links the CDN."""
    root = m.get_root()
    stable_ids(root)
    page = root.render()
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
