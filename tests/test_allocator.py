import subprocess
import sys

import pytest

from vesseltrack.allocator import retain_freed_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings apply on Linux only")
def test_retain_freed_memory_applies_and_numpy_still_works():
    # in a fresh interpreter: large arrays allocated, freed and allocated again under the setting
    # (_set_madvise_hugepage returns the previous setting: numpy no longer asks for huge pages)
    code = ("from vesseltrack.allocator import retain_freed_memory; import numpy as np;"
            "ok = retain_freed_memory(); a = np.ones(50_000_000); b = a * 2; del a;"
            "c = np.ones(50_000_000); core = getattr(np, \"_core\", None) or np.core;"
            "huge = core.multiarray._set_madvise_hugepage(False);"
            "print(ok, float(b.sum() + c.sum()), huge)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "150000000.0", "False"]


def test_retain_freed_memory_never_raises_and_returns_a_bool(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert retain_freed_memory() is False
