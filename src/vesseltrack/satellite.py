"""Where and when to look in satellite imagery: search areas and Copernicus Browser links.

Radar sees ships whose transponders are off, and imagery is how investigators confirm what AIS
hides. For each likely-dark gap and each ship-to-ship (STS) candidate at sea, this module gives
the area the ship could have been in and the time window to search, plus links that open the
Copernicus Browser on that area and those dates for Sentinel-1 radar and Sentinel-2 optical
imagery. Links only: nothing is fetched at run time.

- A closed gap of ``T`` hours by a ship that sustains ``v`` knots (``typical_speed_kn``, see
  detect/reach.py): every point P it could have reached and still be heard again where it was
  satisfies ``d(start, P) + d(P, end) <= v * T``, an ellipse with the two ends as foci (semi-major
  axis ``a = v T / 2``, semi-minor ``b = sqrt(a^2 - c^2)``, ``c`` half the distance between the
  ends). When the ship covered the distance faster than ``v`` (``a < c``), ``a = c``: the segment.
- An open gap (still silent at the end of the data): the circle of radius ``v * T`` around its
  start, ``T`` running up to the end of the data.
- An STS candidate at sea: a box of :data:`STS_HALF_KM` around the median position of the pair.

The area is given as a bounding box (``search_min_lat`` .. ``search_max_lon``), computed on a
local equirectangular plane with the cosine of the box's most poleward latitude (it never cuts
the ellipse), rounded outwards to 1e-4 degrees, latitudes clipped to [-90, 90]. A box that
reaches a pole or spans 360 degrees of longitude covers every longitude (-180 .. 180); one that
crosses the antimeridian has ``search_min_lon > search_max_lon`` (as in GeoJSON bounding boxes).

The links follow the Copernicus Browser deep-linking reference (eu-cdse/copernicus-browser,
``public/deep-linking.md``, served at https://browser.dataspace.copernicus.eu/deep-linking.md):
``https://browser.dataspace.copernicus.eu/?zoom=Z&lat=LAT&lng=LNG&themeId=DEFAULT-THEME
&datasetId=ID[&layerId=LAYER]&fromTime=ISO&toTime=ISO&dateMode=TIME%20RANGE`` with
``datasetId`` ``S1_CDAS_IW_VVVH`` (Sentinel-1 IW GRD, VV+VH; EO Browser's ``S1_AWS_IW_VVVH``) and
``S2_L2A_CDAS`` (Sentinel-2 L2A, EO Browser's ``S2L2A``) with ``layerId=1_TRUE_COLOR``. Sentinel-1
gets no ``layerId``: the Browser then shows the dataset's default layer. ``visualizationUrl`` is
omitted, as that reference asks for built links. The dates are the whole UTC days the event spans
(``fromTime`` the start day at 00:00:00.000Z, ``toTime`` the end day at 23:59:59.999Z: the Browser's
own day-granular form; a pass hours from the event is still worth seeing), while ``search_start`` /
``search_end`` keep the exact window. The Browser clamps a range over 180 days. Coordinates are
rounded to 5 decimals, so links are deterministic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vesseltrack.geo import M_PER_NM, haversine_m

#: Half-size (km) of the box searched around an STS candidate's median position.
STS_HALF_KM = 5.0
KM_PER_DEG = 111.195
BROWSER = "https://browser.dataspace.copernicus.eu/"
S1_DATASET = "S1_CDAS_IW_VVVH"
S2_DATASET = "S2_L2A_CDAS"
S2_LAYER = "1_TRUE_COLOR"
#: Columns added to events (schema.EVENTS), in order.
COLUMNS = ("search_min_lat", "search_min_lon", "search_max_lat", "search_max_lon", "search_start", "search_end",
           "sentinel1_url", "sentinel2_url")


def _wrap(lon: np.ndarray) -> np.ndarray:
    return (np.asarray(lon, dtype=float) + 180.0) % 360.0 - 180.0


def ellipse_boxes(lat0, lon0, lat1, lon1, reach_km) -> tuple[np.ndarray, ...]:
    """Bounding boxes (min_lat, min_lon, max_lat, max_lon) of the points P with
    d(P0, P) + d(P, P1) <= ``reach_km``; an end with NaN coordinates (an open gap) gives the circle
    of radius ``reach_km`` around P0. Vectorised; NaN where ``lat0`` or ``reach_km`` is NaN."""
    la0, lo0 = np.asarray(lat0, dtype=float), np.asarray(lon0, dtype=float)
    la1, lo1 = np.asarray(lat1, dtype=float), np.asarray(lon1, dtype=float)
    reach = np.asarray(reach_km, dtype=float)
    closed = ~np.isnan(la1) & ~np.isnan(lo1)
    la1, lo1 = np.where(closed, la1, la0), np.where(closed, lo1, lo0)
    dlon = _wrap(lo1 - lo0)
    lat_m, lon_m = (la0 + la1) / 2.0, lo0 + dlon / 2.0
    dx = dlon * KM_PER_DEG * np.cos(np.radians(lat_m))
    dy = (la1 - la0) * KM_PER_DEG
    flat = np.hypot(dx, dy)
    c = np.maximum(haversine_m(la0, lo0, la1, lo1) / 1000.0, flat) / 2.0
    a = np.maximum(np.where(closed, reach / 2.0, reach), c)  # an open gap: a circle of radius v T
    b = np.sqrt(np.maximum(a * a - c * c, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        ux = np.where(flat > 0, dx / flat, 1.0)
        uy = np.where(flat > 0, dy / flat, 0.0)
    hx = np.sqrt((a * ux) ** 2 + (b * uy) ** 2)
    hy = np.sqrt((a * uy) ** 2 + (b * ux) ** 2)
    return _degree_box(lat_m, lon_m, hx, hy)


def point_boxes(lat, lon, half_km: float = STS_HALF_KM) -> tuple[np.ndarray, ...]:
    """Boxes of ``half_km`` either side of each point (min_lat, min_lon, max_lat, max_lon)."""
    lat = np.asarray(lat, dtype=float)
    half = np.full(lat.shape, float(half_km))
    return _degree_box(lat, np.asarray(lon, dtype=float), half, half)


def _degree_box(lat_m, lon_m, hx_km, hy_km) -> tuple[np.ndarray, ...]:
    """Boxes in degrees from centres and half-extents in km (east, north): latitudes clipped,
    longitudes wrapped (min > max across the antimeridian), rounded outwards to 1e-4 degrees."""
    dlat = hy_km / KM_PER_DEG
    lo_lat = np.clip(np.floor((lat_m - dlat) * 1e4) / 1e4, -90.0, 90.0)
    hi_lat = np.clip(np.ceil((lat_m + dlat) * 1e4) / 1e4, -90.0, 90.0)
    poleward = np.minimum(np.maximum(np.abs(lo_lat), np.abs(hi_lat)), 90.0)
    cos_p = np.cos(np.radians(poleward))
    with np.errstate(divide="ignore", invalid="ignore"):
        dlon = np.where(cos_p > 1e-9, hx_km / (KM_PER_DEG * cos_p), np.inf)
    every = ~(dlon < 180.0)  # a pole inside, or the whole parallel
    dlon = np.where(every, 0.0, dlon)
    lo_lon = np.where(every, -180.0, _wrap(np.floor((lon_m - dlon) * 1e4) / 1e4))
    hi_lon = np.where(every, 180.0, _wrap(np.ceil((lon_m + dlon) * 1e4) / 1e4))
    hi_lon = np.where(~every & (hi_lon == -180.0), 180.0, hi_lon)
    nan = np.isnan(lat_m) | np.isnan(hx_km)
    return tuple(np.where(nan, np.nan, v) for v in (lo_lat, lo_lon, hi_lat, hi_lon))


def _zoom(min_lat, min_lon, max_lat, max_lon) -> np.ndarray:
    """Web-map zoom level that shows the box on a ~1,400-pixel-wide screen (3 .. 14)."""
    width = np.where(min_lon <= max_lon, max_lon - min_lon, max_lon - min_lon + 360.0)
    mid = np.radians((min_lat + max_lat) / 2.0)
    span = np.maximum(np.maximum(width, 2.0 * (max_lat - min_lat) / np.maximum(np.cos(mid), 0.05)), 1e-6)
    return np.clip(np.floor(np.log2(1440.0 / span)), 3, 14).astype(np.int64)


def browser_urls(min_lat, min_lon, max_lat, max_lon, start: pd.Series, end: pd.Series) -> dict[str, pd.Series]:
    """Copernicus Browser links (Sentinel-1, Sentinel-2) centred on each box over the UTC days from
    ``start`` to ``end``; None where the box is NaN. Built with vectorised string operations."""
    min_lat, min_lon = np.asarray(min_lat, dtype=float), np.asarray(min_lon, dtype=float)
    max_lat, max_lon = np.asarray(max_lat, dtype=float), np.asarray(max_lon, dtype=float)
    ok = ~np.isnan(min_lat)
    width = np.where(min_lon <= max_lon, max_lon - min_lon, max_lon - min_lon + 360.0)
    lat_c = np.round(np.where(ok, (min_lat + max_lat) / 2.0, 0.0), 5)
    lon_c = np.round(_wrap(np.where(ok, min_lon + width / 2.0, 0.0)), 5)
    zoom = _zoom(*(np.where(ok, v, 0.0) for v in (min_lat, min_lon, max_lat, max_lon)))
    day0 = pd.Series(pd.to_datetime(start, utc=True)).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    day1 = pd.Series(pd.to_datetime(end, utc=True)).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    where = ("?zoom=" + pd.Series(zoom.astype(str)) + "&lat=" + pd.Series(np.char.mod("%.5f", lat_c))
             + "&lng=" + pd.Series(np.char.mod("%.5f", lon_c)) + "&themeId=DEFAULT-THEME")
    when = ("&fromTime=" + pd.Series(day0) + "T00%3A00%3A00.000Z&toTime=" + pd.Series(day1)
            + "T23%3A59%3A59.999Z&dateMode=TIME%20RANGE")
    s1 = BROWSER + where + "&datasetId=" + S1_DATASET + when
    s2 = BROWSER + where + "&datasetId=" + S2_DATASET + "&layerId=" + S2_LAYER + when
    return {k: pd.Series(np.where(ok, u.to_numpy(dtype=object), None), dtype=object)  # type: ignore[arg-type, call-overload]
            for k, u in (("sentinel1_url", s1), ("sentinel2_url", s2))}


def search_columns(boxes: tuple[np.ndarray, ...], start, end, mask: np.ndarray) -> dict[str, Any]:
    """The :data:`COLUMNS` for events with search ``boxes`` and windows ``start`` .. ``end``, set only
    where ``mask`` (missing elsewhere)."""
    mask = np.asarray(mask, dtype=bool)
    box = tuple(np.where(mask, v, np.nan) for v in boxes)
    t0 = pd.Series(pd.to_datetime(start, utc=True)).reset_index(drop=True)
    t1 = pd.Series(pd.to_datetime(end, utc=True)).reset_index(drop=True)
    out: dict[str, Any] = dict(zip(COLUMNS[:4], box, strict=True))
    out["search_start"] = t0.where(mask)
    out["search_end"] = t1.where(mask)
    urls = browser_urls(box[0], box[1], box[2], box[3], t0, t1)
    out.update({k: v.to_numpy(dtype=object) for k, v in urls.items()})
    return out


def gap_search(gaps: pd.DataFrame) -> dict[str, Any]:
    """Search columns for gap events (with ``likely_dark``, ``typical_speed_kn`` and the reach
    columns): the area each likely-dark gap's ship could have reached, over the gap; none for others."""
    dark = (gaps["likely_dark"].fillna(False).to_numpy(dtype=bool) if "likely_dark" in gaps
            else np.zeros(len(gaps), dtype=bool))
    reach_km = (gaps["typical_speed_kn"].to_numpy(dtype=float) * M_PER_NM / 1000.0
                * gaps["duration_h"].to_numpy(dtype=float))
    boxes = ellipse_boxes(gaps["start_lat"], gaps["start_lon"], gaps["end_lat"], gaps["end_lon"], reach_km)
    return search_columns(boxes, gaps["start_time"], gaps["end_time"], dark & ~np.isnan(reach_km))


def sts_search(encounters: pd.DataFrame, median_lat, median_lon, at_sea: np.ndarray) -> dict[str, Any]:
    """Search columns for encounter events: a box of :data:`STS_HALF_KM` around the median position
    of each STS candidate ``at_sea``, over the encounter; none for others."""
    sts = encounters["sts_candidate"].fillna(False).to_numpy(dtype=bool) & np.asarray(at_sea, dtype=bool)
    boxes = point_boxes(median_lat, median_lon)
    return search_columns(boxes, encounters["start_time"], encounters["end_time"], sts)
