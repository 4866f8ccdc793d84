"""Investigating a :class:`~vesseltrack.pipeline.Result`: one vessel's track and events, geometry.

Helpers for notebooks, maps and exports. They read a Result and never change it:

- :func:`vessel_track` / :func:`vessel_events`: one vessel's positions (with the ``segment_id`` of
  each contiguous piece) and its events, in time order.
- :func:`track_segments`: every vessel's positions with a segment id that restarts after each
  silence longer than the run's gap threshold, built fleet-wide over sorted arrays.
- :func:`to_geodataframes`: ``{"events": ..., "tracks": ...}`` GeoDataFrames (WGS84): events as
  Points (a closed gap as the LineString between its ends), tracks as one LineString per segment.
- :func:`to_movingpandas`: a ``movingpandas.TrajectoryCollection`` (optional dependency).
- :func:`summary_html`: a short HTML summary of a run (ship-provided text escaped).

geopandas is imported only by the functions that need it (``pip install 'vesseltrack[maps]'``).
"""

from __future__ import annotations

import html
import warnings

import numpy as np
import pandas as pd
import shapely

from vesseltrack import schema, tracks
from vesseltrack.detect.gaps import DEFAULT_GAP_H
from vesseltrack.errors import ConfigError

WGS84 = "EPSG:4326"

#: Columns of the tracks layer, besides ``geometry``.
TRACK_COLUMNS = ("mmsi", "segment_id", "vessel_name", "vessel_type", "start_time", "end_time", "n_positions")


def gap_threshold_h(result) -> float:
    """The silence (hours) that made a gap event in this run (tracks are split there too)."""
    gap = result.summary.get("parameters", {}).get("gap", {}) if result.summary else {}
    return float(gap.get("min_gap_h", DEFAULT_GAP_H))


def vessel_ids(result) -> np.ndarray:
    """Every vessel's track id in a result, ascending, also when it holds some vessels' positions
    only (``result.fleet`` then describes them all)."""
    fleet = getattr(result, "fleet", None)
    return fleet.vessel_ids if fleet is not None else np.unique(result.positions["mmsi"].to_numpy())


def time_span(result) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last time of the result's positions (of all of them when it kept only some), or None."""
    fleet = getattr(result, "fleet", None)
    if fleet is not None:
        if fleet.t_max is None:
            return None
        return pd.Timestamp(fleet.t_min, tz="UTC"), pd.Timestamp(fleet.t_max, tz="UTC")
    ts = result.positions["timestamp"]
    return (ts.min(), ts.max()) if len(ts) else None


def _require(result, mmsi: int) -> int:
    mmsi = int(mmsi)
    known = result.positions["mmsi"].to_numpy()
    if not (known == mmsi).any():
        sample = [int(x) for x in np.unique(known)[:5]]
        raise ConfigError(
            f"MMSI {mmsi} is not in the results; expected one of the {len(pd.unique(known))} vessels, e.g. {sample}; check the number or the input files"  # noqa: E501
        )
    return mmsi


def track_segments(result, mmsi: int | None = None) -> pd.DataFrame:
    """Positions (all vessels, or one) sorted by (mmsi, timestamp), with ``segment_id`` restarting at
    0 for each vessel and increasing after each silence longer than :func:`gap_threshold_h`."""
    pos = result.positions
    if mmsi is not None:
        pos = pos[pos["mmsi"].to_numpy() == _require(result, mmsi)]
    pos = tracks.sort_positions(pos)
    steps = tracks.add_steps(pos, segment_gap_h=gap_threshold_h(result))
    seg = steps["segment_id"].to_numpy()
    if len(seg):
        first = tracks.vessel_starts(steps["mmsi"].to_numpy())
        base = np.maximum.accumulate(np.where(first, seg, 0))
        steps["segment_id"] = seg - base
    return steps


def vessel_track(result, mmsi: int) -> pd.DataFrame:
    """One vessel's positions in time order, with step columns (dt_s, distance_m, implied_speed_kn)
    and ``segment_id`` (0, 1, ... : a new segment after each gap)."""
    return track_segments(result, mmsi)


def vessel_events(result, mmsi: int) -> pd.DataFrame:
    """One vessel's events (all types) in time order, with the EVENTS columns."""
    mmsi = _require(result, mmsi)
    ev = result.events
    out = ev[ev["mmsi"].to_numpy() == mmsi]
    return out.sort_values(["start_time", "event_id"], kind="stable").reset_index(drop=True)


def vessel_voyages(result, mmsi: int) -> pd.DataFrame:
    """One vessel's voyages in time order."""
    mmsi = _require(result, mmsi)
    v = result.voyages
    return v[v["mmsi"].to_numpy() == mmsi].sort_values("start_time", kind="stable").reset_index(drop=True)


# --- geometry ------------------------------------------------------------------------------------

def event_geometries(events: pd.DataFrame) -> np.ndarray:
    """One geometry per event: a closed gap is the LineString between its ends (lon/lat), every
    other event (and an open gap) the Point where it starts."""
    n = len(events)
    slon = events["start_lon"].to_numpy(float)
    slat = events["start_lat"].to_numpy(float)
    elon = events["end_lon"].to_numpy(float)
    elat = events["end_lat"].to_numpy(float)
    is_line = (events["event_type"].to_numpy(dtype=object) == "gap") & ~np.isnan(elon) & ~np.isnan(elat)
    geoms = shapely.points(slon, slat)
    if is_line.any():
        k = int(is_line.sum())
        coords = np.empty((2 * k, 2))
        coords[0::2, 0], coords[0::2, 1] = slon[is_line], slat[is_line]
        coords[1::2, 0], coords[1::2, 1] = elon[is_line], elat[is_line]
        geoms[is_line] = shapely.linestrings(coords, indices=np.repeat(np.arange(k), 2))
    return geoms if n else np.empty(0, dtype=object)


def segment_lines(steps: pd.DataFrame) -> pd.DataFrame:
    """One row per (mmsi, segment_id) of :func:`track_segments` output, with TRACK_COLUMNS and a
    LineString ``geometry`` (lon/lat). A one-position segment is a LineString of that point twice,
    so the layer has a single geometry type."""
    n = len(steps)
    if not n:
        df = pd.DataFrame({c: pd.Series([], dtype=object) for c in TRACK_COLUMNS})
        df["geometry"] = np.empty(0, dtype=object)
        return df
    mmsi = steps["mmsi"].to_numpy()
    seg = steps["segment_id"].to_numpy()
    new = np.ones(n, dtype=bool)
    new[1:] = (mmsi[1:] != mmsi[:-1]) | (seg[1:] != seg[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n) - 1
    counts = ends - starts + 1
    line_id = np.cumsum(new) - 1
    lon = steps["lon"].to_numpy(float)
    lat = steps["lat"].to_numpy(float)
    single = counts == 1
    # duplicate the one point of single-position segments so every piece is a valid LineString
    rep = np.ones(n, dtype=np.int64)
    rep[starts[single]] = 2
    coords = np.repeat(np.column_stack([lon, lat]), rep, axis=0)
    geoms = shapely.linestrings(coords, indices=np.repeat(line_id, rep))
    ts = steps["timestamp"]
    names = steps["vessel_name"]
    names = names.astype(object) if isinstance(names.dtype, pd.CategoricalDtype) else names
    # the name in force: the last one broadcast in the segment
    last_name = names.groupby(line_id, sort=True).last()
    return pd.DataFrame(
        {
            "mmsi": mmsi[starts].astype("int32"),
            "segment_id": seg[starts].astype("int64"),
            "vessel_name": pd.Series(
                last_name.astype(object).where(last_name.notna(), None).to_numpy(dtype=object), dtype=object
            ),
            "vessel_type": steps["vessel_type"].iloc[ends].to_numpy(),
            "start_time": ts.iloc[starts].to_numpy(),
            "end_time": ts.iloc[ends].to_numpy(),
            "n_positions": counts.astype("int64"),
            "geometry": geoms,
        }
    ).astype({"vessel_type": "Int16", "start_time": schema.UTC_NS, "end_time": schema.UTC_NS})


def _geopandas():
    try:
        import geopandas
    except ImportError as err:  # pragma: no cover - geopandas is in the test extra
        raise ConfigError(
            "geopandas is not installed; expected it for GeoDataFrames and GeoParquet; install it with pip install 'vesseltrack[maps]'"  # noqa: E501
        ) from err
    return geopandas


def to_geodataframes(result, *, mmsi: int | None = None) -> dict:
    """``{"events": GeoDataFrame, "tracks": GeoDataFrame}`` in WGS84 (EPSG:4326).

    events: the EVENTS columns in spec order plus ``geometry`` (Point, or LineString for a closed gap),
    sorted by (mmsi, start_time, event_id). tracks: TRACK_COLUMNS plus a LineString per segment
    (a new segment after each silence longer than the run's gap threshold).
    """
    gpd = _geopandas()
    ev = result.events if mmsi is None else vessel_events(result, mmsi)
    ev = ev.sort_values(["mmsi", "start_time", "event_id"], kind="stable").reset_index(drop=True)
    events = gpd.GeoDataFrame(ev[schema.names(schema.EVENTS)], geometry=event_geometries(ev), crs=WGS84)
    lines = segment_lines(track_segments(result, mmsi))
    tracks_gdf = gpd.GeoDataFrame(lines.drop(columns="geometry"), geometry=lines["geometry"].to_numpy(), crs=WGS84)
    return {"events": events, "tracks": tracks_gdf}


def to_movingpandas(result, mmsi: int | None = None):
    """A ``movingpandas.TrajectoryCollection`` of the tracks (all vessels, or one), one trajectory per
    segment, with id ``"{mmsi}_{segment_id}"``. Needs movingpandas (``pip install movingpandas``)."""
    try:
        with warnings.catch_warnings():  # it warns at import about its own optional dependencies
            warnings.simplefilter("ignore")
            import movingpandas as mpd
    except ImportError as err:
        raise ConfigError(
            "movingpandas is not installed; expected it for to_movingpandas(); install it with pip install 'vesseltrack[movingpandas]' or pip install movingpandas"  # noqa: E501
        ) from err
    gpd = _geopandas()
    steps = track_segments(result, mmsi)
    traj_id = steps["mmsi"].astype(str) + "_" + steps["segment_id"].astype(str)
    cols = ["mmsi", "segment_id", "timestamp", "sog_kn", "cog_deg", "draught_m", "vessel_name"]
    df = steps[cols].assign(traj_id=traj_id.to_numpy(), vessel_name=steps["vessel_name"].astype(object))
    gdf = gpd.GeoDataFrame(
        df, geometry=shapely.points(steps["lon"].to_numpy(float), steps["lat"].to_numpy(float)), crs=WGS84
    )
    gdf["t"] = gdf["timestamp"].dt.tz_convert(None)  # movingpandas wants naive UTC times
    with warnings.catch_warnings():  # pandas deprecation warnings raised inside movingpandas
        warnings.filterwarnings("ignore", module="movingpandas")
        return mpd.TrajectoryCollection(gdf, traj_id_col="traj_id", t="t", min_length=0)


# --- summaries -----------------------------------------------------------------------------------

def _esc(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    return html.escape(str(v), quote=True)


def summary_html(result, *, top: int = 10) -> str:
    """A short HTML summary of a run: counts and the top alerts (every ship-provided string escaped).
    In a notebook: ``IPython.display.HTML(summary_html(result))``."""
    s = result.summary
    ev = s.get("events", {})
    counts = ", ".join(f"{n:,} {_esc(t)}" for t, n in ev.items() if n) or "no events"
    parts = [
        "<div class='vesseltrack-summary'>",
        f"<p><b>{s.get('vessels', 0):,}</b> vessels, <b>{s.get('positions', 0):,}</b> positions, "
        f"<b>{s.get('voyages', 0):,}</b> voyages; {counts}; <b>{len(result.alerts):,}</b> alerts</p>",
    ]
    a = result.alerts.head(top)
    if len(a):
        head = "".join(f"<th>{c}</th>" for c in ("rank", "score", "subject", "mmsi", "vessel", "ports", "reasons"))
        rows = []
        for r in a[["rank", "score", "subject", "mmsi", "vessel_name", "ports", "reasons"]].itertuples(index=False):
            rows.append("<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in (r[0], f"{r[1]:.3f}", *r[2:])) + "</tr>")
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    parts.append("</div>")
    return "".join(parts)


class ResultView:
    """Wraps a Result so a notebook shows :func:`summary_html` for it: ``ResultView(result)``."""

    def __init__(self, result, top: int = 10):
        self.result = result
        self.top = top

    def _repr_html_(self) -> str:
        return summary_html(self.result, top=self.top)
