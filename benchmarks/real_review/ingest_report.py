"""Per real file: what ingest reads, keeps, rejects, sets aside and fills (issue 13's table).

    python benchmarks/real_review/ingest_report.py                 # markdown table on stdout
    python benchmarks/real_review/ingest_report.py --json out.json

For every AIS file in ../shared/data/ais (CSV, Parquet, NMEA): rows read / kept / rejected /
duplicate / non-vessel, the share of kept rows with speed, draught, length, type and name, the
vessels typed as tankers, how the NMEA times were obtained, and the warnings. A file the reader
refuses is listed with its error. Run it under two versions (PYTHONPATH=...) to see what changed.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from vesseltrack.errors import VesselTrackError
from vesseltrack.ingest import load

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "ais"
SUFFIXES = {".csv", ".parquet", ".nmea", ".nm4", ".txt", ".log"}
FILLED = ("sog_kn", "draught_m", "length_m", "vessel_type", "vessel_name")


def one(path: Path) -> dict:
    try:
        res = load([path])
    except VesselTrackError as err:
        return {"file": str(path.relative_to(REAL)), "error": " ".join(str(err).split())[:160]}
    c, p = res.counts, res.positions
    f = c["files"][0]
    row = {"file": str(path.relative_to(REAL)), "format": f["format"]}
    row.update(
        {k: f.get(k, 0) for k in ("rows_read", "rows_kept", "rows_rejected", "rows_duplicate", "rows_non_vessel")}
    )
    row["filled"] = {k: round(float(p[k].notna().mean()), 3) if len(p) else 0.0 for k in FILLED}
    vt = p["vessel_type"].astype("Float64")
    row["tankers"] = int(p.loc[((vt >= 80) & (vt <= 89)).fillna(False).to_numpy(bool), "mmsi"].nunique())
    row["vessels"] = int(p["mmsi"].nunique())
    row["non_vessel"] = c.get("non_vessel", {})
    row["time_sources"] = f.get("time_sources", {})
    row["warnings"] = f.get("warnings", [])
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    files = [p for p in sorted(REAL.rglob("*")) if p.suffix.lower() in SUFFIXES and "reference_ports" not in str(p)]
    rows = [one(p) for p in files]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, sort_keys=True))
    print(
        "| file | read | kept | rejected | dup | non-vessel | SOG/draught/length/type/name filled | tankers/vessels | warnings |"  # noqa: E501
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['file']} | refused: {r['error']} |  |  |  |  |  |  |  |")
            continue
        filled = "/".join(f"{r['filled'][k]:.2f}" for k in FILLED)
        print(
            f"| {r['file']} | {r['rows_read']:,} | {r['rows_kept']:,} | {r['rows_rejected']:,} | {r['rows_duplicate']:,} | "  # noqa: E501
            f"{r['rows_non_vessel']:,} | {filled} | {r['tankers']}/{r['vessels']} | {len(r['warnings'])} |"
        )


if __name__ == "__main__":
    main()
