"""Where the executor may open a model: under the model roots, in an installed packaged model
(or the folder where packaged pool models are prepared from their wheels), or where this
executor writes fine-tuned models (`runtime/confinement.py` holds the rules)."""

from __future__ import annotations

from pathlib import Path

from shift_search.executor.loaders.known_models import packaged_model_roots
from shift_search.runtime.confinement import current, is_explicit_path, model_path
from shift_search.runtime.errors import PermissionDenied
from shift_search.runtime.settings import shift_home


def model_location(uri: str | Path) -> Path:
    """The checked, resolved path of a model file or folder."""
    own = (shift_home() / "models", shift_home() / "packaged")
    return model_path(str(uri), (*own, *packaged_model_roots()))


def names_local_path(uri: str) -> bool:
    """Whether a huggingface URI means a local folder rather than a hub id: spelt as a path,
    or a relative path that exists (refused when confined: the loader would read it from the
    working directory)."""
    if is_explicit_path(uri):
        return True
    if not Path(uri).expanduser().exists():
        return False
    if current().confined:
        raise PermissionDenied(
            f"model {uri}: a relative path; give local models as absolute paths under --model-root"
        )
    return True
