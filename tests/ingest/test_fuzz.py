"""Fuzz every reader through :func:`vesseltrack.ingest.load` (issue #15).

Inputs are mutations of valid files (CSV: byte flips, cuts, inserted quotes / line breaks / NULs /
bad bytes, other encodings, huge and negative numbers, sentinels, placeholder times; NMEA: mutated
sentences, bad checksums, multi-part fragments out of order, bad tag blocks and clocks; Parquet:
random schemas and values, out-of-range times, all-null columns), plain or in gzip / zip wrappers
(sometimes cut short). Properties, for every input:

- nothing but a :class:`~vesseltrack.errors.VesselTrackError` is raised, and its message is one line;
- the accounting balances, overall and per file: rows_read = kept + rejected + duplicate + non_vessel;
- where the number of records is known (CSV mutations that keep every line a record), rows_read
  equals it.

Bounded: ``VESSELTRACK_FUZZ_EXAMPLES`` examples per test (default 30; the module runs in well under a
minute), derandomised so the suite is deterministic; set the variable (e.g. 2000) for a long run,
which then draws fresh random examples. Inputs that once failed are kept in ``fuzz_corpus/`` and
replayed by ``test_fuzz_corpus.py``.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from vesseltrack.errors import VesselTrackError
from vesseltrack.ingest import load

EXAMPLES = int(os.environ.get("VESSELTRACK_FUZZ_EXAMPLES", "30"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="VESSELTRACK_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=list(HealthCheck), database=None)

HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,VesselType,Draft"
N_ROWS = 30


def csv_rows() -> list[str]:
    return [f"{244_000_000 + i % 7},2024-01-01T00:{i:02d}:00,{52 + i / 100:.4f},{4 + i / 100:.4f},"
            f"{i % 20}.5,{i * 11 % 360}.0,{i * 7 % 360},SHIP {i % 7},IMO930783{i % 10},{70 + i % 20},{5 + i % 4}.1"
            for i in range(N_ROWS)]


def check(path: Path):
    """load(path): a VesselTrackError of one line (returns None), or a result whose counts balance."""
    try:
        res = load(path)
    except VesselTrackError as err:
        assert "\n" not in str(err), str(err)
        return None
    c = res.counts
    assert c["rows_read"] == c["rows_kept"] + c["rows_rejected"] + c["rows_duplicate"] + c["rows_non_vessel"]
    assert len(res.rejects) == c["rows_rejected"] and len(res.positions) == c["rows_kept"]
    for f in c["files"]:
        assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"] + f["rows_duplicate"] + f["rows_non_vessel"]
    return res


def wrapped(data: bytes, wrap: str, name: str, cut: float) -> tuple[str, bytes]:
    """(file name, bytes) of ``data`` as is, gzip-compressed or zipped, cut to ``cut`` of its length."""
    if wrap == "gzip":
        out, name = gzip.compress(data, mtime=0), name + ".gz"
    elif wrap == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(name, data)
        out, name = buf.getvalue(), name + ".zip"
    else:
        out = data
    if cut < 1.0:
        out = out[: max(1, int(len(out) * cut))]
    return name, out


def run(name: str, data: bytes):
    with tempfile.TemporaryDirectory(prefix="vt-fuzz-") as d:
        path = Path(d) / name
        path.write_bytes(data)
        return check(path)


wraps = st.sampled_from(["plain", "plain", "gzip", "zip"])
cuts = st.sampled_from([1.0, 1.0, 1.0, 0.97, 0.5, 0.1])

# --- CSV -------------------------------------------------------------------------------------------
FIELD_VALUES = ["", "NaN", "inf", "-inf", "1e308", "-1e308", "99999999999999999999", "-244000000", "0", "91", "181",
                "102.3", "511", "9999-12-31T00:00:00", "1500-01-01", "0000-00-00", "2024-13-45T25:61:61",
                "1e19", "-0", "nan", "NULL", "N/A", "2024-01-01T00:00:00+14:00", "20240101_000000",
                "\uff11\uff12\uff13", "=cmd|' /C calc'!A0", "\"quoted, with comma\"", "IMO0000000", "\x00"]
INSERTS = [b'"', b'""', b"\n", b"\r", b"\r\n", b"\x00", b",", b";", b"\t", b"\xff", b"\xe9", b"\xc3", b"\xef\xbb\xbf",
           b'\n"', b'"\n', b"\\", b"\n\n\n"]


@st.composite
def csv_file(draw) -> tuple[bytes, int | None]:
    """(bytes, number of records when every line is still one record, else None)."""
    rows = csv_rows()
    known = True
    for _ in range(draw(st.integers(0, 4))):  # field values: structure kept
        i, j = draw(st.integers(0, N_ROWS - 1)), draw(st.integers(0, 10))
        value = draw(st.sampled_from(FIELD_VALUES))
        if any(ch in value for ch in '",\x00') or not value.isascii():
            known = False
        cells = rows[i].split(",")
        cells[j] = value
        rows[i] = ",".join(cells)
    lead = draw(st.sampled_from(["", "", "\n", "\ufeff", "\n \n"]))
    text = lead + "\n".join([HEADER, *rows]) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16", "cp1252"]))
    data = bytearray(text.encode(encoding, errors="replace"))
    if encoding != "utf-8":
        known = False
    for _ in range(draw(st.integers(0, 5))):  # byte-level damage
        known = False
        kind = draw(st.sampled_from(["flip", "insert", "cut", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[pos:pos] = draw(st.sampled_from(INSERTS))
        elif kind == "cut":
            data = data[: max(pos, 1)]
        elif data:
            del data[pos: pos + draw(st.integers(1, 40))]
    return bytes(data), (N_ROWS if known else None)


@FUZZ
@given(file=csv_file(), wrap=wraps, cut=cuts)
def test_fuzz_csv(file, wrap, cut):
    data, records = file
    name, out = wrapped(data, wrap, "f.csv", cut)
    res = run(name, out)
    if res is not None and records is not None and cut == 1.0:
        assert res.counts["rows_read"] == records


# --- NMEA ------------------------------------------------------------------------------------------
POSITION = "15M67FC000G?ufbE`FepT@3n00Sa"
TYPE5 = ("55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53", "1@0000000000000")


def nmea_cs(body: str) -> str:
    c = 0
    for ch in body.encode("latin-1"):
        c ^= ch
    return f"{c:02X}"


def vdm(payload: str, total: int = 1, part: int = 1, seq: str = "", fill: int = 0) -> str:
    body = f"AIVDM,{total},{part},{seq},A,{payload},{fill}"
    return f"!{body}*{nmea_cs(body)}"


def tagged(c: str, sentence: str) -> str:
    body = f"s:fuzz,c:{c}"
    return f"\\{body}*{nmea_cs(body)}\\{sentence}"


TIMES = ["1704067200", "1704067200123", "253402214400", "-1", "0", "99999999999999999999", "1.5e9", "", "abc",
         "1704067200.5"]
PREFIXES = ["", "[9999-12-31 00:00:00] ", "1500-01-01T00:00:00Z ", "2024-01-01T00:00:00Z ", "1704067200 ", "[] "]


@st.composite
def nmea_file(draw) -> bytes:
    lines: list[str] = []
    for k in range(draw(st.integers(1, 25))):
        kind = draw(st.sampled_from(["pos", "pos", "type5", "type5_reversed", "zda", "rmc", "pghp", "junk"]))
        stamp = draw(st.sampled_from(TIMES))
        if kind == "pos":
            s = vdm(POSITION)
            lines.append(draw(st.sampled_from(PREFIXES)) + (tagged(stamp, s) if draw(st.booleans()) else s))
        elif kind.startswith("type5"):
            parts = [vdm(TYPE5[0], 2, 1, str(k % 10)), vdm(TYPE5[1], 2, 2, str(k % 10), 2)]
            lines.extend(reversed(parts) if kind == "type5_reversed" else parts)
        elif kind == "zda":
            day, month, year = draw(st.integers(0, 40)), draw(st.integers(0, 14)), draw(st.integers(0, 9999))
            body = f"GPZDA,120000.00,{day},{month},{year},00,00"
            lines.append(f"${body}*{nmea_cs(body)}")
        elif kind == "rmc":
            body = f"GPRMC,120000,A,5200.000,N,00400.000,E,0.0,0.0,{draw(st.integers(0, 999999)):06d},,"
            lines.append(f"${body}*{nmea_cs(body)}")
        elif kind == "pghp":
            body = f"PGHP,1,{draw(st.integers(0, 9999))},{draw(st.integers(0, 13))},1,0,0,0,0,219,,,1,FF"
            lines.append(f"${body}*{nmea_cs(body)}")
        else:
            lines.append(draw(st.text(max_size=40)))
    data = bytearray("\n".join(lines).encode("utf-8", errors="replace") + b"\n")
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["flip", "insert", "cut", "delete"]))
        if kind == "flip" and data:
            data[pos] = draw(st.sampled_from(list(b"!$\\*,0123456789AZaz?`w\x00\xff\n")))
        elif kind == "insert":
            data[pos:pos] = draw(st.sampled_from([b"\\", b"*", b",", b"\n", b"!AIVDM,", b"\\c:99999999999\\", b"\x00"]))
        elif kind == "cut":
            data = data[: max(pos, 1)]
        elif data:
            del data[pos: pos + draw(st.integers(1, 30))]
    return bytes(data)


@FUZZ
@given(data=nmea_file(), wrap=wraps, cut=cuts)
def test_fuzz_nmea(data, wrap, cut):
    name, out = wrapped(data, wrap, "f.nmea", cut)
    run(name, out)


# --- Parquet ---------------------------------------------------------------------------------------
BIG = 2**63 - 1


def _column(draw, kind: str, n: int) -> pa.Array:
    if draw(st.integers(0, 9)) == 0:
        return pa.nulls(n, pa.float64())  # an all-null column
    if kind == "mmsi":
        t = draw(st.sampled_from(["int64", "int32", "float64", "string"]))
        vals = draw(st.lists(st.integers(-(2**31), 2**31 - 1) | st.sampled_from([244_000_000, 0, 999_999_999]),
                             min_size=n, max_size=n))
        arr = pa.array(vals, pa.int64())
        return arr.cast(pa.string()) if t == "string" else arr.cast(getattr(pa, t)(), safe=False)
    if kind == "timestamp":
        t = draw(st.sampled_from(["s", "ms", "us", "ns", "int", "float", "string", "date"]))
        values = st.integers(-BIG, BIG) | st.integers(0, 2_000_000_000) | st.none()
        ints = draw(st.lists(values, min_size=n, max_size=n))
        if t in ("s", "ms", "us", "ns"):
            return pa.array(ints, pa.int64()).cast(pa.timestamp(t, tz=draw(st.sampled_from([None, "UTC", "+05:00"]))))
        if t == "int":
            return pa.array(ints, pa.int64())
        if t == "float":
            return pa.array([None if v is None else float(v) for v in ints], pa.float64())
        if t == "date":
            days = [None if v is None else v % 2_000_000 - 1_000_000 for v in ints]
            return pa.array(days, pa.int32()).cast(pa.date32())
        return pa.array(draw(st.lists(st.sampled_from(["2024-01-01T00:00:00", "9999-12-31", "1500-01-01", "", "x",
                                                       "2024-01-01T00:00:00+02:00", "1704067200"]) | st.none(),
                                      min_size=n, max_size=n)), pa.string())
    vals = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.floats(-200, 200) | st.none(),
                         min_size=n, max_size=n))
    return pa.array(vals, pa.float64())


@st.composite
def parquet_file(draw) -> bytes:
    n = draw(st.integers(0, 12))
    cols = {name: _column(draw, name, n) for name in ("mmsi", "timestamp", "lat", "lon")}
    if draw(st.booleans()):
        cols["sog"] = _column(draw, "sog", n)
    if draw(st.integers(0, 5)) == 0:  # a required column missing
        cols.pop(draw(st.sampled_from(sorted(cols))))
    buf = io.BytesIO()
    try:
        pq.write_table(pa.table(cols), buf, use_deprecated_int96_timestamps=draw(st.booleans()),
                       row_group_size=draw(st.sampled_from([3, 1000])))
    except pa.ArrowInvalid:  # pyarrow cannot write it (e.g. as INT96, seconds beyond its range)
        reject()
    data = bytearray(buf.getvalue())
    if draw(st.integers(0, 4)) == 0:  # damage
        pos = draw(st.integers(0, len(data) - 1))
        data[pos] = draw(st.integers(0, 255))
    return bytes(data)


@FUZZ
@given(data=parquet_file(), wrap=wraps, cut=cuts)
def test_fuzz_parquet(data, wrap, cut):
    name, out = wrapped(data, wrap, "f.parquet", cut)
    res = run(name, out)
    if res is not None:
        assert not np.isnat(res.positions["timestamp"].to_numpy(dtype="datetime64[ns]")).any()


# --- CSV quoting across block ends: the record count is known exactly --------------------------------
NAME_PARTS = st.sampled_from(["NORTH", "STAR", " ", ",", '""', "\n", "\r\n", "MARU", "No.7", "'"])


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))
@given(names=st.lists(st.lists(NAME_PARTS, min_size=1, max_size=8), min_size=1, max_size=6),
       where=st.lists(st.integers(-3, 3), min_size=6, max_size=6), wrap=wraps)
def test_fuzz_csv_quoted_fields_across_blocks(names, where, wrap):
    """Quoted names holding delimiters, doubled quotes and line breaks (within the limit), placed
    around the 64 kB block ends: every record is read once, whole, and none is rejected."""
    rows = csv_rows() * 50  # 1,500 rows, about 150 kB: three 64 kB blocks at chunk_rows=1
    sizes = [len(r) + 1 for r in rows]
    ends = np.cumsum(sizes) + len(HEADER) + 1
    edges = (np.flatnonzero(np.diff(ends // 65536)) + 1).tolist()  # rows holding a 64 kB boundary
    cells = [r.split(",") for r in rows]
    for k, parts in enumerate(names):
        i = min(max(edges[k % len(edges)] + where[k], 0), len(rows) - 1)
        cells[i][7] = '"' + "".join(parts).replace("\n\n", "\n") + '"'
    rows = [",".join(c) for c in cells]
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    name, out = wrapped(data, wrap, "q.csv", 1.0)
    with tempfile.TemporaryDirectory(prefix="vt-fuzz-") as d:
        path = Path(d) / name
        path.write_bytes(out)
        res = load(path, chunk_rows=1)
    assert res.counts["rows_read"] == len(rows) and res.counts["rows_rejected"] == 0
