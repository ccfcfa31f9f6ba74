"""Sizes, budgets and gate margins of a retraining, recorded on every run.

Defaults give a demo that bootstraps both models in a few minutes on 2 CPU
cores; ``settings.EDURSFT_PIPELINE`` (a dict) overrides them site-wide and a
trigger may override them for one run (tests use the ``tiny`` preset).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from django.conf import settings


@dataclass(frozen=True)
class PipelineConfig:
    """Everything a run needs to know besides the data; stored as ``PipelineRun.config``."""

    # Generator stages (bootstrap, generation, fine-tuning); off for a recommendations-only site.
    generator: bool = True
    # Bootstrap generator (edursft.generation.pretrain presets: default, quick, tiny).
    generator_preset: str = "quick"
    # Generation: exercises asked for per skill and level, and proposals allowed per skill.
    levels: tuple[int, ...] = (1, 2, 3)
    samples_per_prompt: int = 4
    accept_per_skill: int = 4
    proposals_per_skill: int = 24
    max_new_tokens: int = 160
    # Generator fine-tuning on accepted samples.
    finetune_epochs: int = 2
    finetune_max_minutes: float = 3.0
    # Per skill, accepted items of one phrasing (numbers masked) that fine-tune the generator
    # (edursft.generation.rounds.curate; 0: no cap): keeps a template's wording from taking over.
    finetune_max_per_phrasing: int = 2
    # Student model (edursft.studentmodel.train.KTConfig sizes).
    student_embed_dim: int = 32
    student_hidden_dim: int = 64
    student_head_dim: int = 64
    student_window: int = 30  # as KTConfig: short windows train better (docs/studentmodel.md)
    student_context: int = 10
    student_max_epochs: int = 6
    student_patience: int = 2
    student_time_budget_s: float = 120.0
    warm_start_epochs: int = 2
    # Students held out of every training set; the gate compares versions on them.
    test_fraction: float = 0.1
    # Gates: a candidate is promoted only within these margins of the active version.
    auc_margin: float = 0.005
    perplexity_margin: float = 0.2
    # A stage whose worker died this many times fails the run instead of retrying.
    max_deliveries: int = 3
    seed: int = 0

    def as_json(self) -> dict:
        return {**asdict(self), "levels": list(self.levels)}


PRESETS: dict[str, dict] = {
    "demo": {},
    "tiny": {
        "generator_preset": "tiny",
        "levels": (1,),
        "samples_per_prompt": 2,
        "accept_per_skill": 2,
        "proposals_per_skill": 4,
        "max_new_tokens": 48,
        "finetune_epochs": 1,
        "finetune_max_minutes": 0.5,
        "student_embed_dim": 8,
        "student_hidden_dim": 16,
        "student_head_dim": 16,
        "student_window": 50,
        "student_context": 10,
        "student_max_epochs": 2,
        "student_time_budget_s": 20.0,
        "warm_start_epochs": 1,
        "test_fraction": 0.25,
    },
}


def pipeline_config(overrides: dict | None = None, *, preset: str = "demo") -> PipelineConfig:
    """The preset, then the site's settings, then this run's overrides; unknown keys are an error."""
    merged = {**PRESETS[preset], **getattr(settings, "EDURSFT_PIPELINE", {}), **(overrides or {})}
    known = {f.name for f in fields(PipelineConfig)}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ValueError(f"unknown pipeline settings: {', '.join(unknown)}")
    if "levels" in merged:
        merged["levels"] = tuple(merged["levels"])
    return replace(PipelineConfig(), **merged)


def config_of_run(stored: dict) -> PipelineConfig:
    """The config a run was started with (stored as JSON on the run)."""
    known = {f.name for f in fields(PipelineConfig)}
    values = {k: v for k, v in stored.items() if k in known}
    if "levels" in values:
        values["levels"] = tuple(values["levels"])
    return replace(PipelineConfig(), **values)
