"""Predictions and metrics for a student model; runs alone on a saved model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from scipy.stats import rankdata

from edursft.datasets.dkvmn import read_dkvmn
from edursft.studentmodel.artifacts import StudentModel, load_student_model
from edursft.studentmodel.data import StudentHistory, Windows, from_dkvmn, make_windows
from edursft.studentmodel.model import KnowledgeTracer


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve via the Mann-Whitney U statistic (average ranks for ties).

    AUC = (sum of positive ranks - P(P+1)/2) / (P * N) (Hanley & McNeil 1982).
    """
    labels = np.asarray(labels).astype(bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs both correct and wrong responses")
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def prediction_windows(model: StudentModel, histories: Sequence[StudentHistory]) -> Windows:
    """Histories cut into the windows the model predicts with (``predict_window``, ``predict_context``).

    By default these are longer than the training windows: predictions keep gaining from
    recurrent context up to about 100 attempts (docs/studentmodel.md).
    """
    return make_windows(
        histories,
        model.skill_index,
        model.predict_window,
        model.predict_context,
        model.network.shape.text_dim,
    )


@torch.no_grad()
def predict_windows(
    network: KnowledgeTracer, windows: Windows, batch_size: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """P(correct) and the actual responses at every owned position, window by window."""
    network.eval()
    order = np.argsort(-windows.lengths, kind="stable")
    probabilities, labels = [], []
    for start in range(0, len(order), batch_size):
        batch = windows.batch(order[start : start + batch_size])
        logits = network(batch.skills, batch.responses, batch.features, batch.item_vectors)
        probabilities.append(torch.sigmoid(logits)[batch.loss_mask].numpy())
        labels.append(batch.responses[batch.loss_mask].numpy())
    if not probabilities:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    return np.concatenate(probabilities), np.concatenate(labels)


@torch.no_grad()
def predict_histories(model: StudentModel, histories: Sequence[StudentHistory]) -> list[np.ndarray]:
    """For each history, P(correct) of every attempt given only the attempts before it."""
    windows = prediction_windows(model, histories)
    model.network.eval()
    out = [np.zeros(len(h), dtype=np.float32) for h in histories]
    for start in range(0, len(windows), 256):
        index = np.arange(start, min(start + 256, len(windows)))
        batch = windows.batch(index)
        logits = model.network(batch.skills, batch.responses, batch.features, batch.item_vectors)
        probabilities = torch.sigmoid(logits).numpy()
        mask = batch.loss_mask.numpy()
        for row in range(len(index)):
            owned = np.nonzero(mask[row])[0]
            out[batch.student[row]][batch.position[row] + owned] = probabilities[row, owned]
    return out


def metrics_of(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """AUC, accuracy at 0.5 and the attempt count."""
    return {
        "auc": roc_auc(labels, probabilities),
        "acc": float(((probabilities >= 0.5) == (labels == 1)).mean()),
        "n": int(len(labels)),
    }


def evaluate_histories(model: StudentModel, histories: Sequence[StudentHistory]) -> dict[str, float]:
    """Metrics of a model on histories (every attempt predicted from its past)."""
    return metrics_of(*predict_windows(model.network, prediction_windows(model, histories)))


def evaluate(model_dir: str | Path, test_file: str | Path) -> dict[str, float]:
    """Test metrics of a saved model on a DKVMN file."""
    model = load_student_model(model_dir)
    return evaluate_histories(model, from_dkvmn(read_dkvmn(test_file)))
