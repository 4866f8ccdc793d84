"""A vessel's timeline: speed and draught over time, dark periods shaded, port calls marked.

:func:`timeline` returns a matplotlib Figure (nothing is shown or printed); :func:`save_timeline`
writes it as a PNG. Uses matplotlib's object API only (no pyplot state), so it works under any
backend, Agg included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vesseltrack import investigate
from vesseltrack.errors import ConfigError

DARK_COLOUR = "#444444"
PORT_COLOUR = "#1f4e79"
SENSITIVE_COLOUR = "#d62728"


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ConfigError(
            "matplotlib is not installed; expected it for timeline plots; install it with pip install 'vesseltrack[maps]'"  # noqa: E501
        ) from err
    return Figure


def _naive(s: pd.Series) -> np.ndarray:
    return s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()


def timeline(result, mmsi: int, *, width: float = 11.0, height: float = 5.5):
    """Speed over ground (top) and reported draught (bottom) of one vessel against time (UTC).

    Gaps are shaded grey (darker the higher their score) with their duration; port visits are
    spans along the top, red for sensitive ports, labelled with the port name.
    """
    Figure = _figure_class()
    track = investigate.vessel_track(result, mmsi)
    events = investigate.vessel_events(result, mmsi)
    t = _naive(track["timestamp"])
    fig = Figure(figsize=(width, height), layout="constrained")
    ax_sog, ax_dr = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])

    seg = track["segment_id"].to_numpy()
    sog = track["sog_kn"].to_numpy(dtype=float)
    # break the line at gaps: NaN between segments
    brk = np.flatnonzero(np.diff(seg) != 0) + 1
    ts_line = np.insert(t, brk, t[brk - 1] if len(brk) else t[:0]) if len(t) else t
    sog_line = np.insert(sog, brk, np.nan)
    ax_sog.plot(ts_line, sog_line, color="#1f77b4", lw=1.0, label="speed over ground (reported)")
    imp = track["implied_speed_kn"].to_numpy(dtype=float)
    ok = np.isfinite(imp) & (imp < 60)
    ax_sog.plot(t[ok], imp[ok], ".", ms=1.5, color="#9ecae1", label="speed implied by positions")
    ax_sog.set_ylabel("speed (kn)")
    dr = track["draught_m"].to_numpy(dtype=float)
    ax_dr.step(t, dr, where="post", color="#2ca02c", lw=1.5, label="reported draught")
    ax_dr.set_ylabel("draught (m)")
    ax_dr.set_xlabel("time (UTC)")

    gaps = events[events["event_type"] == "gap"]
    r: Any  # an events row (itertuples gives the stubs no field types)
    for r in gaps.itertuples(index=False):
        t0, t1 = pd.Timestamp(r.start_time).tz_localize(None), pd.Timestamp(r.end_time).tz_localize(None)
        alpha = 0.15 + 0.35 * (0.0 if pd.isna(r.score) else float(r.score))
        for ax in (ax_sog, ax_dr):
            ax.axvspan(t0, t1, color=DARK_COLOUR, alpha=alpha, lw=0)
        ax_sog.text(t0 + (t1 - t0) / 2, 0.97, f"dark {r.duration_h:.0f} h", transform=ax_sog.get_xaxis_transform(),
                    ha="center", va="top", fontsize=8, color="black")
        if not (pd.isna(r.draught_before_m) or pd.isna(r.draught_after_m)) and r.draught_before_m != r.draught_after_m:
            ax_dr.annotate("", xy=(t1, r.draught_after_m), xytext=(t0, r.draught_before_m),
                           arrowprops=dict(arrowstyle="->", color=SENSITIVE_COLOUR, ls="--", lw=1))

    visits = events[events["event_type"] == "port_visit"]
    for r in visits.itertuples(index=False):
        t0, t1 = pd.Timestamp(r.start_time).tz_localize(None), pd.Timestamp(r.end_time).tz_localize(None)
        colour = SENSITIVE_COLOUR if (not pd.isna(r.port_sensitive) and bool(r.port_sensitive)) else PORT_COLOUR
        ax_sog.axvspan(t0, t1, ymin=0.0, ymax=0.06, color=colour, alpha=0.8, lw=0)
        ax_dr.axvspan(t0, t1, color=colour, alpha=0.08, lw=0)
        ax_dr.text(t0 + (t1 - t0) / 2, 0.04, str(r.port), transform=ax_dr.get_xaxis_transform(), ha="center",
                   va="bottom", fontsize=7, color=colour, rotation=0)

    from matplotlib.patches import Patch

    handles, labels = ax_sog.get_legend_handles_labels()
    handles += [Patch(color=DARK_COLOUR, alpha=0.4), Patch(color=PORT_COLOUR), Patch(color=SENSITIVE_COLOUR)]
    labels += ["AIS gap (dark)", "port visit", "sensitive port visit"]
    ax_sog.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=7, ncols=5, frameon=False)
    lo = np.nanmin(dr) if np.isfinite(dr).any() else 0.0
    hi = np.nanmax(dr) if np.isfinite(dr).any() else 1.0
    ax_dr.set_ylim(max(0.0, lo - 1.5), hi + 1.0)
    ax_sog.set_ylim(0, max(1.0, float(np.nanmax(sog)) if np.isfinite(sog).any() else 1.0) * 1.15)
    ax_sog.grid(alpha=0.3)
    ax_dr.grid(alpha=0.3)

    names = track["vessel_name"].astype(object).dropna()
    name = str(names.iloc[-1]) if len(names) else ""
    fig.suptitle(f"{name} (MMSI {int(mmsi)}): {len(track):,} positions, {len(gaps)} gaps, {len(visits)} port visits",
                 fontsize=10)
    fig.autofmt_xdate()
    return fig


def save_timeline(result, mmsi: int, path: str | Path, *, dpi: int = 110, **kwargs) -> Path:
    """Write :func:`timeline` as a PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    timeline(result, mmsi, **kwargs).savefig(path, dpi=dpi, format="png")
    return path
