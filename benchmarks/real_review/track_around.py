import sys

import numpy as np
import pandas as pd

f = sys.argv[1]
mmsi = int(sys.argv[2])
t0 = pd.Timestamp(sys.argv[3]) if len(sys.argv) > 3 else None
t1 = pd.Timestamp(sys.argv[4]) if len(sys.argv) > 4 else None
pad = pd.Timedelta(hours=float(sys.argv[5]) if len(sys.argv) > 5 else 1)
d = pd.read_csv(f, low_memory=False)
d = d[d.MMSI == mmsi].copy()
d["t"] = pd.to_datetime(d.BaseDateTime)
d = d.sort_values("t")
R = 6371000
la = np.radians(d.LAT.values)
lo = np.radians(d.LON.values)
hav = np.sin(np.diff(la) / 2) ** 2 + np.cos(la[:-1]) * np.cos(la[1:]) * np.sin(np.diff(lo) / 2) ** 2
dist = np.r_[np.nan, 2 * R * np.arcsin(np.sqrt(hav))]
d["dm"] = dist
d["dt_min"] = d.t.diff().dt.total_seconds() / 60
d["kn"] = d.dm / 1852 / (d.dt_min / 60)
cols = ["t", "LAT", "LON", "dm", "dt_min", "kn"] + [c for c in ["SOG", "Status", "VesselType"] if c in d]
print("n", len(d), "span", d.t.min(), d.t.max())
if t0 is not None:
    w = d[(d.t >= t0 - pad) & (d.t <= (t1 or t0) + pad)]
else:
    w = d
if len(w) > 60:
    big = w[(w.dt_min > 20) | (w.kn > 25)]
    print(w.iloc[:: max(1, len(w) // 40)][cols].to_string())
    print("-- big gaps/jumps")
    print(big[cols].to_string())
else:
    print(w[cols].to_string())
