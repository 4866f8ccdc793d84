"""NMEA 0183 AIS reader (``!AIVDM`` / ``!AIVDO`` and any talker), vectorised with numpy.

``read(path)`` yields :class:`~vesseltrack.ingest.base.Chunk` objects whose ``frame`` holds one row
per AIS position report (types 1, 2, 3, 18, 19, 27) in canonical columns and units, with the
static and voyage data of types 5, 24 and 19 merged on by MMSI and time.

How it works (no Python step per sentence): a chunk of up to ``chunk_rows`` lines is read as bytes
into a numpy array and passed through the stages of this package, each filling in arrays of one
:class:`~vesseltrack.ingest.nmea.batch.Batch`: ``framing`` (lines, sentences, non-AIS lines),
``header`` (checksum, header fields), ``times``, ``assemble`` (multi-part messages), ``decode``
(bit fields read from the tables in ``fields``), ``static`` (static data merged onto positions)
and ``output`` (frame, rejects, counts, carry-over). Newlines, ``!``, ``*`` and ``:`` are located
with array comparisons; the header fields of every sentence are read from a 12-byte window matrix
after ``!xxVDM``; checksums are one ``np.bitwise_xor.reduceat``; payload characters are gathered
into a (characters x messages) matrix and de-armoured to 6-bit values with two array operations,
and every bit field (declared per message family in ``fields``) is a few shifts over those columns
for all messages of a family at once. Multi-part messages are assembled by sorting fragments on
their key and matching runs of parts 1..n. Static data are merged with ``searchsorted`` over (MMSI
rank, time rank) keys. The only Python-level loops run over fields, characters of a field, chunks,
or distinct ship texts.

Timestamps, in order of precedence, for each sentence:

1. its NMEA 4.0 tag block ``c:`` field (``\\s:rORBCOMM,c:1418169601*hh\\!AIVDM...``; 9-11 digits
   are seconds, 12-13 digits milliseconds);
2. a leading stamp before the sentence: ``[2024-07-19 08:45:27.141] !AIVDM...``, an ISO time or a
   Unix time followed by a space, comma or semicolon;
3. a trailing Unix time after the checksum, as written by DMA and USCG/N-AIS receivers
   (``...,0*3E,1357134218`` or ``...*hh,b003669794,1272412827``; the first field after the
   checksum that is a whole Unix time is used);
4. the preceding Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,...`` line, or a tag block alone on its
   line (``\\c:1354719388*56\\``): like pyais, such a line dates the *next* AIS message only (all
   its fragments), not every later sentence;
5. the stream's own clocks (:mod:`~vesseltrack.ingest.nmea.clock`): ``$xxZDA`` / ``$xxRMC`` lines and
   type 4 / 11 base-station UTC, interpolated in line order between readings;
6. ``assume_time`` when given: the time of line 1, later lines 1 ms a line after it (line order is
   kept; no two sentences share an instant).

A multi-part message takes the first time found among its parts (part 1 first), so parts linked by
``g:`` groups that carry no ``c:`` of their own are dated by part 1. Times outside 1980..2100 are
ignored (the placeholder 9999-12-31 included). Sentences that need a time (positions, static
data) and have none are rejected with ``no_timestamp``, or ``bad_timestamp`` when they carried a
stamp of their own (tag block ``c:``, a stamp before the sentence) that was such an ignored time;
if no AIS sentence in the whole file has a time and ``assume_time`` is not given,
:class:`~vesseltrack.errors.InputError` is raised (chunks are held back until the first time is
seen, so the error comes before any chunk of such a file is yielded).

Line accounting (every line is counted exactly once):

- A physical line normally holds one sentence. Lines holding several sentences
  (``...*25\\c:..\\!AIVDM...`` or ``...*4B\\r\\n!AIVDM...`` as some captures have) are cut
  before each later ``!xxVDM`` (or before its tag block); each sentence then counts separately
  and carries the physical line number. Lines starting with ``#`` are comments even when they
  quote a sentence.
- ``rows_read`` is the number of AIS sentences (anything containing ``!xxVDM,`` / ``!xxVDO,``)
  consumed by the chunk, and ``rows_read == len(frame) + len(rejects) + sum(skipped[k] for k
  not in NON_AIS_KINDS)``. Rejects are AIS sentences only (``row`` = 1-based physical line).
- ``skipped`` counts AIS sentences not turned into rows by kind: ``msg_type_N`` (messages of types
  other than positions and static data, e.g. ``msg_type_4`` base stations), ``static_msg``
  (types 5 and 24, merged onto positions), ``multipart_fragment`` (parts after the first of an
  assembled message; the first part carries the message's outcome). It also counts the lines
  that are not AIS sentences (``NON_AIS_KINDS``): ``blank``, ``comment`` (``#``), ``time_line``
  (``$PGHP`` and stand-alone tag blocks) and ``non_ais_line`` (other NMEA such as ``$GPRMC``,
  garbage).
- A fragment still waiting for its other parts at the end of a chunk is carried into the next one
  (if it is within ``CARRY_LINES`` lines of the chunk end) and counted where it is resolved.

Values are decoded faithfully and not judged (``clean`` does that): lat 91 / lon 181, SOG 102.3,
COG 360, heading 511, draught 0 and IMO 0 are delivered as sent. Type 27 (long range) reports
SOG in whole knots and COG in whole degrees; their "not available" codes 63 and 511 are mapped to
the canonical sentinels 102.3 and 360 so that ``clean`` treats all types alike, and its missing
heading is NaN. Types 18/19 have no navigational status (<NA>).

Static data merge: each position gets, field by field, the latest value reported by its MMSI at
or before its time (type 5: all fields; type 24 A: name; type 24 B: call sign, type, dimensions;
type 19: name, type, dimensions); a report with the very same time counts as before the position
only if it comes earlier in the file, so two ships sharing an MMSI in the same second each keep
their own name. When the MMSI reported nothing before the position, the first later report in
the same chunk is used, so a vessel's first positions are not left without a name merely because
its type 5 came a little later. The latest static values per MMSI are carried
across chunks. Empty texts become <NA>. length_m = A + B, width_m = C + D (dimensions to the GPS
antenna), draught_m = raw / 10.

Checksums: the XOR of the bytes between ``!`` and ``*`` must equal the two hex digits after
``*``; anything after them (receiver trailers, stray characters) is not part of the sentence.
A missing or mismatched checksum is a ``bad_checksum`` reject, a sentence whose fields are
invalid (fragment count 0, part > count, fill bits > 5, ...) a ``malformed_sentence`` reject, an
empty or undecodable payload (bad characters, unknown type, too short for a position) a
``bad_payload`` reject. Fields a short payload cuts off after the position (COG, heading, ...)
are NaN rather than zero.

Multi-part messages: fragments are keyed by (talker, VDM/VDO, sequential id, channel, fragment
count), as pyais does, and parts 1..n of a key are matched in file order even with other
sentences in between; a new part 1 abandons an unfinished message of the same key. Fragments
left over are ``incomplete_multipart`` rejects.

Not decoded: ETA and the binary payloads of other message types (counted in ``skipped``).
Tag-block checksums are not verified (providers often write them wrong, e.g. ``*00``); only the
sentence checksum is. ``g:`` group ids are not used for assembly: the NMEA sentence fields are.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from vesseltrack.errors import InputError
from vesseltrack.ingest.base import Chunk
from vesseltrack.ingest.nmea import (
    assemble,
    clock,
    decode,
    framing,
    header,
    output,
    static,
    times,
)
from vesseltrack.ingest.nmea.assemble import CARRY_LINES
from vesseltrack.ingest.nmea.batch import ReaderState
from vesseltrack.ingest.nmea.bits import NAT

__all__ = ["CARRY_LINES", "NON_AIS_KINDS", "looks_like_nmea", "read"]

#: ``skipped`` kinds that are not AIS sentences (not part of ``rows_read``).
NON_AIS_KINDS = ("blank", "comment", "time_line", "non_ais_line")

_SENTENCE_RE = re.compile(rb"![A-Z-]{2}VD[MO],")


def looks_like_nmea(first_bytes: bytes) -> bool:
    """True when the first bytes of a file (gzip or plain) hold an AIS sentence (``!xxVDM`` / ``!xxVDO``)
    or a Gatehouse ``$PGHP`` line: the sniffer's test for this reader."""
    data = first_bytes
    if data[:2] == b"\x1f\x8b":
        try:
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 1 << 20)
        except zlib.error:
            return False
    head = data[: 1 << 16]
    return bool(_SENTENCE_RE.search(head)) or b"$PGHP," in head


def _assume_ns(assume_time) -> int:
    if assume_time is None:
        return NAT
    try:
        ts = pd.Timestamp(assume_time)
    except (ValueError, TypeError) as err:
        raise InputError(
            f"assume_time {assume_time!r} is not a time; expected an ISO time such as 2024-01-01T00:00:00Z"
        ) from err
    if ts is pd.NaT:
        raise InputError(
            f"assume_time {assume_time!r} is not a time; expected an ISO time such as 2024-01-01T00:00:00Z"
        )
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.as_unit("ns").value)


def read(path, *, column_map=None, assume_time=None, chunk_rows: int = 1_000_000) -> Iterator[Chunk]:
    """Read an NMEA AIS file (plain or gzip) into chunks of canonical positions.

    ``column_map`` is accepted for the common reader signature and ignored (NMEA has no columns).
    ``assume_time`` (anything ``pd.Timestamp`` accepts; naive means UTC) dates sentences that carry
    no time. Raises InputError when no AIS sentence in the file has a time and no ``assume_time``
    is given. See the module docstring for the time sources and the line accounting.

    Memory: a chunk needs roughly 1 KB per line while it is decoded (about 1 GB at the default
    ``chunk_rows`` of 1,000,000 lines of ~75 bytes); pass a smaller ``chunk_rows`` to bound it
    lower at little cost in speed.
    """
    path = Path(path)
    if chunk_rows < 1:
        raise InputError(f"chunk_rows {chunk_rows} is invalid; expected a positive number of lines")
    state = ReaderState(path=str(path), assume_ns=_assume_ns(assume_time))
    held: list[Chunk] = []
    seen_time = state.assume_ns != NAT
    n_sentences = n_chunks = 0
    with framing.open_source(path) as fh:
        try:
            for block, eof in framing.blocks(fh, chunk_rows):
                chunk, had_time = _process(block, eof, state)
                if not (chunk.rows_read or chunk.skipped):
                    continue  # nothing left at the end of the file
                n_chunks += 1
                n_sentences += chunk.rows_read
                if seen_time:
                    yield chunk
                elif had_time:
                    seen_time = True
                    yield from held
                    held.clear()
                    yield chunk
                else:
                    held.append(chunk)
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(f"{path}: cannot read ({err}); expected a readable plain or gzip NMEA file") from err
    if n_chunks == 0:  # an empty file: one empty chunk, so callers still get the columns
        chunk, _ = _process(b"", True, state)
        yield chunk
        return
    if held and n_sentences:
        raise InputError(
            f"{path}: no timestamps found in {n_sentences} NMEA sentences (no tag blocks, $PGHP, epoch stamps, "
            f"$xxZDA/$xxRMC or type 4/11 clocks); expected a time per sentence; pass --assume-time "
            f"2024-01-01T00:00:00Z to date them from that start in line order"
        )
    yield from held


def _process(block, eof: bool, st: ReaderState) -> tuple[Chunk, bool]:
    """One block of lines through the stages; also whether any sentence in it had a time."""
    b = framing.frame(block, eof, st)
    framing.other_lines(b)
    header.checksums(b)
    header.header_fields(b)
    times.sentence_times(b, st)
    clock.stream_times(b, st)
    assemble.assemble(b, st)
    had_time = bool((b.time_ns != NAT).any())
    cols, static_parts = decode.decode(b)
    statics = static.static_table(static_parts, st.statics)
    frame = output.positions_frame(cols, statics)
    st.statics = static.latest_statics(statics)
    return output.finish(b, st, frame), had_time
