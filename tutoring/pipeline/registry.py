"""The model registry: one row per trained artefact, one active version per kind.

An artefact is written into a staging directory and renamed into place only
when complete; the row learns its path and checksum after the rename, and a
version is loaded only through :func:`verified_path`, which re-checks the
checksum. So a crash at any moment leaves either no artefact or a whole one,
and never an active version pointing at half a file. Exactly one active version
per kind is the database's ``one_active_version_per_kind`` constraint; the gate
decides whether a candidate may replace it.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from tutoring.audit import record_event
from tutoring.models import CriteriaSet, ModelVersion, PipelineRun
from tutoring.pipeline.config import PipelineConfig

Kind = ModelVersion.Kind
Status = ModelVersion.Status
STAGING_PREFIX = ".staging-"


class ArtefactError(Exception):
    """An artefact is missing, incomplete or not the one its version recorded."""


class RollbackRefused(Exception):
    """The version cannot become active again (it failed or has no complete artefact)."""


@dataclass(frozen=True)
class GateResult:
    passed: bool
    reason: str


def kind_root(kind: str) -> Path:
    """Directory holding every version of one kind."""
    return Path(settings.EDURSFT_MODEL_DIR) / kind


def directory_checksum(path: Path) -> str:
    """SHA-256 over every file's relative name and bytes, in name order."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def active_version(kind: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(kind=kind, status=Status.ACTIVE).first()


def start_version(
    kind: str,
    *,
    run: PipelineRun | None = None,
    parent: ModelVersion | None = None,
    config: dict | None = None,
    data_window: dict | None = None,
    criteria: CriteriaSet | None = None,
) -> ModelVersion:
    """A new version in status ``training``; its label is unique and sorts by time."""
    label = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    return ModelVersion.objects.create(
        kind=kind,
        label=label,
        parent=parent,
        pipeline_run=run,
        config=config or {},
        data_window=data_window or {},
        criteria=criteria,
    )


@contextmanager
def write_artefact(version: ModelVersion) -> Iterator[Path]:
    """Yield a path (not yet existing) for the engine to write the artefact to.

    When the block ends the artefact is renamed to ``<kind>/<label>`` and its
    path and checksum saved; if the block raises, the staging files are removed
    and the version is marked failed with the reason.
    """
    root = kind_root(version.kind)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{version.label}-", dir=root))
    target = staging / "artefact"
    try:
        yield target
        if not target.is_dir():
            raise ArtefactError(f"training finished without writing an artefact at {target}")
        final = root / version.label
        os.replace(target, final)
        version.path = str(final)
        version.checksum = directory_checksum(final)
        version.save(update_fields=["path", "checksum"])
    except Exception as problem:
        fail_version(version, f"{type(problem).__name__}: {problem}")
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def mark_candidate(version: ModelVersion, metrics: dict) -> ModelVersion:
    """The artefact is complete: record its metrics and make it a candidate for promotion."""
    if not version.checksum:
        raise ArtefactError(f"{version} has no complete artefact")
    version.metrics = {**version.metrics, **metrics}
    version.status = Status.CANDIDATE
    version.save(update_fields=["metrics", "status"])
    return version


def fail_version(version: ModelVersion, reason: str) -> None:
    version.status = Status.FAILED
    version.failure_reason = reason[:2000]
    version.save(update_fields=["status", "failure_reason"])


def abandon_unfinished(kind: str, run: PipelineRun) -> int:
    """Fail this run's versions still ``training`` (their worker died) and delete their staging files."""
    stale = list(ModelVersion.objects.filter(kind=kind, pipeline_run=run, status=Status.TRAINING))
    for version in stale:
        fail_version(version, "interrupted: the worker training it was lost; the stage was restarted")
        for leftover in kind_root(kind).glob(f"{STAGING_PREFIX}{version.label}-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    return len(stale)


def verified_path(version: ModelVersion) -> Path:
    """The artefact's directory, after checking that it is whole and unchanged."""
    path = Path(version.path) if version.path else None
    if path is None or not path.is_dir():
        raise ArtefactError(f"{version}: artefact missing at {version.path!r}")
    if directory_checksum(path) != version.checksum:
        raise ArtefactError(f"{version}: checksum mismatch, the artefact at {path} is incomplete or altered")
    return path


def active_path(kind: str) -> Path | None:
    """Verified directory of the active version of ``kind``, or None when there is none."""
    version = active_version(kind)
    return verified_path(version) if version else None


def gate(candidate: ModelVersion, config: PipelineConfig) -> GateResult:
    """Whether the candidate may replace the active version, from metrics measured on the same data.

    Student model: test AUC not below the active version's by more than ``auc_margin``.
    Generator: held-out perplexity not above the active version's by more than ``perplexity_margin``.
    """
    metrics = candidate.metrics
    if candidate.kind == Kind.STUDENT_MODEL:
        auc, baseline = metrics.get("test_auc"), metrics.get("active_test_auc")
        if auc is None or not math.isfinite(auc):
            return GateResult(False, "no test AUC was measured")
        if baseline is None:
            return GateResult(True, f"first student model (test AUC {auc:.4f})")
        floor = baseline - config.auc_margin
        verdict = auc >= floor
        return GateResult(
            verdict,
            f"test AUC {auc:.4f} {'>=' if verdict else '<'} active {baseline:.4f} "
            f"- margin {config.auc_margin}",
        )
    ppl, baseline = metrics.get("held_out_perplexity"), metrics.get("active_held_out_perplexity")
    if ppl is None or not math.isfinite(ppl):
        return GateResult(False, "no held-out perplexity was measured")
    if baseline is None:
        return GateResult(True, f"first generator (held-out perplexity {ppl:.2f})")
    ceiling = baseline * (1 + config.perplexity_margin)
    verdict = ppl <= ceiling
    return GateResult(
        verdict,
        f"held-out perplexity {ppl:.2f} {'<=' if verdict else '>'} active {baseline:.2f} "
        f"x (1 + {config.perplexity_margin})",
    )


def activate(version: ModelVersion, *, actor: AbstractBaseUser | None = None, action: str) -> ModelVersion:
    """Make ``version`` the active one of its kind; the previous active version is retired.

    Both writes are one transaction, so readers always see exactly one active version.
    """
    verified_path(version)
    with transaction.atomic():
        current = ModelVersion.objects.select_for_update().filter(kind=version.kind, status=Status.ACTIVE)
        previous = [v.label for v in current]
        current.update(status=Status.RETIRED)
        version.status = Status.ACTIVE
        version.activated_at = timezone.now()
        version.save(update_fields=["status", "activated_at"])
        record_event(actor, action, version, kind=version.kind, previous=previous)
    return version


def promote(candidate: ModelVersion, config: PipelineConfig) -> GateResult:
    """Activate the candidate if it passes the gate, else fail it with the gate's reason."""
    result = gate(candidate, config)
    candidate.metrics = {**candidate.metrics, "gate": {"passed": result.passed, "reason": result.reason}}
    candidate.save(update_fields=["metrics"])
    if result.passed:
        activate(candidate, action="model.promote")
    else:
        fail_version(candidate, f"did not pass the gate: {result.reason}")
    return result


def rollback(version: ModelVersion, actor: AbstractBaseUser | None) -> ModelVersion:
    """Make an earlier (retired) version active again in one action."""
    if version.status != Status.RETIRED:
        raise RollbackRefused(f"only a retired version can be restored; {version} is {version.status}")
    try:
        return activate(version, actor=actor, action="model.rollback")
    except ArtefactError as problem:
        raise RollbackRefused(str(problem)) from problem
