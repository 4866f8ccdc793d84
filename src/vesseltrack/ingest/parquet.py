"""Parquet reader: record batches of the mapped columns only, converted column by column.

Column names are matched with the same synonyms as CSV (so a file written from a POSITIONS frame,
a MarineCadastre export or a damast file all load). String columns are read dictionary-encoded
and go straight to pandas categoricals; timestamps may be text, integer epochs or Parquet
timestamps of any unit and time zone. Times nanoseconds cannot hold (the placeholder 9999-12-31,
year 1500; legacy INT96 included, read as microseconds so it cannot wrap) are missing, so their
rows are ``bad_timestamp`` rejects, never an error for the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vesseltrack import schema
from vesseltrack.errors import InputError
from vesseltrack.ingest import layouts
from vesseltrack.ingest.base import Chunk
from vesseltrack.ingest.csv import resolve_mapping, time_options
from vesseltrack.ingest.sniff import Source, expand


def layout_of(columns: list[str]) -> str:
    lay = layouts.detect_layout(columns)
    return lay.name if lay else "generic"


def open_file(src: Source, read_dictionary=None) -> pq.ParquetFile:
    try:
        # pre_buffer=False: reading ahead whole row groups doubles memory and is slower here;
        # INT96 times (Spark, Impala) as microseconds: as nanoseconds, 9999-12-31 would wrap to 1816
        pf = pq.ParquetFile(src.open_seekable(), pre_buffer=False, read_dictionary=read_dictionary,
                            coerce_int96_timestamp_unit="us")
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(
            f"{src.name}: cannot read as Parquet ({str(err).splitlines()[0]}); expected a valid Parquet "
            f"file; check it is complete (not truncated) or re-export it"
        ) from err
    return pf


def batch_rows(metadata: pq.FileMetaData, chunk_rows: int) -> int:
    """Rows per batch: ``chunk_rows``, adjusted so that batches split row groups evenly.

    Batches never span row groups, so 1,000,000-row batches of 1,048,576-row groups would come as
    1,000,000 + 48,576 rows, doubling the chunks (each with its fixed costs). A row group up to a
    quarter larger than ``chunk_rows`` is read whole; a larger one in equal parts.
    """
    largest = max((metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)), default=0)
    if largest <= chunk_rows:
        return chunk_rows
    parts = -(-largest // chunk_rows)
    if largest <= chunk_rows + chunk_rows // 4:
        parts = 1
    return -(-largest // parts)


def read(path, *, column_map: dict | None = None, assume_time=None, chunk_rows: int = 1_000_000,
         **_: object) -> Iterator[Chunk]:
    """Yield :class:`Chunk` s of canonical columns from a Parquet file, ``chunk_rows`` rows at a time."""
    src = path if isinstance(path, Source) else expand(Path(path))[0]
    pf = open_file(src)
    columns = pf.schema_arrow.names
    mapping = resolve_mapping(src.name, columns, column_map)
    warnings = tuple(layouts.unmapped_warnings(src.name, columns, mapping))
    unrecognised: dict[str, int] = {}  # ship-type texts, over the whole file
    fmt, unit = time_options(layout_of(columns), column_map)
    wanted = list(dict.fromkeys(mapping.values()))
    dict_cols = [c for c in (mapping.get(t) for t in layouts.TEXT) if c is not None]
    if dict_cols:
        # re-open with string columns dictionary-encoded (straight to categoricals)
        pf = open_file(src, read_dictionary=dict_cols)
    done = 0
    try:
        batches = pf.iter_batches(batch_size=batch_rows(pf.metadata, chunk_rows), columns=wanted, use_threads=True)
        for batch in batches:
            n = batch.num_rows
            if n == 0:
                continue
            cols = layouts.to_canonical(batch, mapping, time_format=fmt, time_unit=unit, unrecognised=unrecognised)
            del batch
            cols["source_row"] = np.arange(done + 1, done + n + 1, dtype=np.int64)
            frame = pd.DataFrame(cols, copy=False)
            done += n
            if done == pf.metadata.num_rows:  # the file's last batch: what the whole file left unrecognised
                warnings = (*warnings, *layouts.unrecognised_warning(src.name, unrecognised))
            yield Chunk(frame=frame, rejects=schema.empty(schema.REJECTS), rows_read=n, warnings=warnings)
            warnings = ()
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(
            f"{src.name}: Parquet data cannot be read after {done:,} rows ({str(err).splitlines()[0]}); "
            f"expected a valid Parquet file; check it is complete or re-export it"
        ) from err
