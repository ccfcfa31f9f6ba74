"""A trained student model on disk: weights, shape, config, metrics, skill ids.

A model directory holds ``weights.pt``, ``model.json`` (shape, training and
prediction windows, the skill id mapping), ``config.json`` (the run's
configuration and seed) and ``metrics.json``. It is written to a temporary
sibling and renamed into place, so a reader never sees half a model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from edursft.studentmodel.model import EnsembleTracer, KnowledgeTracer, ModelShape, build_network


@dataclass
class StudentModel:
    """A network with what is needed to feed it: skill id -> row, windowing.

    ``window``/``context`` are the windows it was trained on; every prediction
    (batch and live) uses ``predict_window``/``predict_context``, which default to
    the training windows (as in model directories saved before they existed).
    """

    network: KnowledgeTracer | EnsembleTracer
    skill_ids: list[int]  # raw skill id of embedding row i + 1
    window: int
    context: int
    config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    predict_window: int | None = None
    predict_context: int | None = None

    def __post_init__(self) -> None:
        if self.predict_window is None:
            self.predict_window = self.window
        if self.predict_context is None:
            self.predict_context = self.context

    @property
    def skill_index(self) -> dict[int, int]:
        """Raw skill id -> 0-based index (the embedding row is index + 1)."""
        return {skill: i for i, skill in enumerate(self.skill_ids)}


def save_student_model(model: StudentModel, out_dir: str | Path) -> Path:
    """Write the model directory atomically (temp dir, then rename); returns its path."""
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        torch.save(model.network.state_dict(), staging / "weights.pt")
        description = {
            "shape": model.network.shape.to_dict(),
            "skill_ids": model.skill_ids,
            "window": model.window,
            "context": model.context,
            "predict_window": model.predict_window,
            "predict_context": model.predict_context,
        }
        (staging / "model.json").write_text(json.dumps(description, indent=2))
        (staging / "config.json").write_text(json.dumps(model.config, indent=2, default=str))
        (staging / "metrics.json").write_text(json.dumps(model.metrics, indent=2))
        if out.exists():
            # Swap: move the old version aside, put the new one in place, drop the old.
            retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, retired / out.name)
            os.replace(staging, out)
            shutil.rmtree(retired)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def load_student_model(model_dir: str | Path) -> StudentModel:
    """Load a model directory written by save_student_model, in eval mode on CPU.

    A directory saved before prediction windows existed predicts with its training windows.
    """
    path = Path(model_dir)
    description = json.loads((path / "model.json").read_text())
    network = build_network(ModelShape(**description["shape"]))
    network.load_state_dict(torch.load(path / "weights.pt", map_location="cpu", weights_only=True))
    network.eval()
    return StudentModel(
        network=network,
        skill_ids=[int(s) for s in description["skill_ids"]],
        window=int(description["window"]),
        context=int(description["context"]),
        config=json.loads((path / "config.json").read_text()),
        metrics=json.loads((path / "metrics.json").read_text()),
        predict_window=description.get("predict_window"),
        predict_context=description.get("predict_context"),
    )
