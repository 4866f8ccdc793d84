"""CSV records (ingest/records.py): quotes never closed, quoted line breaks at block ends, blank
lines before the header, bytes that are not UTF-8. rows_read must equal the records in the file."""

from __future__ import annotations

import pytest

from vesseltrack.ingest import csv as csv_reader
from vesseltrack.ingest import load
from vesseltrack.ingest.records import MAX_RECORD_LINES, encoding_of

from .helpers import gz, write, zipped

HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName"


def row(i: int, name: str | None = None) -> str:
    name = f"SHIP {i}" if name is None else name
    return (f"{244_000_000 + i % 97},2024-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d},"
            f"{50 + i % 1000 / 1000:.4f},{4 + i % 997 / 1000:.4f},1.0,10.0,95,{name}")


def text(rows: list[str]) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def accounted(res) -> None:
    c = res.counts
    assert c["rows_read"] == c["rows_kept"] + c["rows_rejected"] + c["rows_duplicate"] + c["rows_non_vessel"]
    for f in c["files"]:
        assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"] + f["rows_duplicate"] + f["rows_non_vessel"]


def test_unterminated_quote_does_not_swallow_the_rest(tmp_path):
    """Issue #15: 32 of 40 lines vanished into a vessel name. Now the line that opens the quote is a
    malformed_row with the span, and every following line is a record of its own."""
    rows = [row(i) for i in range(40)]
    rows[7] = row(7, '"SHIP 7')
    res = load(write(tmp_path, "open.csv", text(rows)))
    accounted(res)
    assert res.counts["rows_read"] == 40
    assert res.counts["rows_kept"] == 39
    rej = res.rejects
    assert rej["row"].tolist() == [8] and rej["reason"].tolist() == ["malformed_row"]
    assert rej["detail"][0].startswith("lines 9-41 (never closed): a quoted field runs past its line")
    assert res.positions["vessel_name"].str.len().max() < 10


def test_stray_quote_closed_far_below_is_a_reject_with_its_span(tmp_path):
    rows = [row(i) for i in range(40)]
    rows[4] = row(4, '"SHIP 4')
    rows[30] = row(30, 'SHIP 30"')  # a quote inside an unquoted field: would close the runaway one
    res = load(write(tmp_path, "stray.csv", text(rows)))
    accounted(res)
    assert res.counts["rows_read"] == 40 and res.counts["rows_kept"] == 39
    assert res.rejects["detail"][0].startswith("lines 6-32: ")


def test_two_adjacent_open_quotes_are_two_records(tmp_path):
    """Each quote would close the other (a two-line record of 15 fields): both lines are records."""
    rows = [row(i) for i in range(10)]
    rows[3], rows[4] = row(3, '"SHIP 3'), row(4, '"SHIP 4')
    res = load(write(tmp_path, "pair.csv", text(rows)))
    accounted(res)
    assert res.counts["rows_read"] == 10
    assert res.rejects["row"].tolist()[:1] == [4]


@pytest.mark.parametrize("breaks", [1, MAX_RECORD_LINES - 1])
def test_quoted_line_breaks_within_the_limit_stay_one_record(tmp_path, breaks):
    name = '"NORTHERN' + "\n" * breaks + 'STAR"'
    rows = [row(i) for i in range(20)]
    rows[5] = row(5, name)
    res = load(write(tmp_path, "multi.csv", text(rows)))
    accounted(res)
    assert res.counts["rows_read"] == 20 and res.counts["rows_kept"] == 20
    assert "NORTHERN" + "\n" * breaks + "STAR" in res.positions["vessel_name"].tolist()


def test_quoted_line_breaks_beyond_the_limit_are_a_reject(tmp_path):
    rows = [row(i) for i in range(20)]
    rows[5] = row(5, '"NORTHERN' + "\n" * MAX_RECORD_LINES + 'STAR"')
    res = load(write(tmp_path, "long.csv", text(rows)))
    accounted(res)
    assert res.rejects["reason"].iloc[0] == "malformed_row"
    assert res.rejects["detail"].iloc[0].startswith(f"lines 7-{7 + MAX_RECORD_LINES}: ")


@pytest.mark.parametrize("where", ["reader block", "pyarrow chunk"])
def test_quoted_line_break_across_a_block_end_is_one_record(tmp_path, where):
    """Issue #15: a quoted newline straddling a block end split one record into a truncated row and a
    phantom reject. Every position of the break around the block end is tried."""
    n = 40_000 if where == "pyarrow chunk" else 4_000
    chunk_rows = 1_000_000 if where == "pyarrow chunk" else 500
    rows = [row(i) for i in range(n)]
    body = text(rows).encode()
    edge = (1 << 20) if where == "pyarrow chunk" else csv_reader._block_bytes(body[:1 << 16], chunk_rows)
    line_of_edge = body[:edge].count(b"\n") - 1  # data row index holding the block end
    for k in range(line_of_edge - 2, line_of_edge + 2):
        multi = list(rows)
        multi[k] = row(k, '"NORTHERN\nSTAR"')
        res = load(write(tmp_path, f"edge{k}.csv", text(multi)), chunk_rows=chunk_rows)
        accounted(res)
        assert res.counts["rows_read"] == n and res.counts["rows_rejected"] == 0, k
        assert "NORTHERN\nSTAR" in set(res.positions["vessel_name"])


@pytest.mark.parametrize("lead", ["\n", "\n\n\n", "  \n\r\n", "\ufeff\n"])
def test_blank_lines_before_the_header(tmp_path, lead):
    """Issue #15: a blank first line made the header a rejected data row."""
    rows = [row(i) for i in range(5)]
    res = load(write(tmp_path, "lead.csv", lead + text(rows)))
    accounted(res)
    assert res.counts["rows_read"] == 5 and res.counts["rows_kept"] == 5 and not len(res.rejects)


@pytest.mark.parametrize("ragged", [False, True])
def test_a_row_that_is_not_utf8_is_one_reject(tmp_path, ragged, capfd):
    """Issue #15: a non-UTF-8 byte in one ragged row printed 'Exception ignored ...' and refused the
    whole file. Now that row is a bad_encoding reject with its row number; the rest is read."""
    rows = [row(i) for i in range(30)]
    rows[11] = row(11, "SH\xc9P") + (",extra,fields" if ragged else "")
    data = text(rows).encode("utf-8").replace("SH\xc9P".encode(), "SH\xc9P".encode("latin-1"))
    path = tmp_path / "one_latin1.csv"
    path.write_bytes(data)
    res = load(path)
    accounted(res)
    assert res.counts["rows_read"] == 30 and res.counts["rows_kept"] == 29
    assert res.rejects[["row", "reason"]].values.tolist() == [[12, "bad_encoding"]]
    assert "SH\\xc9P" in res.rejects["detail"][0]
    assert "Exception ignored" not in capfd.readouterr().err


def test_bad_bytes_beside_ragged_rows_and_quotes_keep_row_numbers(tmp_path):
    rows = [row(i) for i in range(30)]
    rows[3] = row(3) + ",extra"
    rows[9] = row(9, '"SHIP 9')
    rows[20] = row(20, "caf\xe9")
    data = text(rows).encode("utf-8").replace("caf\xe9".encode(), b"caf\xe9")
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    res = load(path)
    accounted(res)
    assert res.counts["rows_read"] == 30
    assert res.rejects[["row", "reason"]].values.tolist() == [[4, "malformed_row"], [10, "malformed_row"],
                                                             [21, "bad_encoding"]]


def test_a_wholly_latin1_file_is_read_as_cp1252_with_a_warning(tmp_path):
    rows = [row(i, f"S\xc3O JO\xc3O {i}") for i in range(10)]
    path = tmp_path / "latin1.csv"
    path.write_bytes(text(rows).encode("cp1252"))
    res = load(path)
    accounted(res)
    assert res.counts["rows_kept"] == 10
    assert res.positions["vessel_name"].str.startswith("S\xc3O JO\xc3O").all()
    assert any("read as Windows-1252" in w for w in res.counts["files"][0]["warnings"])


def test_encoding_of_head():
    assert encoding_of(b"a,b\n1,caf\xc3\xa9\n") == "utf-8"
    assert encoding_of(b"a,b\n1,caf\xe9\n") == "utf-8"  # one bad line: a bad row, not a Latin-1 file
    assert encoding_of(b"a,b\n1,caf\xe9\n2,\xe0 la\n") == "cp1252"
    assert encoding_of(b"a,b\n1,caf\xe9\n2,\xe0 la\n3,caf\xc3\xa9\n") == "utf-8"  # some real UTF-8


@pytest.mark.parametrize("wrap", ["gzip", "zip"])
def test_records_rules_hold_in_compressed_files(tmp_path, wrap):
    rows = [row(i) for i in range(3000)]
    rows[100] = row(100, '"OPEN')
    rows[2000] = row(2000, '"TWO\nLINES"')
    plain = write(tmp_path, "c.csv", "\n" + text(rows))
    path = gz(plain) if wrap == "gzip" else zipped(tmp_path, "c.zip", {"c.csv": plain.read_bytes()})
    res = load(path, chunk_rows=200)
    accounted(res)
    assert res.counts["rows_read"] == 3000 and res.counts["rows_kept"] == 2999
    assert res.rejects["row"].tolist() == [101]


def test_quoted_line_break_as_the_last_line_end_of_a_block(tmp_path):
    """Found by test_fuzz.py: a quoted field whose line break is the block's last line end was taken
    for a one-line record (its quote is open at the block end, but not past a line end of the block):
    pyarrow then rejected the cut record, and the rest of the block read as a runaway quote."""
    rows = [row(i) for i in range(3000)]
    name = '"NORTH\n' + "X" * 60 + '"'
    hits = 0
    for k in range(960, 1000):
        multi = list(rows)
        multi[k] = row(k, name)
        body = text(multi)
        inner = len(body[: body.index("NORTH\n")].encode()) + 5  # the line break inside the quotes
        if not inner < 65536 <= inner + 62:  # the block (64 kB at chunk_rows=1) must end there
            continue
        hits += 1
        res = load(write(tmp_path, f"last{k}.csv", body), chunk_rows=1)
        accounted(res)
        assert res.counts["rows_read"] == 3000 and res.counts["rows_rejected"] == 0, k
    assert hits == 1


@pytest.mark.parametrize("name", ['A","OPEN', 'A""B,"OPEN', '12" PIPE,"OPEN'])
def test_a_quote_that_opens_after_a_literal_one_is_found(tmp_path, name):
    """The quotes of the line pair up, but the first is an ordinary character (inside an unquoted
    field), so the second opens a field that is never closed."""
    rows = [row(i) for i in range(20)]
    rows[3] = row(3, name)
    res = load(write(tmp_path, "literal.csv", text(rows)))
    accounted(res)
    assert res.counts["rows_read"] == 20 and res.counts["rows_kept"] == 19
    assert res.rejects["row"].tolist() == [4]
