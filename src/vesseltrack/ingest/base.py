"""The reader protocol: what every format reader yields to the ingest dispatcher.

A reader is a function ``read(path, *, column_map, assume_time, chunk_rows) -> Iterator[Chunk]``.
It maps its format onto canonical column names and units but does not judge rows: values it cannot
parse become NaN / NaT and :mod:`vesseltrack.clean` turns them into rejects with a reason. Only rows
it cannot even split into fields (malformed CSV lines, NMEA with a bad checksum, ...) are rejected
by the reader itself, in ``Chunk.rejects``.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

import pandas as pd


@dataclass
class Chunk:
    #: Canonical column names (a subset of schema.POSITIONS, in canonical units) plus ``source_row``
    #: (int64, 1-based data row / line number in the file). Not yet validated.
    frame: pd.DataFrame
    #: schema.REJECTS rows the reader rejected itself.
    rejects: pd.DataFrame
    #: Input rows this chunk consumed: len(frame) + len(rejects) (+ lines counted in ``skipped``).
    rows_read: int
    #: Lines that are not data and are not counted as rows (NMEA: non-AIS sentences, comments,
    #: message types without positions), by kind, for summary.json.
    skipped: dict[str, int] = field(default_factory=dict)
    #: What the reader noticed about the file and could not fix (columns that look meaningful but
    #: map to nothing, scales read from column names); on the file's first chunk only.
    warnings: tuple[str, ...] = ()
    #: NMEA: how many AIS sentences got their time how (``own``, ``stream_clock``, ``stream_clock_held``,
    #: ``assumed``, ``none``: see ingest/nmea/clock.py).
    time_sources: dict[str, int] = field(default_factory=dict)


_END = object()


def prefetch(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """Yield the chunks of a reader, reading the next one in a background thread meanwhile.

    Decoding (pyarrow's Parquet and CSV readers, numpy conversions) mostly releases the GIL, so
    the next chunk is read on the second core while the caller cleans this one. At most one chunk
    is read ahead; a reader's exception is raised here, at the chunk where it happened.
    """
    it = iter(chunks)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vesseltrack-read") as pool:
        pending = pool.submit(next, it, _END)
        while True:
            item = pending.result()
            if item is _END:
                return
            pending = pool.submit(next, it, _END)
            yield cast(Chunk, item)
