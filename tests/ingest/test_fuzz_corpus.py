"""Inputs that once broke a reader (issue #15 and the fuzz runs of test_fuzz.py), replayed with what
each must give now: its rows and rejects, or a one-line error. ``fuzz_corpus/expected.json`` lists
them; every file in the folder must be listed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vesseltrack.errors import VesselTrackError
from vesseltrack.ingest import load

from .test_fuzz import check

CORPUS = Path(__file__).parent / "fuzz_corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())


def test_every_corpus_file_is_listed():
    assert {p.name for p in CORPUS.iterdir() if p.name != "expected.json"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_input(name, capfd):
    want = EXPECTED[name]
    if "error" in want:
        with pytest.raises(VesselTrackError) as err:
            load(CORPUS / name)
        assert re.match(want["error"], str(err.value).removeprefix(f"{CORPUS}/")), str(err.value)
        assert "\n" not in str(err.value)
        return
    res = check(CORPUS / name)
    assert res is not None
    assert res.counts["rows_read"] == want["rows_read"]
    assert res.counts["rejected_by_reason"] == want["rejected_by_reason"]
    if "rejected_rows" in want:
        assert res.rejects["row"].tolist() == want["rejected_rows"]
    if "warning" in want:
        assert any(want["warning"] in w for w in res.counts["files"][0].get("warnings", []))
    assert "Exception ignored" not in capfd.readouterr().err
