"""The generator: loading from disk, the text format, batched sampling and exact log q."""

import json
from fractions import Fraction
from functools import partial

import pytest
import torch
from transformers.generation.logits_process import (
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from edursft.generation.corpus import CorpusFormatError, read_corpus
from edursft.generation.evaluate import completion_log_probs, distinct_n, perplexity
from edursft.generation.pretrain import held_out_examples, preset_config, pretrain, train_tokenizer
from edursft.generation.prompts import Request, build_prompt, exercise_completion, parse_completion
from edursft.generation.sampling import (
    SamplingConfig,
    _Calculator,
    _outside_nucleus,
    _SampleAndRecord,
    calculator_result,
    propose,
    sample_batch,
    warp_logits,
)
from edursft.generation.store import load_generator, read_metadata

PROMPTS = [
    build_prompt(Request("exercise", "Percent Of", 2)),
    build_prompt(Request("exercise", "Pythagorean Theorem", 3)),
    build_prompt(Request("feedback", "Mean", 1, "Find the mean of 2, 4 and 9.", "5", "15")),
]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("generator") / "tiny"
    return pretrain(preset_config("tiny", out=out))


@pytest.fixture(scope="session")
def tiny(tiny_model_dir):
    return load_generator(tiny_model_dir)


def test_saved_generator_loads_from_disk_with_the_hub_disabled(tiny_model_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    generator = load_generator(tiny_model_dir)
    assert generator.model.config.n_layer == 1
    assert generator.end_token_id == generator.tokenizer.convert_tokens_to_ids("<|end|>")
    metadata = read_metadata(tiny_model_dir)
    assert metadata["kind"] == "bootstrap" and metadata["parent"] is None
    assert metadata["metrics"]["steps"] > 0


def test_loading_a_directory_without_a_model_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_generator(tmp_path)


@pytest.mark.parametrize(
    ("temperature", "top_k", "top_p", "calculator", "static_cache_rows"),
    [
        (1.0, 0, 1.0, False, 0),
        (0.7, 20, 1.0, False, 0),
        (1.3, 0, 0.8, False, 0),
        (0.9, 50, 0.9, False, 0),
        (0.9, 0, 0.9, True, 0),
        (0.9, 0, 0.9, True, 1),  # the preallocated KV cache of large batches
    ],
)
def test_log_q_equals_the_sum_of_recomputed_warped_token_log_probs(
    tiny, temperature, top_k, top_p, calculator, static_cache_rows
):
    config = SamplingConfig(
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        samples_per_prompt=3,
        max_new_tokens=24,
        calculator=calculator,
        static_cache_rows=static_cache_rows,
    )
    samples = sample_batch(tiny, PROMPTS, config, seed=5)
    assert len(samples) == len(PROMPTS) * 3
    recomputed = completion_log_probs(
        tiny,
        [PROMPTS[s.prompt_index] for s in samples],
        completion_ids=[s.completion_ids for s in samples],
        warp=partial(warp_logits, temperature=temperature, top_k=top_k, top_p=top_p),
    )
    for sample, row in zip(samples, recomputed, strict=True):
        assert len(row) == len(sample.completion_ids)
        # Calculator positions were forced (probability 1) and add nothing to log q; the step
        # after a result was renormalised without digits, which the plain warp cannot replay.
        sampled = [i for i in range(len(row)) if i not in sample.forced and i not in sample.constrained]
        if sample.constrained:
            continue
        assert sample.log_q == pytest.approx(float(row[sampled].sum()), abs=1e-4)


def _forced_after(tiny, text):
    calculator = _Calculator(tiny.tokenizer, rows=1)
    for token in tiny.tokenizer.encode(text, add_special_tokens=False):
        calculator.observe(0, token)
    forced = []
    while (token := calculator.next_forced(0)) is not None:
        forced.append(token)
    return tiny.tokenizer.decode(forced)


def test_the_calculator_fills_in_an_annotation_from_the_calculation_just_written(tiny):
    assert _forced_after(tiny, " so 12 * 4 = <<") == "12*4=48>>48"


def test_the_calculator_forces_the_result_of_an_annotation_the_model_writes(tiny):
    assert _forced_after(tiny, " so <<12*4=") == "48>>48"
    assert calculator_result(Fraction(1, 3)) == "0.3333" and calculator_result(Fraction(-6)) == "-6"
    # Comparing and factoring are the calculator's too: a small model copies numbers well.
    assert _forced_after(tiny, " largest <<max(18,73,98,9)=") == "98>>98"
    assert _forced_after(tiny, " factor <<gcd(24,36)=") == "12>>12"


def test_pretraining_on_every_core_gives_the_caller_its_thread_count_back(tmp_path):
    torch.set_num_threads(1)
    pretrain(preset_config("tiny", out=tmp_path / "g", threads=0, max_steps=2))
    assert torch.get_num_threads() == 1


def test_whole_number_tokens_keep_a_number_one_token_in_prose_and_annotations_alike():
    """Without digit tokens BPE merges numbers, but never with the space before them, so
    " 12" in the problem and "12" in an annotation share the token a model copies; the
    calculator forces results in whatever pieces the tokenizer has."""
    texts = [
        f"Add {a} and {b}: {a} + {b} = <<{a}+{b}={a + b}>>{a + b}." for a in range(2, 40) for b in (12, 36)
    ]
    for digit_tokens, pieces in ((True, ["1", "2"]), (False, ["12"])):
        tokenizer = train_tokenizer(texts, 400, digit_tokens)
        assert tokenizer.tokenize(" 12")[1:] == pieces
        assert tokenizer.tokenize("<<12")[1:] == pieces
        calculator = _Calculator(tokenizer, rows=1)
        for token in tokenizer.encode(" so <<36+12=", add_special_tokens=False):
            calculator.observe(0, token)
        forced = []
        while (token := calculator.next_forced(0)) is not None:
            forced.append(token)
        assert tokenizer.decode(forced) == "48>>48"


def test_every_seed_solution_is_what_the_calculator_would_force(tiny):
    """A seed solution the calculator contradicts can never be generated: "<<a>>6 + <<b>>9 =
    <<" reads as the calculation "9" and forces "9=9>>9", so the sum is never right."""
    from edursft.seed import expand_seed

    contradicted = []
    for exercise in expand_seed(1, seed=0):
        calculator = _Calculator(tiny.tokenizer, rows=1)
        written = ""
        for token in tiny.tokenizer.encode(" " + exercise.solution, add_special_tokens=False):
            calculator.observe(0, token)
            written += calculator.pieces[token]
            if calculator.queue[0]:
                forced = tiny.tokenizer.decode(calculator.queue[0])
                rest = (" " + exercise.solution)[len(written) :]
                if not rest.startswith(forced):
                    contradicted.append((exercise.skill, written[-40:], forced))
                calculator.queue[0], calculator.busy = [], set()
    assert contradicted == []


def test_the_calculator_completes_negative_results_whose_sign_came_merged_into_a_token(tiny):
    """Byte-level BPE merges " <<-" and "=-": the model has then written the sign itself."""

    def forced_after_pieces(*pieces: str) -> str:
        calculator = _Calculator(tiny.tokenizer, rows=1)
        first = len(calculator.pieces)
        calculator.pieces = [*calculator.pieces, *pieces]  # as a tokenizer with these merges emits them
        for token in range(first, first + len(pieces)):
            calculator.observe(0, token)
        forced = []
        while (token := calculator.next_forced(0)) is not None:
            forced.append(token)
        return tiny.tokenizer.decode(forced)

    assert forced_after_pieces(" -", "12", " / 5", " =", " <<-") == "12/5=-2.4>>-2.4"
    assert forced_after_pieces(" <<", "-70/7", "=-") == "10>>-10"
    assert forced_after_pieces(" <<", "70/7", "=-") == ""  # a sign the result does not have: left alone


def test_the_calculator_reads_long_chains_and_gives_up_on_broken_ones_at_once(tiny):
    # The broken chain backtracked exponentially before the pattern's quantifiers were possessive.
    assert _forced_after(tiny, " " + "1 + " * 40 + "x = <<") == ""
    assert _forced_after(tiny, " " + "1 + " * 39 + "1 = <<") == "+".join(["1"] * 40) + "=40>>40"


def test_the_calculator_leaves_text_that_is_not_arithmetic_alone(tiny):
    calculator = _Calculator(tiny.tokenizer, rows=1)
    for token in tiny.tokenizer.encode(" <<x + y=", add_special_tokens=False):
        calculator.observe(0, token)
    assert calculator.next_forced(0) is None


def test_warping_matches_the_transformers_warpers():
    torch.manual_seed(0)
    logits = torch.randn(4, 50) * 3
    ours = warp_logits(logits, 0.8, 10, 0.7)
    theirs = TopPLogitsWarper(0.7)(
        None, TopKLogitsWarper(10)(None, TemperatureLogitsWarper(0.8)(None, logits))
    )
    assert torch.equal(torch.isinf(ours), torch.isinf(theirs))
    assert torch.allclose(ours[~torch.isinf(ours)], theirs[~torch.isinf(theirs)])


@pytest.mark.parametrize("top_p", [0.3, 0.9, 0.999])
def test_the_nucleus_is_the_same_whether_ranked_partially_or_fully(top_p):
    torch.manual_seed(1)
    logits = torch.randn(6, 2000) * 2
    assert torch.equal(
        _outside_nucleus(logits, top_p, first_try=16), _outside_nucleus(logits, top_p, first_try=2000)
    )


def test_the_sampler_draws_tokens_with_their_warped_probabilities_and_never_a_removed_one():
    rows = 20_000
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    scores = probs.log().expand(rows, -1).clone()
    sampler = _SampleAndRecord(SamplingConfig(top_k=3), end_id=99, calculator=None, rows=rows)
    torch.manual_seed(0)
    returned = sampler(torch.zeros((rows, 1), dtype=torch.long), scores)
    tokens = returned.argmax(dim=-1)
    frequencies = torch.bincount(tokens, minlength=4).float() / rows
    assert frequencies[3] == 0  # outside the top 3
    assert torch.allclose(frequencies[:3], probs[:3] / 0.95, atol=0.015)
    # Every row's log q is the warped log-probability of the token it drew.
    assert torch.allclose(sampler.total, (probs[tokens] / 0.95).log().double(), atol=1e-5)


def test_the_vocabulary_table_is_decoded_once_per_tokenizer(tiny):
    first = _Calculator(tiny.tokenizer, rows=1)
    assert _Calculator(tiny.tokenizer, rows=4).pieces is first.pieces
    assert first.pieces[tiny.end_token_id] == "<|end|>"


def test_the_same_seed_gives_the_same_samples(tiny):
    config = SamplingConfig(samples_per_prompt=2, max_new_tokens=16, top_p=0.95)
    first = sample_batch(tiny, PROMPTS, config, seed=11)
    assert sample_batch(tiny, PROMPTS, config, seed=11) == first
    assert sample_batch(tiny, PROMPTS, config, seed=12) != first


def test_propose_yields_lazily_one_candidate_per_sample_with_its_request(tiny):
    requests = [Request("exercise", "Mean", level) for level in (1, 2, 3)] * 3
    config = SamplingConfig(samples_per_prompt=2, prompts_per_batch=4, max_new_tokens=8)
    stream = propose(tiny, requests, config)
    first = next(stream)
    assert first.skill == "Mean" and first.kind == "exercise" and first.log_q < 0
    rest = list(stream)
    assert len(rest) + 1 == 18
    assert {c.context["level"] for c in rest} == {1, 2, 3}


def test_an_exercise_completion_parses_back_into_its_fields():
    request = Request("exercise", "Area Triangle", 1)
    text = exercise_completion(
        "A triangle has base 4 and height 3. Area?", "4 * 3 / 2 = <<4*3/2=6>>6.", "6", "Halve it."
    )
    candidate = parse_completion(request, text, log_q=-3.5)
    assert (candidate.text, candidate.answer, candidate.hint) == (
        "A triangle has base 4 and height 3. Area?",
        "6",
        "Halve it.",
    )
    assert candidate.solution == "4 * 3 / 2 = <<4*3/2=6>>6."
    assert candidate.context["well_formed"] and candidate.log_q == -3.5


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "<|end|>",
        "no tags at all",
        " x<|answer|>",
        " a<|solution|>b<|solution|>c<|answer|>1<|hint|>h<|end|>",
        "\x00<|pad|>",
    ],
)
def test_malformed_generations_become_candidates_that_are_not_well_formed(garbage):
    candidate = parse_completion(Request("exercise", "Mean", 2), garbage)
    assert candidate.context["well_formed"] is False
    assert candidate.context["parse_issues"]


def test_feedback_candidates_carry_the_exercise_and_the_wrong_answer():
    request = Request("feedback", "Mean", 1, "Find the mean of 2 and 4.", "3", "6")
    candidate = parse_completion(request, " That is the sum; divide by 2.<|end|>")
    assert candidate.kind == "feedback" and candidate.text == "That is the sum; divide by 2."
    assert candidate.context["wrong_answer"] == "6" and candidate.context["exercise"].startswith("Find")
    assert candidate.context["well_formed"]


def test_corpora_are_recognised_by_their_content(tmp_path):
    gsm = tmp_path / "g.jsonl"
    gsm.write_text(json.dumps({"question": "Q?", "answer": "2+2 = <<2+2=4>>4\n#### 4"}) + "\n")
    oat = tmp_path / "o.jsonl"
    record = {
        "problem_body": "Multiply:",
        "step_title": "$$4(x+3)$$",
        "step_body": "",
        "answers": ["$$4x+12$$"],
        "skills": ["multiply_a_polynomial"],
        "lesson": "6.3",
        "choices": None,
        "hints": [{"type": "hint", "text": "Distribute the 4."}],
    }
    oat.write_text(json.dumps(record) + "\n")
    (example,) = read_corpus(gsm)
    assert "<|answer|> 4<|hint|>" in example.completion and example.source == "gsm8k"
    (example,) = read_corpus(oat)
    assert "Multiply: 4(x+3)" in example.completion and "<|answer|> 4x+12" in example.completion
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"text": "hello"}\n')
    with pytest.raises(CorpusFormatError, match="line 1"):
        read_corpus(bad)


def test_distinct_n_counts_unique_ngrams_over_all_ngrams():
    assert distinct_n(["a b a b"], 1) == 0.5
    assert distinct_n(["a b c", "a b d"], 2) == 0.75
    assert distinct_n([""], 2) == 0.0


def test_perplexity_is_finite_and_above_one_on_held_out_items(tiny):
    value = perplexity(tiny, held_out_examples(1)[:10])
    assert 1.0 < value < len(tiny.tokenizer) * 10
