"""Spam, abuse and hate scores for Vietnamese and English comments, computed locally.

``load_default()`` returns the model shipped in ``classifiers/model``; ``model.score(texts)``
gives ``{"spam", "abuse", "hate"}`` probabilities per text and ``model.explain(text)`` the
spans that drove them.  Pure Python + numpy: nothing here knows about the service.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from classifiers.model import Evidence, Model, resolve

MODEL_DIR = Path(__file__).parent / "model"

__all__ = ["MODEL_DIR", "Evidence", "Model", "load_default", "load_dir"]


@lru_cache(maxsize=1)
def load_default() -> Model:
    """The model shipped with the package (loaded once; the model is immutable)."""
    return Model.load(MODEL_DIR)


def load_dir(folder: str | Path) -> Model:
    """The model in a model directory (the version its CURRENT file names), read now."""
    return Model.load(resolve(Path(folder)))
