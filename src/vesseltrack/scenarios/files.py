"""Scenario files: positions as MarineCadastre CSV (plain or gzipped) or canonical Parquet, and the truth as JSON."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from vesseltrack.errors import ConfigError
from vesseltrack.scenarios.scenario import Scenario

#: Column layout of MarineCadastre (NOAA / USCG) AIS CSV exports, 2018 onwards.
MARINECADASTRE_COLUMNS = (
    "MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO", "CallSign",
    "VesselType", "Status", "Length", "Width", "Draft", "Cargo", "TransceiverClass",
)


def to_marinecadastre(positions: pd.DataFrame) -> pd.DataFrame:
    """Positions in the MarineCadastre CSV layout, time-ordered like their daily files.

    Not-available values are empty cells, except Heading, written 511 as MarineCadastre does.
    MarineCadastre has no destination column, so destinations are not written.
    """
    p = positions
    order = np.lexsort((p["mmsi"].to_numpy(), p["timestamp"].array.asi8))
    p = p.take(order).reset_index(drop=True)
    def f64(c):
        return p[c].to_numpy(dtype=np.float64, na_value=np.nan)
    codes, uniq = pd.factorize(p["imo"], use_na_sentinel=True)
    imo_s = np.array([f"IMO{int(x):07d}" for x in uniq] + [""], dtype=object)[codes]
    vt = p["vessel_type"]
    cls = p["ais_class"].astype(object).to_numpy()
    return pd.DataFrame(
        {
            "MMSI": p["mmsi"].to_numpy(),
            "BaseDateTime": np.datetime_as_string(
                p["timestamp"].array.asi8.astype("datetime64[ns]").astype("datetime64[s]")
            ),
            "LAT": np.round(f64("lat"), 5),
            "LON": np.round(f64("lon"), 5),
            "SOG": np.round(f64("sog_kn"), 1),
            "COG": np.round(f64("cog_deg"), 1),
            "Heading": np.nan_to_num(np.round(f64("heading_deg")), nan=511.0).astype(np.int64),
            "VesselName": p["vessel_name"].astype(object).to_numpy(),
            "IMO": imo_s,
            "CallSign": p["call_sign"].astype(object).to_numpy(),
            "VesselType": vt,
            "Status": p["nav_status"],
            "Length": p["length_m"].round().astype("Int32"),
            "Width": p["width_m"].round().astype("Int32"),
            "Draft": np.round(f64("draught_m"), 1),
            "Cargo": vt.where(pd.Series(cls == "A", index=vt.index)),
            "TransceiverClass": cls,
        }
    )


def write(scenario: Scenario, out_dir, *, fmt: str = "csv", name: str | None = None) -> list[Path]:
    """Write positions and ``<name>.truth.json`` into ``out_dir``; returns the paths written.

    ``fmt``: "csv" or "csv.gz" (MarineCadastre layout, see :func:`to_marinecadastre`) or "parquet"
    (the canonical schema.POSITIONS table, destinations included). ``name`` defaults to the region.
    Files are byte-identical for the same scenario.
    """
    if fmt not in ("csv", "csv.gz", "parquet"):
        raise ConfigError(f"fmt {fmt!r} unknown; expected 'csv', 'csv.gz' or 'parquet'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = name or str(scenario.truth.get("region", "scenario"))
    pos_path = out / f"{stem}.{fmt}"
    if fmt == "parquet":
        buf = io.BytesIO()
        scenario.positions.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
        data = buf.getvalue()
    else:
        text = to_marinecadastre(scenario.positions).to_csv(index=False, lineterminator="\n", na_rep="")
        data = text.encode("utf-8")
        if fmt == "csv.gz":
            data = gzip.compress(data, compresslevel=9, mtime=0)
    pos_path.write_bytes(data)
    truth_path = out / f"{stem}.truth.json"
    truth_path.write_text(json.dumps(scenario.truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return [pos_path, truth_path]
