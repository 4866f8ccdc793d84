"""The results folder (``score --out``): it changes all at once or not at all.

A run writes its whole results folder (CSVs, data dictionary, map, geo files, cases/) into a staging
folder ``.{name}.tmp-{pid}-{hex}`` beside ``--out`` (same filesystem), writes ``summary.json`` last
with the list of files written and their SHA-256 hashes (``outputs``), then swaps the staging folder
in: with one atomic exchange of the two folders where the system has it (Linux ``renameat2``
``RENAME_EXCHANGE``), otherwise with two renames (``--out`` to ``.{name}.old-{pid}-{hex}``, staging
to ``--out``). The previous results are deleted after the swap. A kill at any point leaves ``--out``
either entirely the previous run or entirely the new one:

- before the swap, ``--out`` is untouched; the staging folder is left behind;
- between the two renames (only without the exchange) ``--out`` is missing; the next run puts back
  the new run when its staging folder is complete (its summary.json is there and every hash holds)
  and otherwise the old folder;
- after the swap, only the deletion of the old folder is lost.

The next run (:func:`recover`, called by :class:`ResultsFolder`) does that repair and deletes the
staging and old folders of ``--out`` whose process is gone (the pid in the name tells; folders of a
run still going are left alone). A finished run is recognisable: :func:`verify` checks a folder
against its summary.json.

Because the folder is replaced as a whole, an ``--out`` holding anything vesseltrack did not write
(no vesseltrack summary.json, or files that are not results) is refused before any work.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from vesseltrack.errors import InputError

#: ``summary["outputs"]["format"]`` of a results folder written by this module.
RESULTS_FORMAT = "vesseltrack-results/1"
SUMMARY = "summary.json"
#: Files a desktop drops into any folder it shows; they are not the user's work.
_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
#: Files ``score`` writes besides ``{table}.csv``; a results folder written before summary.json
#: listed its files (or one where --map/--geo files were added by a script) may hold these.
_KNOWN = frozenset({SUMMARY, "README.md", "schema.json", "map.html", "events.geojson", "tracks.geojson",
                    "events.parquet", "tracks.parquet"})
_CASE = re.compile(r"cases/alert_\d+_\d+\.html")


def _stale_pattern(name: str) -> re.Pattern[str]:
    """Names of the staging (``tmp``) and old (``old``) folders of the results folder ``name``."""
    return re.compile(rf"\.{re.escape(name)}\.(tmp|old)-(\d+)-[0-9a-f]+")


def _target(out: str | Path) -> Path:
    """``out`` with symlinks resolved: the folder that is replaced (its link, if any, stays)."""
    return Path(os.path.realpath(out))


def read_summary(folder: str | Path) -> dict | None:
    """The summary.json of ``folder`` when it is one vesseltrack wrote, else None."""
    try:
        doc = json.loads((Path(folder) / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    outputs = doc.get("outputs")
    if isinstance(outputs, dict) and str(outputs.get("format", "")).startswith("vesseltrack-results/"):
        return doc
    return doc if "vesseltrack_version" in doc else None  # written before summary.json listed its files


def _files(folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted relative POSIX paths."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        rel = Path(root).relative_to(folder)
        found += [(rel / n).as_posix() for n in names]
    return sorted(found)


def _sha256(path: Path, *, sync: bool = False) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
        if sync:
            os.fsync(f.fileno())
    return h.hexdigest()


def verify(folder: str | Path) -> list[str]:
    """What is wrong with the results folder ``folder`` (empty when it is a finished run, byte for
    byte as written): no vesseltrack summary.json, files listed but missing or changed, files not listed."""
    folder = Path(folder)
    listed = _listed(read_summary(folder))
    if listed is None:
        return [f"{folder}: no summary.json listing the files of a vesseltrack run"]
    present = [f for f in _files(folder) if f != SUMMARY]
    problems = [f"{name}: missing" for name in sorted(set(listed) - set(present))]
    problems += [f"{name}: not written by this run" for name in present if name not in listed]
    problems += [f"{name}: changed (SHA-256 differs)" for name in present
                 if name in listed and _sha256(folder / name) != listed[name]]
    return problems


def _listed(doc: dict | None) -> dict[str, str] | None:
    """The files a summary.json lists with their hashes (None when it lists none)."""
    outputs = doc.get("outputs") if doc is not None else None
    listed = outputs.get("sha256") if isinstance(outputs, dict) else None
    return {str(k): str(v) for k, v in listed.items()} if isinstance(listed, dict) else None


def _complete(folder: Path) -> bool:
    doc = read_summary(folder)
    return doc is not None and (_listed(doc) is None or not verify(folder))


def _foreign(folder: Path, doc: dict) -> list[str]:
    """Files in the results folder ``folder`` that a run would not have written (the user's)."""
    from vesseltrack.schema import SPECS

    listed = set(_listed(doc) or ())
    known = _KNOWN | {f"{name}.csv" for name in SPECS}
    return [f for f in _files(folder) if f not in listed and f not in known and not _CASE.fullmatch(f)
            and Path(f).name not in _JUNK]


def _alive(pid: int) -> bool:
    """Whether process ``pid`` may still be running (when unsure: yes, so its folders are kept)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill there terminates the process: never probe
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: another user's process
        return True
    return True


def recover(out: str | Path) -> None:
    """Repair what a killed run left beside ``out`` and delete its staging and old folders.

    Only folders named like this module's (``.{name}.tmp-{pid}-{hex}``, ``.{name}.old-{pid}-{hex}``)
    whose process is gone are touched. If ``out`` is missing because a run was killed between its
    two renames, the new run is put in place when its staging folder is complete (it had finished),
    else the old folder is put back."""
    target = _target(out)
    parent, pattern = target.parent, _stale_pattern(target.name)
    try:
        entries = sorted(os.scandir(parent), key=lambda e: e.name)
    except OSError:
        return
    stale = []
    for e in entries:
        m = pattern.fullmatch(e.name)
        if m and e.is_dir(follow_symlinks=False) and not _alive(int(m.group(2))):
            stale.append((m.group(1), int(m.group(2)), Path(e.path)))
    if not os.path.lexists(target):
        for kind, pid, old in stale:
            if kind != "old":
                continue
            new = [p for k, q, p in stale if k == "tmp" and q == pid and _complete(p)]
            back = new[0] if new else old if _complete(old) else None
            if back is not None:
                os.rename(back, target)
                break
    for _, _, p in stale:
        if p.exists():
            shutil.rmtree(p, ignore_errors=True)


def writable_folder(out: str | Path) -> Path:
    """``out`` (symlinks resolved) when it is a folder this process can write in, or a path where one can be
    created; else InputError (a file, under a file, read-only). Touches nothing."""
    p = Path(out)
    target = _target(out)
    if p.exists() and not p.is_dir():
        raise InputError(
            f"--out {out}: exists and is not a folder; expected a folder to write results into; choose another path"
        )
    ancestor = target.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(
            f"--out {out}: {ancestor} is a file; expected a path through folders; choose another path"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(
            f"--out {out}: cannot write in {ancestor} (permission denied); expected a folder you can write to; choose another path or fix its permissions"  # noqa: E501
        )
    if not target.is_dir():
        return target
    if not os.access(target, os.R_OK | os.W_OK | os.X_OK):
        raise InputError(
            f"--out {out}: the folder is read-only (permission denied); expected a folder you can write to; choose another path or fix its permissions"  # noqa: E501
        )
    return target


def check(out: str | Path) -> None:
    """Raise InputError unless ``out`` can become a results folder: a new path, an empty folder or an
    earlier results folder holding only results, in a folder this process can write to. Called before
    any data is read, so that a bad --out fails at once."""
    target = writable_folder(out)
    if target.parent == target or target in Path.cwd().parents or target == Path.cwd():
        raise InputError(
            f"--out {out}: is the current folder or one that holds it; expected a folder of its own, which is replaced as a whole by each run; choose a new folder such as results/"  # noqa: E501
        )
    if not target.is_dir():
        return
    entries = sorted(n for n in os.listdir(target) if n not in _JUNK)
    if not entries:
        return
    doc = read_summary(target)
    if doc is None:
        raise InputError(
            f"--out {out}: a folder holding {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} (e.g. {entries[0]}) and no vesseltrack summary.json, so not a results folder; expected a new or empty folder or an earlier results folder, since --out is replaced as a whole; choose another path"  # noqa: E501
        )
    foreign = _foreign(target, doc)
    if foreign:
        raise InputError(
            f"--out {out}: a results folder that also holds {len(foreign)} file{'' if len(foreign) == 1 else 's'} vesseltrack did not write ({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); expected only results, since --out is replaced as a whole; move them elsewhere or choose another path"  # noqa: E501
        )


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` in one atomic step (Linux renameat2); False where unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # a kernel or filesystem without it: two renames instead
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every system can open a folder
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C off while the new folder is swapped in: once it starts, the run finishes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


class ResultsFolder:
    """``--out``, replaced as a whole: write everything into :attr:`staging`, then :meth:`commit`.

    ::

        results = ResultsFolder("results/")   # checks --out (InputError) and cleans up killed runs
        ...analysis...
        with results as stage:                 # the staging folder, beside results/
            (stage / "alerts.csv").write_text(...)
            results.commit(summary)            # summary.json last, then the swap

    Leaving the ``with`` block without :meth:`commit` (an exception, Ctrl-C) deletes the staging
    folder and leaves ``--out`` as it was.
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.staging: Path | None = None
        self.prepare()

    def prepare(self) -> None:
        """Repair and clean what killed runs left (:func:`recover`), then :func:`check` ``--out``."""
        check(self.out)
        recover(self.out)
        check(self.out)

    def __enter__(self) -> Path:
        self.prepare()
        target = _target(self.out)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = target.parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
            staging.mkdir()
        except OSError as err:
            raise InputError(
                f"--out {self.out}: cannot create a folder beside it ({err.strerror}); expected a writable folder; choose another path"  # noqa: E501
            ) from err
        self.staging = staging
        return staging

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.staging is not None:  # not committed
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def commit(self, summary: Mapping[str, Any], *, default: Callable[[Any], Any] | None = None) -> list[Path]:
        """Write summary.json (``summary`` plus ``outputs``: the SHA-256 of every file in the staging
        folder) last, then swap the staging folder in as ``--out``; the paths of the files in ``--out``."""
        staging = self.staging
        if staging is None:
            raise RuntimeError("ResultsFolder.commit() outside its with block")
        files = [f for f in _files(staging) if f != SUMMARY]
        doc = dict(summary)
        doc["outputs"] = {"format": RESULTS_FORMAT,
                          "sha256": {f: _sha256(staging / f, sync=True) for f in files}}
        part = staging / f".{SUMMARY}.part"
        with open(part, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, indent=2, sort_keys=True, default=default) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, staging / SUMMARY)
        _fsync_dir(staging)
        target = _target(self.out)
        check(self.out)  # nothing of the user's arrived in --out during the run
        with _no_interrupt():
            self._swap(staging, target)
            self.staging = None
        return [self.out / f for f in [*files, SUMMARY]]

    @staticmethod
    def _swap(staging: Path, target: Path) -> None:
        if not target.exists():
            os.rename(staging, target)
        else:
            os.chmod(staging, stat.S_IMODE(os.stat(target).st_mode))
            if _exchange(staging, target):
                old = staging  # now holds the previous results
            else:
                old = target.parent / f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
                os.rename(target, old)
                os.rename(staging, target)
            _fsync_dir(target.parent)
            shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(target.parent)


__all__ = ["RESULTS_FORMAT", "ResultsFolder", "check", "read_summary", "recover", "verify", "writable_folder"]
