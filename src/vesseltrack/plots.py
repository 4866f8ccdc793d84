"""A vessel's timeline: speed, draught and reports per hour over time, gaps shaded, events marked.

:func:`timeline` returns a matplotlib Figure (nothing is shown or printed); :func:`save_timeline`
writes it as a PNG and :func:`timeline_png` returns the PNG bytes (deterministic: no date or
software stamp). Uses matplotlib's object API only (no pyplot state), so it works under any
backend, Agg included.

The axes scale to what made the alert: speeds implied by consecutive positions are drawn in full
(an impossible jump of 506 kn shows, on a logarithmic scale above the ship's normal speeds when it
would flatten them); every gap is shaded and labelled with its length, a gap still open at the end
of the data is hatched up to the data end and labelled "open"; the draught is drawn from every
report that carried one. Ship-provided text is drawn as plain text: never as mathtext (every text
we place has ``parse_math=False``) and never through LaTeX (a ``text.usetex: True`` in the user's
matplotlibrc is overridden while the figure is built and saved), so a name such as ``A$B$C``,
``$\\alpha$ STAR`` or a lone ``$`` is drawn as it was broadcast.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vesseltrack import investigate
from vesseltrack.errors import ConfigError

DARK_COLOUR = "#444444"
GAP_COLOUR = "#9e9e9e"
PORT_COLOUR = "#1f4e79"
SENSITIVE_COLOUR = "#d62728"
JUMP_COLOUR = "#d62728"
SPEED_COLOUR = "#1f77b4"
IMPLIED_COLOUR = "#6baed6"
DRAUGHT_COLOUR = "#2ca02c"
RATE_COLOUR = "#7f7f7f"
FOCUS_COLOUR = "#fff3b0"
EVENT_COLOURS = {"encounter": "#ff7f0e", "loitering": "#9467bd", "spoofing": "#000000",
                 "identity_clash": "#000000", "feed_artefact": "#bdbdbd"}
#: Heights (axes fraction) of the labels of encounters, loitering and other events, so that they do not overlap.
LABEL_Y = {"encounter": 0.87, "loitering": 0.81}
#: A step faster than this over more than JUMP_MIN_M is an impossible jump (spoofing, shared MMSI).
JUMP_KN = 50.0
JUMP_MIN_M = 1852.0
#: Above this ratio of the fastest jump to the ship's normal speeds, the speed axis turns logarithmic.
LOG_RATIO = 4.0
#: Labels narrower than this share of the time axis are left out (the shading still shows).
MIN_LABEL_SHARE = 0.012


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ConfigError(
            "matplotlib is not installed; expected it for timeline plots; install it with pip install 'vesseltrack[maps]'"  # noqa: E501
        ) from err
    return Figure


def _plain_text():
    """A context in which matplotlib draws text itself, never through LaTeX (ship names are no TeX)."""
    import matplotlib

    return matplotlib.rc_context({"text.usetex": False})


def _naive(s: pd.Series) -> np.ndarray:
    return s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()


def _ts(v) -> pd.Timestamp:
    t = pd.Timestamp(v)
    return t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t


def hours_text(h: float) -> str:
    """'40 h', '2.5 h', '35 min' or '3.2 d' for a duration in hours."""
    if not np.isfinite(h):
        return "?"
    if h < 1:
        return f"{h * 60:.0f} min"
    if h < 10:
        return f"{h:.1f} h"
    return f"{h:.0f} h" if h < 72 else f"{h / 24:.1f} d ({h:.0f} h)"


def speed_scale(sog: np.ndarray, implied: np.ndarray, jump: np.ndarray) -> tuple[float, float, bool]:
    """(normal, top, log): the ship's normal speeds (99.5th percentile of reported and implied
    non-jump speeds, at least 5 kn), the axis top, and whether jumps dwarf normal speeds so the axis
    is logarithmic above ``normal``."""
    vals = np.concatenate([sog[np.isfinite(sog)], implied[np.isfinite(implied) & ~jump]])
    normal = max(5.0, float(np.percentile(vals, 99.5)) if len(vals) else 5.0)
    fastest = float(np.nanmax(implied[jump])) if jump.any() else 0.0
    log = fastest > LOG_RATIO * normal
    return normal, max(normal, fastest), log


def _speed_panel(ax, track: pd.DataFrame, t: np.ndarray) -> dict:
    seg = track["segment_id"].to_numpy()
    sog = track["sog_kn"].to_numpy(dtype=float)
    imp = track["implied_speed_kn"].to_numpy(dtype=float)
    dist = track["distance_m"].to_numpy(dtype=float)
    # no step across a gap: the first report after a gap starts a new segment
    first = np.ones(len(seg), dtype=bool)
    first[1:] = seg[1:] != seg[:-1]
    imp = np.where(first, np.nan, imp)
    jump = np.isfinite(imp) & (imp > JUMP_KN) & (np.nan_to_num(dist) > JUMP_MIN_M)
    brk = np.flatnonzero(first[1:]) + 1
    ts_line = np.insert(t, brk, t[brk - 1]) if len(brk) else t
    if np.isfinite(sog).any():
        ax.plot(ts_line, np.insert(sog, brk, np.nan), color=SPEED_COLOUR, lw=1.0, label="speed over ground (reported)",
                marker="o" if len(sog) < 30 else None, ms=3)
    else:
        ax.text(0.01, 0.97, "no speed over ground in the data: speeds implied by positions only", fontsize=8,
                transform=ax.transAxes, va="top", color="#666666", parse_math=False)
    ok = np.isfinite(imp) & ~jump
    ax.plot(t[ok], imp[ok], ".", ms=2, color=IMPLIED_COLOUR, label="speed implied by positions")
    normal, top, log = speed_scale(sog, imp, jump)
    if jump.any():
        ax.plot(t[jump], imp[jump], "v", ms=6, color=JUMP_COLOUR, label=f"impossible jump (> {JUMP_KN:g} kn)")
        k = int(np.flatnonzero(jump)[np.argmax(imp[jump])])
        ax.annotate(f"jump {imp[k]:,.0f} kn ({dist[k] / 1852:,.0f} nm in {hours_text(track['dt_s'].iloc[k] / 3600)})",
                    xy=(t[k], imp[k]), xytext=(6, -4), textcoords="offset points", fontsize=8, color=JUMP_COLOUR,
                    va="top", parse_math=False)
    if log:
        ax.set_yscale("symlog", linthresh=normal, linscale=2.0)
        ax.set_ylim(0, top * 2.0)
        ax.axhline(normal, color=JUMP_COLOUR, lw=0.6, ls=":")
        ax.set_ylabel(f"speed (kn)\nlog above {normal:.0f} kn")
    else:
        ax.set_ylim(0, top * 1.2)
        ax.set_ylabel("speed (kn)")
    return {"jumps": int(jump.sum()), "log": log, "top": top}


def _draught_panel(ax, track: pd.DataFrame, t: np.ndarray, t_end) -> None:
    dr = track["draught_m"].to_numpy(dtype=float)
    ok = np.isfinite(dr)
    ax.set_ylabel("draught (m)")
    if not ok.any():
        ax.text(0.5, 0.5, "no draught reported", transform=ax.transAxes, ha="center", va="center", color="#666666",
                fontsize=9, parse_math=False)
        ax.set_yticks([])
        return
    # every report that carried a draught, held to the end of the data (static data is sparse)
    x = np.append(t[ok], np.datetime64(t_end, "ns"))
    y = np.append(dr[ok], dr[ok][-1])
    ax.step(x, y, where="post", color=DRAUGHT_COLOUR, lw=1.6, label="reported draught")
    lo, hi = float(y.min()), float(y.max())
    pad = max(0.5, 0.15 * (hi - lo))
    ax.set_ylim(max(0.0, lo - pad), hi + pad)
    change = np.flatnonzero(np.diff(y[:-1]) != 0) + 1
    for i in change[:12]:
        ax.annotate(f"{y[i - 1]:g} → {y[i]:g} m", xy=(x[i], y[i]), xytext=(3, 3 if y[i] > y[i - 1] else -10),
                    textcoords="offset points", fontsize=7.5, color=DRAUGHT_COLOUR, parse_math=False)


def reports_per_hour(track: pd.DataFrame, t_start, t_end) -> tuple[np.ndarray, np.ndarray, str]:
    """(bin starts, counts, unit): reports per hour (per 10 minutes when the data spans 12 hours or
    less, per day when over 30 days) over the whole data window, zero in the bins with none."""
    span = pd.Timestamp(t_end) - pd.Timestamp(t_start)
    unit = "10min" if span <= pd.Timedelta(hours=12) else "h" if span <= pd.Timedelta(days=30) else "D"
    times = track["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None).dt.floor(unit)
    edges = pd.date_range(_ts(t_start).floor(unit), _ts(t_end).floor(unit), freq=unit)
    counts = times.value_counts().reindex(edges, fill_value=0)
    return edges.to_numpy(), counts.to_numpy(dtype=float), {"10min": "10 min", "h": "hour", "D": "day"}[unit]


def _rate_panel(ax, track: pd.DataFrame, t_start, t_end) -> None:
    x, c, unit = reports_per_hour(track, t_start, t_end)
    step = {"10 min": np.timedelta64(10, "m"), "hour": np.timedelta64(1, "h"), "day": np.timedelta64(1, "D")}[unit]
    xs = np.append(x, x[-1] + step) if len(x) else x
    cs = np.append(c, c[-1]) if len(c) else c
    ax.fill_between(xs, cs, step="post", color=RATE_COLOUR, alpha=0.6, lw=0)
    ax.set_ylabel(f"reports\nper {unit}")
    ax.set_ylim(0, max(1.0, float(c.max()) if len(c) else 1.0) * 1.15)


def _label(ax, t0, t1, text: str, span, y: float = 0.97, always: bool = False, **kw) -> None:
    if always or (t1 - t0) / span >= MIN_LABEL_SHARE:
        ax.text(t0 + (t1 - t0) / 2, y, text, transform=ax.get_xaxis_transform(), ha="center", va="top",
                fontsize=kw.pop("fontsize", 8), parse_math=False, clip_on=True,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75), **kw)


def _shade_gaps(axes, gaps: pd.DataFrame, t_end, span) -> None:
    r: Any  # an events row (itertuples gives the stubs no field types)
    for r in gaps.itertuples(index=False):
        t0 = _ts(r.start_time)
        is_open = (not pd.isna(r.is_closed) and not bool(r.is_closed)) or pd.isna(r.end_lat)
        dark = not pd.isna(r.likely_dark) and bool(r.likely_dark)
        colour = DARK_COLOUR if dark else GAP_COLOUR
        alpha = 0.22 + (0.2 if dark else 0.0)
        if is_open:
            t1 = max(_ts(r.end_time), _ts(t_end))
            for ax in axes:
                ax.axvspan(t0, t1, facecolor="none", edgecolor=colour, hatch="///", lw=0, alpha=0.7)
                ax.axvline(t0, color=colour, lw=1.0)
            text = f"open: silent {hours_text(r.duration_h)}+ to data end"
        else:
            t1 = _ts(r.end_time)
            for ax in axes:
                ax.axvspan(t0, t1, color=colour, alpha=alpha, lw=0)
            text = f"{'dark' if dark else 'gap'} {hours_text(r.duration_h)}"
        if dark and not pd.isna(r.reachable_ports) and str(r.reachable_ports):
            text += "\ncould reach " + ", ".join(p.rsplit(" ", 2)[0] for p in str(r.reachable_ports).split("; ")[:3])
        _label(axes[0], t0, t1, text, span, always=dark or is_open)


def _mark_events(ax_sog, ax_dr, events: pd.DataFrame, span) -> None:
    r: Any
    visits = events[events["event_type"] == "port_visit"]
    for r in visits.itertuples(index=False):
        t0, t1 = _ts(r.start_time), _ts(r.end_time)
        colour = SENSITIVE_COLOUR if (not pd.isna(r.port_sensitive) and bool(r.port_sensitive)) else PORT_COLOUR
        ax_sog.axvspan(t0, t1, ymin=0.0, ymax=0.05, color=colour, alpha=0.8, lw=0)
        ax_dr.axvspan(t0, t1, color=colour, alpha=0.08, lw=0)
        _label(ax_dr, t0, t1, str(r.port), span, y=0.2, fontsize=7, color=colour)
    other = events[events["event_type"].isin(list(EVENT_COLOURS)).to_numpy()]
    for r in other.itertuples(index=False):
        t0, t1 = _ts(r.start_time), _ts(r.end_time)
        if t1 - t0 < span * 0.004:  # an instant (spoofing, identity clash): a visible sliver
            t1 = t0 + span * 0.004
        ax_sog.axvspan(t0, t1, ymin=0.88, ymax=0.93, color=EVENT_COLOURS[r.event_type], alpha=0.9, lw=0)
        _label(ax_sog, t0, t1, str(r.event_type).replace("_", " "), span, y=LABEL_Y.get(r.event_type, 0.75), fontsize=7,
               color=EVENT_COLOURS[r.event_type])


def _legend(ax, events: pd.DataFrame, focus) -> None:
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    extra = [(Patch(color=DARK_COLOUR, alpha=0.45), "likely dark gap"), (Patch(color=GAP_COLOUR, alpha=0.3), "AIS gap"),
             (Patch(facecolor="none", edgecolor=DARK_COLOUR, hatch="///"), "gap open at data end"),
             (Patch(color=PORT_COLOUR), "port visit"), (Patch(color=SENSITIVE_COLOUR), "sensitive port visit")]
    present = set(events["event_type"])
    extra += [(Patch(color=c), k.replace("_", " ")) for k, c in EVENT_COLOURS.items() if k in present]
    if focus is not None:
        extra.append((Patch(color=FOCUS_COLOUR), "alert period"))
    ax.legend(handles + [h for h, _ in extra], labels + [lab for _, lab in extra], loc="lower center",
              bbox_to_anchor=(0.5, 1.0), fontsize=7, ncols=6, frameon=False)


def timeline(result, mmsi: int, *, focus: tuple | None = None, width: float = 11.0, height: float = 7.0):
    """Speed (top), reported draught (middle) and reports per hour (bottom) of one vessel against
    time (UTC), over the whole data window.

    Gaps are shaded (dark grey when likely dark, hatched to the data end when still open) and
    labelled with their length; port visits are spans along the bottom of the speed panel (red for
    sensitive ports) named in the draught panel; encounters, loitering, spoofing and identity clashes
    are bars near the top. ``focus`` = (start, end) shades the alert's period in yellow.
    """
    Figure = _figure_class()
    with _plain_text():
        return _timeline(Figure, result, mmsi, focus, width, height)


def _timeline(Figure, result, mmsi: int, focus: tuple | None, width: float, height: float):
    track = investigate.vessel_track(result, mmsi)
    events = investigate.vessel_events(result, mmsi)
    t_start, t_end = (_ts(t) for t in (investigate.time_span(result) or (pd.NaT, pd.NaT)))
    span = max(t_end - t_start, pd.Timedelta(minutes=1))
    t = _naive(track["timestamp"])
    fig = Figure(figsize=(width, height), layout="constrained")
    ax_sog, ax_dr, ax_n = fig.subplots(3, 1, sharex=True, height_ratios=[3, 1.6, 1])
    if focus is not None:
        for ax in (ax_sog, ax_dr, ax_n):
            ax.axvspan(_ts(focus[0]), _ts(focus[1]), color=FOCUS_COLOUR, alpha=0.6, lw=0, zorder=0)
    info = _speed_panel(ax_sog, track, t)
    _draught_panel(ax_dr, track, t, t_end)
    _rate_panel(ax_n, track, t_start, t_end)
    gaps = events[events["event_type"] == "gap"]
    _shade_gaps((ax_sog, ax_dr, ax_n), gaps, t_end, span)
    _mark_events(ax_sog, ax_dr, events, span)
    for ax in (ax_sog, ax_dr, ax_n):
        ax.grid(alpha=0.3)
        ax.set_xlim(t_start - span * 0.01, t_end + span * 0.01)
    ax_n.set_xlabel(f"time (UTC); data from {t_start:%Y-%m-%d %H:%M} to {t_end:%Y-%m-%d %H:%M}")
    _legend(ax_sog, events, focus)
    names = track["vessel_name"].astype(object).dropna()
    name = str(names.iloc[-1]) if len(names) else "(no name)"
    jumps = f", {info['jumps']} impossible jumps" if info["jumps"] else ""
    fig.suptitle(f"{name} (MMSI {int(mmsi)}): {len(track):,} positions, {len(gaps)} gaps, "
                 f"{int((events['event_type'] == 'port_visit').sum())} port visits{jumps}", fontsize=10,
                 parse_math=False)
    fig.autofmt_xdate()
    return fig


def timeline_png(result, mmsi: int, *, dpi: int = 100, **kwargs) -> bytes:
    """:func:`timeline` as PNG bytes, the same bytes for the same input (no date or software stamp)."""
    buf = io.BytesIO()
    fig = timeline(result, mmsi, **kwargs)
    with _plain_text():  # tick labels are made when drawing
        fig.savefig(buf, dpi=dpi, format="png", metadata={"Software": None})
    return buf.getvalue()


def save_timeline(result, mmsi: int, path: str | Path, *, dpi: int = 110, **kwargs) -> Path:
    """Write :func:`timeline` as a PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(timeline_png(result, mmsi, dpi=dpi, **kwargs))
    return path
