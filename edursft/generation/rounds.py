"""Rejection-sampling fine-tuning rounds: generate, accept, fine-tune, evaluate, K times.

The loop of ReST-EM (Singh et al. 2023, "Beyond Human Data", Algorithm 1) and
RFT (Yuan et al. 2023, "Scaling Relationship on Learning Mathematical
Reasoning"): the current generator proposes, the criteria accept (exact,
best-of-n or threshold mode, as the spec says), the generator is fine-tuned on
what was accepted, and held-out figures are measured. Guards against the
failure modes of published systems:

- accepted samples of *all* rounds are pooled (Llama 2's RLHF regressed when it
  trained on the last round's samples only, Touvron et al. 2023, section 3.2.3),
  best first: where a cap below binds, the highest rewards of any round are kept,
  and among equal rewards the samples the generator found least likely;
- at most ``max_per_prompt`` accepted samples per prompt, and near-duplicates
  (word-bigram Jaccard similarity above ``near_duplicate``) are dropped, so no
  prompt dominates and diversity is kept (RAFT's distinct-2 fell 0.39 -> 0.22);
- at most ``max_per_phrasing`` accepted samples per skill share a phrasing (the
  same near-duplicate test with every number masked): a template's text with other
  numbers is not new text, and a pool full of it taught the model to write the
  template's wording and little else (distinct-2 fell to 81% of round 0's);
- ``proposal_temperature`` can draw the training proposals hotter than the
  evaluation, so the criteria see (and accept) more phrasings;
- original authored data are mixed into every fine-tuning set (FinetuneConfig);
- ``restart_from_base`` fine-tunes the base model on the pool each round as
  ReST-EM does, instead of continuing from the last round's model (drift).

Each round lives in ``out/round_K/`` with a ``state.json`` naming the stages
completed (``sample``, ``finetune``, ``evaluate``); a rerun skips them and
continues at the first stage not done, so an interrupted run resumes.
Round 0 is the starting model, evaluated only.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.registry import REGISTRY
from edursft.criteria.spec import CriteriaSpec, load_spec
from edursft.generation.corpus import Example, seed_examples
from edursft.generation.evaluate import distinct_n, perplexity
from edursft.generation.finetune import FinetuneConfig, finetune
from edursft.generation.prompts import Request, candidate_completion
from edursft.generation.sampling import SamplingConfig, propose
from edursft.generation.store import Generator, load_generator, save_version, write_json_atomic
from edursft.sampling.rejection import SamplingRun, run_sampling
from edursft.seed import (
    LEVELS,
    TEMPLATES,
    expand_seed,
    feedback_examples,
    seed_skill_descriptions,
    seed_skills,
)

STAGES = ("sample", "finetune", "evaluate")
TRAIN_SEED_OFFSET = 0
EVAL_SEED_OFFSET = 100_003  # evaluation requests and sampling never share seeds with training
ORIGINAL_SEED = 0  # the seed draw the bootstrap generator was pre-trained on
FRESH_ORIGINAL_OFFSET = 2_000_003  # fresh draws of the templates for the original-data mix
HELD_OUT_SEED = 1_000_003  # authored items never trained on (same as pre-training's held-out draw)


@dataclass
class RsftConfig:
    """One RSFT run. ``eval_criteria`` is the held-out criteria set (defaults to ``criteria``)."""

    model: Path
    criteria: Path
    out: Path
    rounds: int = 3
    eval_criteria: Path | None = None
    kind: str = "exercise"  # or "feedback": the same loop on feedback requests and criteria
    prompts_per_round: int = 96
    eval_prompts: int = 64
    restart_from_base: bool = True
    max_per_prompt: int = 4
    near_duplicate: float = 0.8
    max_per_phrasing: int = 2  # per skill, accepted samples whose number-masked text is a near-duplicate
    proposal_temperature: float | None = None  # training proposals' temperature (None: sampling's)
    # Difficulty-aware resampling (DART-Math, Tong et al. 2024): prompts that got fewer than
    # max_per_prompt accepted samples are proposed this many more times (0: off).
    resample_hard: int = 0
    # The authored documents mixed into fine-tuning: new draws of the templates every round
    # (new numbers) instead of the draw the bootstrap was pre-trained on.
    fresh_original: bool = True
    perplexity_items: int = 120
    threads: int = 1  # torch threads; 0 leaves torch's default
    seed: int = 0
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)


@dataclass
class RoundReport:
    """What one round measured on held-out requests and held-out authored items."""

    round: int
    acceptance_rate: float
    mean_acceptance_prob: float | None
    verified_rate: float | None
    well_formed_rate: float
    distinct1: float
    distinct2: float
    perplexity: float
    proposals_per_accepted: float | None
    proposals: int
    accepted_train: int
    pool: int
    wall_seconds: float
    model: str
    sampling_stats: dict = field(default_factory=dict)
    per_skill: dict = field(default_factory=dict)  # skill -> proposals, acceptance and verified rates


def requests_for(kind: str, count: int, seed: int) -> list[Request]:
    """``count`` requests spread over the seed skills and levels, drawn reproducibly from ``seed``.

    Feedback requests take an exercise and a typical wrong answer from the seed content.
    """
    rng = random.Random(seed)
    if kind == "exercise":
        pairs = [(skill, level) for skill in seed_skills().values() for level in LEVELS]
        rng.shuffle(pairs)
        return [
            Request("exercise", skill, level) for skill, level in (pairs * (count // len(pairs) + 1))[:count]
        ]
    examples = feedback_examples(expand_seed(per_template=1, seed=seed))
    chosen = rng.sample(examples, min(count, len(examples)))
    return [
        Request(
            "feedback",
            fb.exercise.skill,
            fb.exercise.level,
            fb.exercise.problem,
            fb.exercise.answer,
            fb.wrong_answer,
        )
        for fb in chosen
    ]


def authored_examples(kind: str, per_template: int, seed: int) -> list[Example]:
    """Authored documents of one kind (the original-data mix, or held-out items for perplexity)."""
    exercises = expand_seed(per_template, seed=seed)
    if kind == "exercise":
        return seed_examples(exercises)
    return seed_examples([], feedback_examples(exercises))


def rehearsal_documents(kind: str, wanted: int, seed: int) -> list[Example]:
    """At least ``wanted`` authored documents (draws of every template and level from ``seed``)
    to mix into a fine-tuning set.

    Until 2026-12-03 four draws per template were taken whatever was asked, so
    ``original_mix`` stopped silently at 756 documents once a pool passed a few hundred."""
    per_template = max(4, math.ceil(wanted / (len(TEMPLATES) * len(LEVELS))))
    return authored_examples(kind, per_template, seed)


def original_documents(config: RsftConfig, k: int, wanted: int) -> list[Example]:
    """The authored documents mixed into round ``k``'s fine-tuning.

    Fresh draws put new numbers into every round. The pre-training draw, which the
    bootstrap already fits, carried almost no gradient: the few accepted samples per
    prompt set the model's numbers, and distinct-2 fell to 86% of round 0's on the
    problems' numbers alone (docs/generation.md, sixth session)."""
    seed = FRESH_ORIGINAL_OFFSET + config.seed + k if config.fresh_original else ORIGINAL_SEED
    return rehearsal_documents(config.kind, wanted, seed)


def _criteria_context() -> CriteriaContext:
    # What the site's criteria read from each skill's row: its name and description.
    return CriteriaContext(skill_descriptions=seed_skill_descriptions())


def judge_all(path: Path, proposals: int) -> CriteriaSpec:
    """The criteria file with budget and n_accept set to the round's proposal count, so every
    proposal is judged and the acceptance rate is accepted over all proposals."""
    return replace(load_spec(Path(path)), budget=proposals, n_accept=proposals)


def _bigrams(text: str) -> set[tuple[str, str]]:
    words = text.lower().split()
    return set(zip(words, words[1:], strict=False))


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def phrasing(text: str) -> str:
    """The text with every number replaced by ``#``: what stays of a template across its draws."""
    return _NUMBER.sub("#", text)


def _similar(grams: set, others: Sequence[set], threshold: float) -> int:
    return sum(len(grams & o) / max(1, len(grams | o)) > threshold for o in others)


def curate(
    pool: Sequence[Candidate], max_per_prompt: int, near_duplicate: float, max_per_phrasing: int = 0
) -> list[Candidate]:
    """Keep at most ``max_per_prompt`` per prompt, drop near-duplicates and, with
    ``max_per_phrasing``, keep at most that many per skill of one phrasing (near-duplicates
    once numbers are masked); first come, first kept."""
    kept: list[Candidate] = []
    per_prompt: dict[str, int] = {}
    seen: dict[str, list[set]] = {}
    seen_phrasings: dict[str, list[set]] = {}
    for candidate in pool:
        if per_prompt.get(candidate.prompt_id, 0) >= max_per_prompt:
            continue
        grams = _bigrams(candidate.text + " " + candidate.answer)
        others = seen.setdefault(candidate.skill, [])
        if _similar(grams, others, near_duplicate):
            continue
        masked = _bigrams(phrasing(candidate.text))
        phrasings = seen_phrasings.setdefault(candidate.skill, [])
        if max_per_phrasing and _similar(masked, phrasings, near_duplicate) >= max_per_phrasing:
            continue
        others.append(grams)
        phrasings.append(masked)
        per_prompt[candidate.prompt_id] = per_prompt.get(candidate.prompt_id, 0) + 1
        kept.append(candidate)
    return kept


def _scored(run: SamplingRun, k: int) -> list[Candidate]:
    """The run's accepted candidates, each carrying its reward and round for curation."""
    accepted = []
    for decision in run.decisions:
        if decision.accepted:
            decision.candidate.context.update(reward=decision.reward, round=k)
            accepted.append(decision.candidate)
    return accepted


def best_first(pool: Sequence[Candidate]) -> list[Candidate]:
    """Highest reward first; among equal rewards, the one the generator found least likely.

    The per-prompt cap binds once the pool spans rounds: first come, round 1's samples
    filled it and later, better generators added almost nothing. Keeping the best of all
    rounds is Llama 2's pooling (the top samples of every iteration) and RAFT's ranking.
    Most accepted samples tie at the full reward, and which of them are kept decides
    diversity: the newest round's (a sharper model's) drew distinct-2 down to 85% of
    round 0's, the least likely ones (lowest log q) kept it at 92% (docs/generation.md).
    """
    return sorted(pool, key=lambda c: (-float(c.context.get("reward", 0.0)), c.log_q or 0.0))


def _to_example(candidate: Candidate) -> Example:
    return Example(candidate.context["prompt"], candidate_completion(candidate), "accepted")


def _save_candidates(path: Path, candidates: Sequence[Candidate]) -> None:
    rows = []
    for candidate in candidates:
        row = asdict(candidate)
        row["context"] = {k: v for k, v in row["context"].items() if k != "completion_ids"}
        rows.append(json.dumps(row, default=str))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(rows) + ("\n" if rows else ""), encoding="utf-8")
    tmp.replace(path)


def _load_candidates(path: Path) -> list[Candidate]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Candidate.from_dict(json.loads(line)) for line in lines if line.strip()]


def _recording(stream: Iterator[Candidate], sink: list[Candidate]) -> Iterator[Candidate]:
    for candidate in stream:
        sink.append(candidate)
        yield candidate


def per_skill(run: SamplingRun, verified: Sequence[bool] | None) -> dict[str, dict]:
    """Proposals, acceptance and verified-answer rates of each skill, weakest first
    (``verified`` is by position in the proposal stream).

    One overall rate hides where a generator fails: a skill at 0% beside others at 90%
    is a template or calculator problem to fix, not something more rounds will learn."""
    rows: dict[str, dict] = {}
    for decision in run.decisions:
        row = rows.setdefault(decision.candidate.skill, {"proposals": 0, "accepted": 0, "verified": 0})
        row["proposals"] += 1
        row["accepted"] += decision.accepted
        row["verified"] += bool(verified and verified[decision.index])
    table = {
        skill: {
            "proposals": row["proposals"],
            "acceptance_rate": round(row["accepted"] / row["proposals"], 4),
            "verified_rate": round(row["verified"] / row["proposals"], 4) if verified is not None else None,
        }
        for skill, row in rows.items()
    }
    return dict(sorted(table.items(), key=lambda item: (item[1]["acceptance_rate"], item[0])))


def evaluate_generator(generator: Generator, config: RsftConfig, save_to: Path | None = None) -> dict:
    """Held-out figures of one generator: acceptance under the held-out criteria, verified
    answers, well-formedness, distinct-1/2 of the proposals, perplexity on held-out authored
    items, and the same rates per skill. ``save_to`` keeps the judged proposals for a look."""
    requests = requests_for(config.kind, config.eval_prompts, config.seed + EVAL_SEED_OFFSET)
    spec = judge_all(
        config.eval_criteria or config.criteria, len(requests) * config.sampling.samples_per_prompt
    )
    sampling = SamplingConfig(**{**asdict(config.sampling), "seed": config.seed + EVAL_SEED_OFFSET})
    proposals: list[Candidate] = []
    run = run_sampling(
        _recording(propose(generator, requests, sampling), proposals),
        spec,
        context=_criteria_context(),
        seed=config.seed + EVAL_SEED_OFFSET,
    )
    stats = run.stats()
    passed = None
    if config.kind == "exercise":
        # The answer_verified criterion's own judgement, whatever the criteria file contains.
        outcomes = REGISTRY["answer_verified"]().evaluate(proposals, _criteria_context())
        passed = [o.passed for o in outcomes]
    if save_to is not None:
        for decision in run.decisions:
            decision.candidate.context.update(accepted=decision.accepted, reasons=decision.reasons)
        _save_candidates(save_to, proposals)
    held_out = authored_examples(config.kind, 1, HELD_OUT_SEED)
    held_out = held_out[:: max(1, len(held_out) // config.perplexity_items)][: config.perplexity_items]
    return {
        "acceptance_rate": stats["acceptance_rate"],
        "mean_acceptance_prob": stats.get("mean_acceptance_prob"),
        "proposals_per_accepted": stats.get("proposals_per_accepted"),
        "verified_rate": sum(passed) / len(proposals) if passed is not None else None,
        "well_formed_rate": sum(bool(c.context.get("well_formed")) for c in proposals) / len(proposals),
        "distinct1": distinct_n((c.text for c in proposals), 1),
        "distinct2": distinct_n((c.text for c in proposals), 2),
        "perplexity": perplexity(generator, held_out),
        "proposals": len(proposals),
        "sampling_stats": stats,
        "per_skill": per_skill(run, passed),
    }


class RsftRun:
    """The rounds of one run directory; every stage writes its output before marking itself done."""

    def __init__(self, config: RsftConfig) -> None:
        self.config = config
        self.out = Path(config.out)
        self.out.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.out / "config.json", asdict(config))

    def round_dir(self, k: int) -> Path:
        return self.out / f"round_{k}"

    def model_dir(self, k: int) -> Path:
        return Path(self.config.model) if k == 0 else self.round_dir(k) / "model"

    def _state(self, k: int) -> dict:
        path = self.round_dir(k) / "state.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"done": [], "seconds": {}}

    def _mark(self, k: int, stage: str, seconds: float) -> None:
        state = self._state(k)
        state["done"].append(stage)
        state["seconds"][stage] = round(seconds, 1)
        write_json_atomic(self.round_dir(k) / "state.json", state)

    def _stage(self, k: int, stage: str, work) -> None:
        if stage in self._state(k)["done"]:
            return
        started = time.monotonic()
        work()
        self._mark(k, stage, time.monotonic() - started)

    def _sample(self, k: int) -> None:
        config = self.config
        generator = load_generator(self.model_dir(k - 1))
        requests = requests_for(config.kind, config.prompts_per_round, config.seed + TRAIN_SEED_OFFSET + k)
        temperature = (
            config.sampling.temperature
            if config.proposal_temperature is None
            else config.proposal_temperature
        )
        sampling = SamplingConfig(
            **{**asdict(config.sampling), "seed": config.seed + 1000 * k, "temperature": temperature}
        )
        proposals: list[Candidate] = []

        def judged(batch: list[Request], settings: SamplingConfig, seed: int):
            return run_sampling(
                _recording(propose(generator, batch, settings), proposals),
                judge_all(config.criteria, len(batch) * settings.samples_per_prompt),
                context=_criteria_context(),
                seed=seed,
            )

        run = judged(requests, sampling, config.seed + k)
        accepted, stats = _scored(run, k), run.stats()
        if config.resample_hard:
            # The prompts the generator is worst at are the ones a uniform draw leaves
            # without samples to learn from: give them more proposals.
            counts = Counter(c.prompt_id for c in accepted)
            hard = {r.identifier(): r for r in requests if counts[r.identifier()] < config.max_per_prompt}
            more = replace(sampling, samples_per_prompt=config.resample_hard, seed=sampling.seed + 500)
            rerun = judged(list(hard.values()), more, config.seed + k + 500)
            accepted += _scored(rerun, k)
            stats = {"first_pass": stats, "hard_prompts": {"prompts": len(hard), **rerun.stats()}}
        _save_candidates(self.round_dir(k) / "proposals.jsonl", proposals)
        _save_candidates(self.round_dir(k) / "accepted.jsonl", accepted)
        write_json_atomic(self.round_dir(k) / "sampling.json", stats)

    def pool(self, k: int) -> list[Candidate]:
        """All rounds' accepted samples up to round ``k``, best first, curated (cap per prompt,
        no near-duplicates)."""
        accepted = [
            c for j in range(1, k + 1) for c in _load_candidates(self.round_dir(j) / "accepted.jsonl")
        ]
        return curate(
            best_first(accepted),
            self.config.max_per_prompt,
            self.config.near_duplicate,
            self.config.max_per_phrasing,
        )

    def _finetune(self, k: int) -> None:
        config = self.config
        pool = self.pool(k)
        base = Path(config.model) if config.restart_from_base else self.model_dir(k - 1)
        original = original_documents(config, k, config.finetune.originals_for(len(pool)))
        metadata = {
            "round": k,
            "criteria": str(config.criteria),
            "data": {"pool": len(pool), "rounds_pooled": list(range(1, k + 1))},
        }
        if pool:
            metrics = finetune(
                base,
                [_to_example(c) for c in pool],
                self.model_dir(k),
                FinetuneConfig(**{**asdict(config.finetune), "seed": config.seed + k}),
                original=original,
                metadata=metadata,
            )
        else:
            # Nothing accepted yet: the round keeps its parent's weights (recorded, not hidden).
            generator = load_generator(base)
            save_version(
                generator.model, generator.tokenizer, self.model_dir(k), {**metadata, "parent": str(base)}
            )
            metrics = {"samples": 0, "skipped": "no accepted samples"}
        write_json_atomic(self.round_dir(k) / "finetune.json", metrics)

    def _evaluate(self, k: int) -> None:
        write_json_atomic(
            self.round_dir(k) / "evaluation.json",
            evaluate_generator(
                load_generator(self.model_dir(k)),
                self.config,
                save_to=self.round_dir(k) / "evaluation_proposals.jsonl",
            ),
        )

    def report(self, k: int) -> RoundReport:
        figures = json.loads((self.round_dir(k) / "evaluation.json").read_text(encoding="utf-8"))
        state = self._state(k)
        accepted_train = 0
        if k > 0:
            accepted_train = len(_load_candidates(self.round_dir(k) / "accepted.jsonl"))
        return RoundReport(
            round=k,
            acceptance_rate=figures["acceptance_rate"],
            mean_acceptance_prob=figures["mean_acceptance_prob"],
            verified_rate=figures["verified_rate"],
            well_formed_rate=figures["well_formed_rate"],
            distinct1=figures["distinct1"],
            distinct2=figures["distinct2"],
            perplexity=figures["perplexity"],
            proposals_per_accepted=figures["proposals_per_accepted"],
            proposals=figures["proposals"],
            accepted_train=accepted_train,
            pool=len(self.pool(k)) if k > 0 else 0,
            wall_seconds=sum(state["seconds"].values()),
            model=str(self.model_dir(k)),
            sampling_stats=figures["sampling_stats"],
            per_skill=figures.get("per_skill", {}),  # absent from runs evaluated before 2026-12-02
        )

    def run_round(self, k: int) -> RoundReport:
        """Run (or resume) round ``k``; round 0 only evaluates the starting model."""
        self.round_dir(k).mkdir(parents=True, exist_ok=True)
        if k > 0:
            self._stage(k, "sample", lambda: self._sample(k))
            self._stage(k, "finetune", lambda: self._finetune(k))
        self._stage(k, "evaluate", lambda: self._evaluate(k))
        return self.report(k)


def run_rsft(config: RsftConfig, on_round=None) -> list[RoundReport]:
    """Rounds 0..K, resuming any that an earlier, interrupted call completed in part."""
    if config.threads:
        torch.set_num_threads(config.threads)
    run = RsftRun(config)
    reports = []
    for k in range(config.rounds + 1):
        report = run.run_round(k)
        reports.append(report)
        if on_round is not None:
            on_round(report)
    return reports
