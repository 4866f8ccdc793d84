"""Train once, score many: saving and loading a :class:`ScoringModel` (the fitted scorers).

Models are written with skops, never pickle: a model file is input, and input can be hostile.
Loading refuses any type a vesseltrack model never holds, and files of another format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vesseltrack.errors import ModelError
from vesseltrack.scoring import IsolationScorer

#: Format 2: scorers carry ``evidence`` and ``evidence_weights_`` (detector findings in the score).
#: Format 3: the voyage scorer has the ``log_tanker_likely_dark_hours`` feature, which is evidence.
MODEL_FORMAT = "vesseltrack-model/3"
#: The only non-builtin types a vesseltrack model file may hold (skops refuses anything else).
TRUSTED_TYPES = ["sklearn.tree._tree.Tree", "vesseltrack.scoring.IsolationScorer"]


@dataclass
class ScoringModel:
    """Fitted scorers for voyages and gap events, learnt from reference traffic."""

    voyage: IsolationScorer | None
    gap: IsolationScorer | None
    vesseltrack_version: str
    reference: dict

    def save(self, path: str | Path) -> Path:
        """Write the model with skops (never pickle): a model file is input, and input can be hostile."""
        import skops.io as sio

        path = Path(path)
        bundle = {"format": MODEL_FORMAT, "vesseltrack_version": self.vesseltrack_version,
                  "reference": self.reference, "voyage": self.voyage, "gap": self.gap}
        try:
            sio.dump(bundle, path)
        except OSError as err:
            raise ModelError(
                f"{path}: cannot write the model ({err.strerror}); expected a writable path; choose another --model path"  # noqa: E501
            ) from err
        return path


def load_model(path: str | Path) -> ScoringModel:
    """Read a model written by :meth:`ScoringModel.save`, refusing foreign or tampered files."""
    import skops.io as sio

    path = Path(path)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except FileNotFoundError as err:
        raise ModelError(
            f"{path}: model file not found; expected a .skops file written by 'vesseltrack train'; check the path"
        ) from err
    except Exception as err:  # skops raises zipfile/json/key errors for files that are not skops at all
        raise ModelError(
            f"{path}: not a vesseltrack model ({type(err).__name__}: {err}); expected a .skops file written by 'vesseltrack train'; retrain the model"  # noqa: E501
        ) from err
    foreign = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if foreign:
        raise ModelError(
            f"{path}: the file holds types a vesseltrack model never holds ({foreign[:5]}); expected only {TRUSTED_TYPES}; refusing to load it (it may be hostile); retrain with 'vesseltrack train'"  # noqa: E501
        )
    try:
        bundle = sio.load(path, trusted=TRUSTED_TYPES)
    except Exception as err:
        raise ModelError(
            f"{path}: the model cannot be read ({type(err).__name__}: {err}); expected a .skops file written by 'vesseltrack train'; retrain the model"  # noqa: E501
        ) from err
    fmt = bundle.get("format") if isinstance(bundle, dict) else None
    if fmt != MODEL_FORMAT:
        version = bundle.get("vesseltrack_version", "unknown") if isinstance(bundle, dict) else "unknown"
        raise ModelError(
            f"{path}: model format {fmt!r} (written by vesseltrack {version}) is not {MODEL_FORMAT!r}, the format this version reads; retrain it with 'vesseltrack train'"  # noqa: E501
        )
    for key in ("voyage", "gap"):
        if bundle[key] is not None and not isinstance(bundle[key], IsolationScorer):
            raise ModelError(
                f"{path}: '{key}' holds a {type(bundle[key]).__name__}; expected an IsolationScorer; retrain the model"
            )
    return ScoringModel(voyage=bundle["voyage"], gap=bundle["gap"], vesseltrack_version=bundle["vesseltrack_version"],
                        reference=bundle.get("reference", {}))
