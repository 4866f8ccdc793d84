"""Train once, score many: saving and loading a :class:`ScoringModel` (the fitted scorers).

Models are written with skops, never pickle: a model file is input, and input can be hostile.
Loading refuses any type a vesseltrack model never holds, and files of another format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vesseltrack import features
from vesseltrack.errors import ModelError
from vesseltrack.scoring import IsolationScorer, check_fitted

#: Format 2: scorers carry ``evidence`` and ``evidence_weights_`` (detector findings in the score).
#: Format 3: the voyage scorer has the ``log_tanker_likely_dark_hours`` feature, which is evidence.
MODEL_FORMAT = "vesseltrack-model/3"
#: The only non-builtin types a vesseltrack model file may hold (skops refuses anything else).
TRUSTED_TYPES = ["sklearn.tree._tree.Tree", "vesseltrack.scoring.IsolationScorer"]
#: The keys of a model file, and of its ``reference`` (counts of the traffic it learnt from).
BUNDLE_KEYS = ("format", "vesseltrack_version", "reference", "voyage", "gap")
REFERENCE_KEYS = ("voyages", "gaps", "vessels")


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
    """Read a model written by :meth:`ScoringModel.save`, refusing foreign or tampered files.

    skops refuses types a model never holds (no code runs); then the whole bundle is validated
    (:func:`_check_bundle`): format version, keys, types, and each scorer's shapes, feature names,
    finite medians, evidence weights in [0, 1) and trees, so that a model that loads scores in [0, 1].
    """
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
    _check_bundle(path, bundle)
    return ScoringModel(voyage=bundle["voyage"], gap=bundle["gap"], vesseltrack_version=bundle["vesseltrack_version"],
                        reference=bundle["reference"])


def _format_number(fmt: object) -> int | None:
    """N of a ``vesseltrack-model/N`` format string, None for anything else."""
    prefix = MODEL_FORMAT.rsplit("/", 1)[0] + "/"
    if isinstance(fmt, str) and fmt.startswith(prefix) and fmt[len(prefix):].isdigit():
        return int(fmt[len(prefix):])
    return None


def _check_bundle(path: Path, bundle: object) -> None:
    """Validate the whole bundle read from ``path``: format version, keys, types, and each scorer's
    values (:func:`vesseltrack.scoring.check_fitted`); a ModelError names the first problem."""
    if not isinstance(bundle, dict):
        raise ModelError(
            f"{path}: the file holds a {type(bundle).__name__}; expected a vesseltrack model (a dict with {BUNDLE_KEYS}); retrain it with 'vesseltrack train'"  # noqa: E501
        )
    fmt = bundle.get("format")
    if not isinstance(fmt, str) or fmt != MODEL_FORMAT:
        version = bundle.get("vesseltrack_version", "unknown")
        number, ours = _format_number(fmt), _format_number(MODEL_FORMAT)
        fix = ("upgrade vesseltrack to read it, or retrain it with this version's 'vesseltrack train'"
               if number is not None and ours is not None and number > ours else "retrain it with 'vesseltrack train'")
        raise ModelError(
            f"{path}: model format {fmt!r:.60} (written by vesseltrack {version!s:.40}) is not {MODEL_FORMAT!r}, the format this version reads; {fix}"  # noqa: E501
        )
    missing = [k for k in BUNDLE_KEYS if k not in bundle]
    unknown = sorted(str(k) for k in bundle if k not in BUNDLE_KEYS)
    if missing or unknown:
        raise ModelError(
            f"{path}: the model's keys are wrong (missing {missing}, unknown {unknown}); expected exactly {list(BUNDLE_KEYS)}; the file is damaged or was altered; retrain it with 'vesseltrack train'"  # noqa: E501
        )
    if not isinstance(bundle["vesseltrack_version"], str):
        raise ModelError(
            f"{path}: 'vesseltrack_version' is a {type(bundle['vesseltrack_version']).__name__}; expected a version string; the file is damaged or was altered; retrain it with 'vesseltrack train'"  # noqa: E501
        )
    ref = bundle["reference"]
    if not isinstance(ref, dict) or set(ref) != set(REFERENCE_KEYS) or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in ref.values()):
        raise ModelError(
            f"{path}: 'reference' is {ref!r:.120}; expected counts {{{', '.join(f'{k!r}: N' for k in REFERENCE_KEYS)}}} of the reference traffic, whole numbers >= 0; the file is damaged or was altered; retrain it with 'vesseltrack train'"  # noqa: E501
        )
    for key in ("voyage", "gap"):
        if bundle[key] is not None and not isinstance(bundle[key], IsolationScorer):
            raise ModelError(
                f"{path}: '{key}' holds a {type(bundle[key]).__name__}; expected an IsolationScorer; retrain the model"
            )
    if bundle["voyage"] is None:
        raise ModelError(
            f"{path}: the model has no voyage scorer; expected one (a model without it ranks no voyage and gives no alerts); retrain it with 'vesseltrack train' on more traffic"  # noqa: E501
        )
    check_fitted(bundle["voyage"], [f.name for f in features.VOYAGE_MODEL], what=f"{path}: the voyage scorer")
    if bundle["gap"] is not None:  # None: the reference had too few gaps (gaps are then not scored)
        check_fitted(bundle["gap"], [f.name for f in features.GAP_MODEL], what=f"{path}: the gap scorer")
