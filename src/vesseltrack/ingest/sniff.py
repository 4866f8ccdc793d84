"""Recognise an input by its content, not its name: gzip, zip, Parquet, NMEA or delimited text.

A :class:`Source` is one logical input: a plain file, a gzip-compressed file, or one member of a
zip archive (named ``archive.zip:member.csv`` in counts and rejects). :func:`expand` turns a path
into its sources; :func:`sniff_source` tells what a source holds; :func:`sniff` is the public
one-call version returning a format name.
"""

from __future__ import annotations

import csv as _csv
import gzip
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from vesseltrack.errors import InputError
from vesseltrack.ingest import layouts

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
HEAD_BYTES = 1 << 16
DELIMITERS = (",", ";", "\t", "|")
_NMEA = re.compile(rb"[!$][A-Z]{2}VD[MO],")


#: What reading a damaged, truncated or undecodable compressed input raises (zipfile raises
#: BadZipFile on a bad CRC, EOFError when cut short, zlib.error on corrupt deflate data).
READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def read_error(name: str, err: BaseException, where: str = "") -> InputError:
    """The one-line InputError for an input that cannot be read (truncated gzip, damaged zip, ...)."""
    msg = (str(err).splitlines() or [type(err).__name__])[0] or type(err).__name__
    return InputError(
        f"{name}: cannot read the file{where} ({msg}); expected a complete CSV, Parquet or NMEA file "
        f"(plain, gzip or zip); check the file is complete and not corrupted (e.g. gzip -t, unzip -t)"
    )


class _Guarded:
    """A binary stream whose read errors are one-line InputErrors naming the input."""

    def __init__(self, stream, name: str):
        self._stream = stream
        self._name = name
        self._done = 0

    def read(self, n: int = -1) -> bytes:
        try:
            out = self._stream.read(n)
        except READ_ERRORS as err:
            raise read_error(self._name, err, f" after {self._done:,} bytes" if self._done else "") from err
        self._done += len(out)
        return out

    def close(self) -> None:
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _ZipMember:
    """One zip member opened for reading; closing it closes the archive too."""

    def __init__(self, path: Path, member: str):
        self._zip = zipfile.ZipFile(path)
        self._file = self._zip.open(member)

    def read(self, n: int = -1) -> bytes:
        return self._file.read(n)

    def close(self) -> None:
        self._file.close()
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass(frozen=True)
class Source:
    """One logical input: ``path`` on disk, optionally gzip-compressed or a zip ``member``."""

    path: Path
    compression: str | None = None  # "gzip" or None
    member: str | None = None  # zip member name

    @property
    def name(self) -> str:
        return f"{self.path}:{self.member}" if self.member else str(self.path)

    def open_arrow(self):
        """A readable binary stream (``read(n)``, ``close()``, context manager)."""
        try:
            if self.member is not None:
                return _Guarded(_ZipMember(self.path, self.member), self.name)
            return _Guarded(pa.input_stream(str(self.path), compression=self.compression), self.name)
        except READ_ERRORS as err:
            raise read_error(self.name, err) from err

    def open_seekable(self):
        """A seekable file for Parquet (compressed inputs are read into memory)."""
        if self.member is None and self.compression is None:
            return str(self.path)
        try:
            if self.member is not None:
                with zipfile.ZipFile(self.path) as zf:
                    return pa.BufferReader(zf.read(self.member))
            with gzip.open(self.path, "rb") as f:
                return pa.BufferReader(f.read())
        except READ_ERRORS as err:
            raise read_error(self.name, err) from err

    def head(self, n: int = HEAD_BYTES) -> bytes:
        try:
            if self.member is not None:
                with zipfile.ZipFile(self.path) as zf, zf.open(self.member) as f:
                    return f.read(n)
            if self.compression == "gzip":
                with gzip.open(self.path, "rb") as f:
                    return f.read(n)
            with open(self.path, "rb") as f:
                return f.read(n)
        except READ_ERRORS as err:
            raise read_error(self.name, err) from err


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found; expected an existing CSV, Parquet or NMEA file; check the path")
    if path.is_dir():
        raise InputError(
            f"{path}: is a directory; expected a file; pass the files inside it instead (e.g. {path}/*.csv)"
        )
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied; expected a readable file; fix its permissions (chmod +r)")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty (0 bytes); expected a header and data rows; check the export")


def expand(path) -> list[Source]:
    """The sources inside ``path``: itself, its gzip content, or each CSV/Parquet/NMEA zip member."""
    path = Path(path)
    _check_file(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as err:
        raise InputError(
            f"{path}: cannot open the file ({err}); expected a readable file; check its permissions"
        ) from err
    if magic[:2] == GZIP_MAGIC:
        return [Source(path, compression="gzip")]
    if magic == ZIP_MAGIC:
        try:
            with zipfile.ZipFile(path) as zf:
                infos = [i for i in zf.infolist()
                         if not i.is_dir() and not i.filename.startswith("__MACOSX/") and i.file_size > 0]
        except READ_ERRORS as err:
            raise InputError(
                f"{path}: damaged zip archive ({err}); expected a valid zip; re-download or re-create it"
            ) from err
        for i in infos:
            if i.flag_bits & 0x1:
                raise InputError(
                    f"{path}: zip member {i.filename} is encrypted; expected an unencrypted zip; "
                    f"extract it with its password (unzip {path.name}) and pass the extracted file"
                )
            if i.compress_type not in _ZIP_METHODS:
                raise InputError(
                    f"{path}: zip member {i.filename} uses compression method {i.compress_type}, which "
                    f"cannot be read; expected stored, deflate, bzip2 or lzma; extract it and pass the file"
                )
        members = [i.filename for i in infos]
        if not members:
            raise InputError(
                f"{path}: zip archive holds no files; expected CSV, Parquet or NMEA members; check the archive"
            )
        return [Source(path, member=m) for m in members]
    return [Source(path)]


@dataclass(frozen=True)
class Sniffed:
    kind: str  # "csv", "parquet" or "nmea"
    layout: str  # layout name ("marinecadastre", ..., "generic"), or "parquet" / "nmea"
    delimiter: str = ","
    columns: tuple[str, ...] = ()


def _decode(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode("utf-8", errors="replace")


def detect_delimiter(header: str, second: str | None = None) -> str:
    """The delimiter among , ; TAB | that splits the header into the most fields (consistent with line 2)."""
    best, best_n = ",", 0
    for d in DELIMITERS:
        n = len(next(_csv.reader([header], delimiter=d), []))
        if second is not None and n > 1:
            m = len(next(_csv.reader([second], delimiter=d), []))
            if m < 2:
                continue
        if n > best_n:
            best, best_n = d, n
    return best


def sniff_source(src: Source) -> Sniffed:
    head = src.head()
    if not head.strip():
        raise InputError(
            f"{src.name}: file holds no data (only blank space); expected a header and data rows; check the export"
        )
    if head[:4] == PARQUET_MAGIC:
        return Sniffed("parquet", "parquet")
    if head[:2] == GZIP_MAGIC or head[:4] == ZIP_MAGIC:
        raise InputError(
            f"{src.name}: nested archive; expected CSV, Parquet or NMEA inside the archive; extract it first"
        )
    if b"\x00" in head[:4096]:
        raise InputError(
            f"{src.name}: binary content that is not Parquet, gzip or zip; expected CSV, Parquet or NMEA; "
            f"convert the file to CSV or Parquet"
        )
    text = _decode(head)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header = lines[0] if lines else ""
    second = lines[1] if len(lines) > 1 and len(head) > len(header) + 2 else None
    delim = detect_delimiter(header, second)
    cols = tuple(next(_csv.reader([header], delimiter=delim), []))
    mapping = layouts.match_columns(list(cols))
    has_required = all(c in mapping for c in ("mmsi", "timestamp", "lat", "lon"))
    if not has_required and _NMEA.search(head):
        return Sniffed("nmea", "nmea")
    lay = layouts.detect_layout(list(cols))
    return Sniffed("csv", lay.name if lay else "generic", delim, cols)


def sniff(path) -> str:
    """Format name of ``path`` judged by content: a CSV layout name ("marinecadastre", "dma_aisdk",
    "nari", "exactearth", "damast", "barentswatch", "anonymised_id", ... or "generic"), "parquet",
    "nmea", or "zip" for an archive with several members."""
    sources = expand(path)
    if len(sources) > 1:
        return "zip"
    return sniff_source(sources[0]).layout


__all__ = ["Sniffed", "Source", "detect_delimiter", "expand", "sniff", "sniff_source"]
