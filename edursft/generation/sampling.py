"""Batched sampling with a KV cache, and the exact log q(x) of every sample.

Rejection sampling needs q(x), the probability of each proposal under the
distribution it was actually drawn from, i.e. after temperature, top-k and top-p
have reshaped the model's next-token distribution. Here the warping and the draw
are done by our own logits processor, the only one ``generate`` applies: it warps,
draws the token (inverse CDF, one uniform number per row), adds that token's
log-probability to the row's total and hands ``generate`` a one-hot score that
greedy search appends. So log q is read from exactly the distribution the token
was drawn from, without keeping any step's scores.

Every prompt is repeated once per sample and the prompts are left-padded into one
batch for one ``generate`` call; the KV cache means each step costs one token's
forward pass, and batches of ``static_cache_rows`` rows or more preallocate it.

With ``calculator`` on, GSM8K's calculator is used (Cobbe et al. 2021,
"Training Verifiers to Solve Math Word Problems", section 3.1 and appendix C):
when a sample opens an annotation right after a written calculation
(``12 * 4 = <<``) the calculator fills the annotation in from it
(``12*4=48>>48``); when the sample writes ``<<expression=`` itself, the exact
result, ``>>`` and the result again are forced, and at the next step no digit
may extend the displayed result. A forced token has probability 1 under the
proposal actually used (model plus calculator), so it adds log 1 = 0 to log q;
the step after a result is renormalised over the tokens left. ``Sample.forced``
and ``Sample.constrained`` list those positions.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import islice

import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList

from edursft.criteria.candidate import Candidate
from edursft.generation.evaluate import max_positions
from edursft.generation.prompts import END, Request, build_prompt, parse_completion
from edursft.generation.store import Generator
from edursft.verification.arithmetic import NotArithmeticError, evaluate_arithmetic


@dataclass
class SamplingConfig:
    """How proposals are drawn. ``top_k=0`` and ``top_p=1.0`` switch those filters off."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    samples_per_prompt: int = 4
    prompts_per_batch: int = 8
    max_new_tokens: int = 192
    calculator: bool = True  # force the results of <<expression=...>> annotations (GSM8K's calculator)
    static_cache_rows: int = 32  # batches of at least this many rows preallocate the KV cache (0: never)
    seed: int = 0


@dataclass(frozen=True)
class Sample:
    """One generated completion: its tokens (up to and including the end token), text and log q.

    ``forced`` holds the completion positions the calculator wrote (probability 1).
    """

    prompt_index: int
    completion_ids: tuple[int, ...]
    text: str
    log_q: float
    forced: tuple[int, ...] = ()
    constrained: tuple[int, ...] = ()


def warp_logits(logits: torch.Tensor, temperature: float, top_k: int, top_p: float) -> torch.Tensor:
    """Temperature, then top-k, then nucleus (top-p) filtering of next-token logits (last dim).

    Removed tokens get -inf. Top-p keeps the smallest set of most likely tokens whose
    probability reaches ``top_p`` (Holtzman et al. 2020, "The Curious Case of Neural
    Text Degeneration", section 3.1), always at least one token.
    """
    logits = logits / temperature
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        logits = logits.masked_fill(_outside_nucleus(logits, top_p), float("-inf"))
    return logits


def _outside_nucleus(logits: torch.Tensor, top_p: float, first_try: int = 256) -> torch.Tensor:
    """Mask of the tokens top-p removes: a token stays when the more likely tokens before it
    have not yet reached ``top_p``.

    Sorting the whole vocabulary every step was a quarter of a CPU sampling step, so the
    ``first_try`` most likely tokens are ranked first; only rows where they hold less than
    ``top_p`` of the mass are sorted in full. The mask is the same.
    """
    probs = torch.softmax(logits, dim=-1)
    flat = probs.reshape(-1, probs.shape[-1])
    keep = torch.zeros_like(flat, dtype=torch.bool)
    k = min(first_try, flat.shape[-1])
    top_probs, order = torch.topk(flat, k, dim=-1)
    short = top_probs.sum(dim=-1) < top_p if k < flat.shape[-1] else torch.zeros(len(flat), dtype=torch.bool)
    groups = [(~short, top_probs[~short], order[~short])]
    if bool(short.any()):
        groups.append((short, *torch.sort(flat[short], dim=-1, descending=True)))
    for rows, ranked, ranked_order in groups:
        keep_ranked = (ranked.cumsum(dim=-1) - ranked) < top_p
        keep_ranked[..., 0] = True
        keep[rows] = torch.zeros_like(flat[rows], dtype=torch.bool).scatter(-1, ranked_order, keep_ranked)
    return ~keep.reshape(probs.shape)


def calculator_result(value: Fraction) -> str:
    """How the calculator writes a result: a whole number, or a decimal to at most 4 places."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


# Possessive quantifiers: with plain ones the spaces between a number and an operator could
# be split two ways at every junction, and a long chain that ends without a match
# ("1 + 1 + ... + x = <<") backtracked for hours in the middle of an RSFT evaluation.
_NUMBER = r"\(?\s*+-?\d++(?:\.\d+)?+\s*+\)?+"
# A number, or a call of the calculator's functions ("sqrt(25)", "abs(-3)", "gcd(12, 18)").
_OPERAND = rf"(?:(?:sqrt|abs|mod|gcd|lcm|max|min)\([^()<>=]*+\)|{_NUMBER})"
# "... 12 * 4 = <<": the calculation written just before an annotation opens; not glued to
# a word ("sqrt(25) = <<" is not the calculation "(25)").
_PROSE_CALCULATION = re.compile(rf"(?<![\w.)])({_OPERAND}(?:\s*+[-+*/]\s*+{_OPERAND})*+)\s*+=\s*+<<$")


class _Vocabulary:
    """Each token's text and which tokens start with a digit, computed once per tokenizer.

    Decoding the whole vocabulary took tens of milliseconds; paid per ``generate`` call it
    was a tenth of a one-sample call, so it is cached on the tokenizer's identity.
    """

    _cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, tokenizer) -> None:
        self.pieces = [tokenizer.decode([i], skip_special_tokens=False) for i in range(len(tokenizer))]
        vocabulary = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        # Tokens that would glue more digits onto the calculator's displayed result.
        self.digit_tokens = torch.tensor([t is not None and t[:1].isdigit() for t in vocabulary])

    @classmethod
    def of(cls, tokenizer) -> _Vocabulary:
        vocabulary = cls._cache.get(tokenizer)
        if vocabulary is None or len(vocabulary.pieces) != len(tokenizer):
            vocabulary = cls._cache[tokenizer] = cls(tokenizer)
        return vocabulary


class _Calculator:
    """Per row: the text generated so far and the tokens still to force.

    When an annotation opens right after a written calculation (``12 * 4 = <<``) the
    calculator fills it in from that calculation (``12*4=48>>48``), as the annotation
    is the machine-readable copy of the prose; otherwise it waits for the model to
    write ``<<expression=`` and forces the result (``48>>48``). ``busy`` holds the rows
    with tokens queued or a result just completed, so a step visits only those rows.
    """

    def __init__(self, tokenizer, rows: int) -> None:
        self.tokenizer = tokenizer
        self.text = [""] * rows
        self.queue: list[list[int]] = [[] for _ in range(rows)]
        self.number_ends = [False] * rows  # the forced result was just completed
        self.busy: set[int] = set()
        vocabulary = _Vocabulary.of(tokenizer)
        self.pieces = vocabulary.pieces
        self.digit_tokens = vocabulary.digit_tokens

    def _force(self, row: int, text: str) -> None:
        self.queue[row] = self.tokenizer.encode(text, add_special_tokens=False)
        if self.queue[row]:
            self.busy.add(row)

    def observe(self, row: int, token: int) -> None:
        """Read a token a row has just emitted; queue what the calculator writes next."""
        piece = self.pieces[token]
        self.text[row] += piece
        text = self.text[row]
        if self.queue[row] or not ("=" in piece or "<" in piece):
            return
        start = text.rfind("<<")
        segment = text[start + 2 :] if start >= 0 else ""
        if start < 0 or ">>" in segment or segment.count("=") > 1:
            return
        if "=" not in segment:
            # The annotation has just opened after "12 * 4 = " (the token may carry more:
            # byte-level BPE merges " <<-" when the calculation starts with a minus sign).
            written = _PROSE_CALCULATION.search(text[: start + 2])
            if written is not None:
                expression = re.sub(r"\s+", "", written.group(1))
                value = _evaluate(expression)
                if value is not None:
                    result = calculator_result(value)
                    self._complete(row, segment, f"{expression}={result}>>{result}")
            return
        expression, shown = segment.split("=")
        value = _evaluate(expression)
        if value is not None:
            result = calculator_result(value)
            # The result, the closing brackets, and the result again as the text shows it
            # (GSM8K's layout); "=-" may already have shown a negative result's sign.
            self._complete(row, shown, f"{result}>>{result}")

    def _complete(self, row: int, written: str, full: str) -> None:
        """Force the rest of ``full`` when what the row wrote so far is its beginning."""
        if full.startswith(written):
            self._force(row, full[len(written) :])

    def next_forced(self, row: int) -> int | None:
        """The token to force at this step, if any; marks when the displayed result is complete."""
        if not self.queue[row]:
            self.number_ends[row] = False
            self.busy.discard(row)
            return None
        token = self.queue[row].pop(0)
        self.number_ends[row] = not self.queue[row]
        return token


def _evaluate(expression: str) -> Fraction | None:
    try:
        return evaluate_arithmetic(expression)
    except (NotArithmeticError, ZeroDivisionError, OverflowError, RecursionError):
        return None


class _SampleAndRecord(LogitsProcessor):
    """Warps the logits (with the calculator's forcing), draws the next token itself and
    adds its log-probability to the row's log q.

    ``generate`` then runs greedily over a one-hot score, so the token it appends is the
    one drawn here. Drawing here instead of in ``generate`` gives log q the sampled
    token's probability at once (no vocabulary-wide tensor kept to the next step), and
    an inverse-CDF draw (one uniform number per row) costs a fraction of ``torch.multinomial``,
    which took an eighth of a 256-row step on CPU.
    """

    def __init__(
        self, config: SamplingConfig, end_id: int, calculator: _Calculator | None, rows: int
    ) -> None:
        self.config = config
        self.end_id = end_id
        self.calculator = calculator
        self.total = torch.zeros(rows, dtype=torch.float64)
        self.finished = torch.zeros(rows, dtype=torch.bool)
        self.step = 0
        self.forced: list[list[int]] = [[] for _ in range(rows)]
        self.constrained: list[list[int]] = [[] for _ in range(rows)]

    def _calculator_step(self, scores: torch.Tensor) -> tuple[torch.Tensor, dict[int, int]]:
        forced: dict[int, int] = {}
        constrained: list[int] = []
        finished = self.finished.tolist()
        for row in sorted(self.calculator.busy):
            if finished[row]:
                continue
            ended = self.calculator.number_ends[row]
            token = self.calculator.next_forced(row)
            if token is not None:
                forced[row] = token
                self.forced[row].append(self.step)
            elif ended:
                constrained.append(row)
                self.constrained[row].append(self.step)
        if constrained:
            # The displayed result is complete: no digit may extend it. Masked before the
            # warping, so top-k and top-p choose among the tokens that remain.
            scores = scores.clone()
            digits = self.calculator.digit_tokens[: scores.shape[1]]
            rows = torch.tensor(constrained)
            scores[rows.unsqueeze(1), torch.nonzero(digits).flatten().unsqueeze(0)] = float("-inf")
        return scores, forced

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        forced: dict[int, int] = {}
        if self.calculator is not None and self.calculator.busy:
            scores, forced = self._calculator_step(scores)
        # Finished rows only wait for the others (generate pads them): they are not warped or drawn.
        active = torch.nonzero(~self.finished).flatten()
        rows = active.tolist()
        if not rows:
            return torch.full_like(scores, float("-inf")).index_fill_(1, torch.tensor([self.end_id]), 0.0)
        warped = warp_logits(
            scores[active].float(), self.config.temperature, self.config.top_k, self.config.top_p
        )
        if forced:
            where = {row: i for i, row in enumerate(rows)}
            positions = torch.tensor([where[row] for row in forced])
            warped[positions] = float("-inf")
            warped[positions, torch.tensor(list(forced.values()))] = 0.0
        log_probs = torch.log_softmax(warped, dim=-1)
        # Inverse-CDF draw: one uniform number per row against the cumulative probabilities
        # (a removed token adds nothing to the sum, so it cannot be drawn).
        probs = log_probs.exp()
        cumulative = probs.cumsum(dim=-1)
        threshold = torch.rand(len(probs), 1) * cumulative[:, -1:]
        drawn = (
            torch.searchsorted(cumulative, threshold, right=True).squeeze(1).clamp_(max=probs.shape[1] - 1)
        )
        # Rounding can leave the threshold at the very top of the sum: take the likeliest token then.
        missed = probs.gather(1, drawn.unsqueeze(1)).squeeze(1) == 0
        if bool(missed.any()):
            drawn[missed] = probs[missed].argmax(dim=-1)
        self.total[active] += log_probs.gather(1, drawn.unsqueeze(1)).squeeze(1).double()
        if self.calculator is not None:
            for row, token in zip(rows, drawn.tolist(), strict=True):
                self.calculator.observe(row, token)
        tokens = torch.full((len(scores),), self.end_id, dtype=torch.long)
        tokens[active] = drawn
        self.finished |= tokens == self.end_id
        self.step += 1
        return torch.full_like(scores, float("-inf")).scatter_(1, tokens.unsqueeze(1), 0.0)


def sample_batch(
    generator: Generator, prompts: Sequence[str], config: SamplingConfig, seed: int
) -> list[Sample]:
    """Draw ``config.samples_per_prompt`` completions for each prompt in one ``generate`` call."""
    tokenizer, model = generator.tokenizer, generator.model
    encoded = tokenizer(list(prompts), return_tensors="pt", padding=True, add_special_tokens=False)
    # Each prompt repeated once per sample (what num_return_sequences does, which greedy search refuses).
    encoded = {
        key: value.repeat_interleave(config.samples_per_prompt, dim=0) for key, value in encoded.items()
    }
    width = encoded["input_ids"].shape[1]
    end_id = generator.end_token_id
    rows = len(prompts) * config.samples_per_prompt
    calculator = _Calculator(tokenizer, rows) if config.calculator else None
    recorder = _SampleAndRecord(config, end_id, calculator, rows)
    # Our processor draws every token; generate only appends the one it returns as the maximum.
    generation_config = GenerationConfig(
        do_sample=False,
        max_new_tokens=max(1, min(config.max_new_tokens, max_positions(generator) - width)),
        eos_token_id=end_id,
        pad_token_id=tokenizer.pad_token_id,
        use_cache=True,
        # The dynamic cache concatenates every layer's keys and values at each step, a third of
        # a 256-row step; a preallocated cache writes in place. At a few rows its attention over
        # the whole preallocated length costs more than the copies it saves.
        cache_implementation="static" if 0 < config.static_cache_rows <= rows else None,
        return_dict_in_generate=True,
    )
    torch.manual_seed(seed)
    with torch.no_grad():
        output = model.generate(
            **encoded, generation_config=generation_config, logits_processor=LogitsProcessorList([recorder])
        )
    completions = output.sequences[:, width:]
    log_q = recorder.total.tolist()
    samples = []
    for row, ids in enumerate(completions.tolist()):
        ended = end_id in ids
        kept = ids[: ids.index(end_id) + 1] if ended else ids
        text = tokenizer.decode(kept[:-1] if ended else kept, skip_special_tokens=False)
        forced = tuple(p for p in recorder.forced[row] if p < len(kept))
        constrained = tuple(p for p in recorder.constrained[row] if p < len(kept))
        samples.append(
            Sample(
                row // config.samples_per_prompt,
                tuple(kept),
                text + (END if ended else ""),
                log_q[row],
                forced,
                constrained,
            )
        )
    return samples


def propose(generator: Generator, requests: Iterable[Request], config: SamplingConfig) -> Iterator[Candidate]:
    """Candidates for each request, generated lazily batch by batch (so a sampler can stop early).

    Batch ``i`` is seeded with ``config.seed + i``: the same requests and seed give the same candidates.
    """
    iterator = iter(requests)
    index = 0
    while chunk := tuple(islice(iterator, config.prompts_per_batch)):
        samples = sample_batch(generator, [build_prompt(r) for r in chunk], config, config.seed + index)
        for sample in samples:
            candidate = parse_completion(chunk[sample.prompt_index], sample.text, log_q=sample.log_q)
            candidate.context["completion_ids"] = list(sample.completion_ids)
            yield candidate
        index += 1
