"""Every notebook in notebooks/ runs top to bottom, from the notebooks/ folder, on the bundled sample.

The kernel is this interpreter (a kernelspec written to a temporary JUPYTER_PATH), so the test works
in a fresh virtualenv with only the test extra installed, whatever kernels the machine has.
"""

import asyncio
import json
import os
import re
import sys
import time

import pytest
from conftest import REPO

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
KERNEL = "vesseltrack-test"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "vesseltrack test", "language": "python"}))
    old = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION")}
    os.environ["JUPYTER_PATH"] = str(root)
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_dark_voyage_from_vostochny.ipynb",
        "03_bring_your_own_data.ipynb",
        "04_cargo_and_the_un_cap.ipynb",
    ]


def test_notebooks_are_stored_without_outputs():
    for p in NOTEBOOKS:
        nb = nbformat.read(p, as_version=4)
        assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code"), (
            p.name
        )


@pytest.fixture(scope="module")
def executed(kernel_env):
    """All notebooks executed at once, one kernel each (they are independent): {name: (notebook, seconds or error)}."""

    async def run(path):
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(
            nb, kernel_name=KERNEL, timeout=120, startup_timeout=120, resources={"metadata": {"path": str(path.parent)}}
        )
        t0 = time.monotonic()
        try:
            await client.async_execute()
        except Exception as err:  # reported by the test of that notebook
            return path.name, (nb, err)
        return path.name, (nb, time.monotonic() - t0)

    async def run_all():
        return dict(await asyncio.gather(*(run(p) for p in NOTEBOOKS)))

    return asyncio.run(run_all())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, executed):
    nb, outcome = executed[path.name]
    if isinstance(outcome, Exception):
        raise outcome
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Traceback" not in text


def test_dark_voyage_notebook_finds_the_wonsan_detour(executed):
    nb, _ = executed["02_dark_voyage_from_vostochny.ipynb"]
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    line = next(ln for ln in text.splitlines() if "unaccounted for" in ln)
    assert re.fullmatch(
        r"79 h dark, \d+ h unaccounted for; draught 10.6 m -> 6.4 m \(4.2 m lighter\); could have reached: .*WONSAN.*",
        line,
    )


def test_cargo_notebook_reports_the_cap_and_the_truth(executed):
    nb, _ = executed["04_cargo_and_the_un_cap.ipynb"]
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert re.search(r"dprk_refined: \d+ trips, [\d,]+-[\d,]+ bbl, \d+-\d+% of the 2024 cap so far", text)
    assert re.search(r"estimated: \d+ trips, [\d,]+-[\d,]+ bbl; truth: \d+ deliveries, [\d,]+ bbl", text)
    figures = [o for c in nb.cells for o in c.get("outputs", [])  # drawn inline, or its repr under MPLBACKEND=Agg
               if "image/png" in o.get("data", {}) or "<Figure" in o.get("data", {}).get("text/plain", "")]
    assert len(figures) == 1  # cumulative barrels against the cap
