"""RSFT rounds: reproducible with a seed, resumable, pooled and curated."""

import json

import pytest

from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.registry import REGISTRY
from edursft.generation.finetune import FinetuneConfig
from edursft.generation.pretrain import preset_config, pretrain
from edursft.generation.rounds import (
    RsftConfig,
    RsftRun,
    best_first,
    curate,
    original_documents,
    phrasing,
    requests_for,
    run_rsft,
)
from edursft.generation.sampling import SamplingConfig

# Soft-only criteria that a tiny, barely trained model can satisfy, so rounds have data.
SPEC = {
    "kind": "exercise",
    "mode": "exact",
    "beta": 1.0,
    "criteria": [{"name": "length", "weight": 1.0, "params": {"min_words": 1, "max_words": 400}}],
}


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    return pretrain(preset_config("tiny", out=tmp_path_factory.mktemp("rsft") / "base"))


@pytest.fixture(scope="module")
def criteria_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "criteria.json"
    path.write_text(json.dumps(SPEC))
    return path


def _config(base_dir, criteria_file, out, **overrides):
    settings = {
        "rounds": 1,
        "prompts_per_round": 6,
        "eval_prompts": 4,
        "perplexity_items": 8,
        "sampling": SamplingConfig(samples_per_prompt=2, prompts_per_batch=6, max_new_tokens=12),
        "finetune": FinetuneConfig(epochs=1, batch_size=8),
    }
    return RsftConfig(model=base_dir, criteria=criteria_file, out=out, **{**settings, **overrides})


def _without_time(reports):
    return [
        {k: v for k, v in vars(r).items() if k not in ("wall_seconds", "model", "sampling_stats")}
        for r in reports
    ]


def _accepted(out):
    return (out / "round_1" / "accepted.jsonl").read_text()


def test_rounds_are_reproducible_with_a_seed(base_dir, criteria_file, tmp_path):
    first = run_rsft(_config(base_dir, criteria_file, tmp_path / "a"))
    second = run_rsft(_config(base_dir, criteria_file, tmp_path / "b"))
    assert _without_time(first) == _without_time(second)
    assert _accepted(tmp_path / "a") == _accepted(tmp_path / "b")
    assert [r.round for r in first] == [0, 1]
    assert first[1].proposals == 4 * 2 and first[1].accepted_train > 0


def test_a_different_seed_gives_different_round_outputs(base_dir, criteria_file, tmp_path):
    run_rsft(_config(base_dir, criteria_file, tmp_path / "a"))
    run_rsft(_config(base_dir, criteria_file, tmp_path / "b", seed=1))
    assert _accepted(tmp_path / "a") != _accepted(tmp_path / "b")


def test_an_interrupted_round_resumes_at_its_first_unfinished_stage(base_dir, criteria_file, tmp_path):
    out = tmp_path / "run"
    config = _config(base_dir, criteria_file, out)
    run_rsft(config)
    state_path = out / "round_1" / "state.json"
    state = json.loads(state_path.read_text())
    assert state["done"] == ["sample", "finetune", "evaluate"]
    # Interrupted after fine-tuning: evaluation not yet written.
    state["done"].remove("evaluate")
    state_path.write_text(json.dumps(state))
    (out / "round_1" / "evaluation.json").unlink()
    proposals_written = (out / "round_1" / "proposals.jsonl").stat().st_mtime_ns
    model_written = (out / "round_1" / "model" / "config.json").stat().st_mtime_ns
    reports = run_rsft(config)
    assert (out / "round_1" / "proposals.jsonl").stat().st_mtime_ns == proposals_written
    assert (out / "round_1" / "model" / "config.json").stat().st_mtime_ns == model_written
    assert json.loads(state_path.read_text())["done"] == ["sample", "finetune", "evaluate"]
    assert reports[1].round == 1


def test_later_rounds_pool_the_accepted_samples_of_all_rounds(base_dir, criteria_file, tmp_path):
    config = _config(
        base_dir,
        criteria_file,
        tmp_path / "run",
        rounds=2,
        max_per_prompt=100,
        near_duplicate=1.0,
        max_per_phrasing=0,
    )
    run_rsft(config)
    run = RsftRun(config)
    per_round = [len(_accepted_lines(tmp_path / "run", k)) for k in (1, 2)]
    assert len(run.pool(2)) == sum(per_round)
    metadata = json.loads((tmp_path / "run" / "round_2" / "model" / "edursft.json").read_text())
    assert metadata["data"]["rounds_pooled"] == [1, 2]
    assert metadata["parent"] == str(base_dir)  # restart from the base model is the default


def _accepted_lines(out, k):
    return [line for line in (out / f"round_{k}" / "accepted.jsonl").read_text().splitlines() if line]


def test_curation_caps_samples_per_prompt_and_drops_near_duplicates():
    def make(text, prompt):
        return Candidate(text=text, answer="1", skill="Mean", prompt_id=prompt)

    pool = [
        make("Find the mean of 2, 4 and 6 today.", "p1"),
        make("Find the mean of 2, 4 and 6 today!", "p2"),  # one bigram differs: similarity 7/9, kept
        make("find the mean of 2, 4 and 6 today.", "p3"),  # the first one again, up to case: dropped
        make("A bag has 3 red and 5 blue marbles.", "p1"),
        make("Ben has 7 books and buys 4 more.", "p1"),
    ]
    kept = curate(pool, max_per_prompt=2, near_duplicate=0.8)
    texts = [c.text for c in kept]
    assert "find the mean of 2, 4 and 6 today." not in texts
    assert "Find the mean of 2, 4 and 6 today!" in texts
    assert sum(c.prompt_id == "p1" for c in kept) == 2
    assert "Ben has 7 books and buys 4 more." not in texts


def test_curation_caps_each_phrasing_per_skill_whatever_its_numbers():
    def make(text, skill="Mean", prompt="p1"):
        return Candidate(text=text, answer="1", skill=skill, prompt_id=prompt)

    pool = [
        make("Find the mean of 2, 4 and 6."),
        make("Find the mean of 13, 8 and 21."),
        make("Find the mean of 3.5, 7 and 100."),  # the third draw of one phrasing: dropped
        make("Find the mean of 5, 9 and 1.", skill="Median"),  # another skill has its own cap
        make("Ava scored 7, 9 and 8 on three quizzes. What is her mean score?"),
    ]
    kept = [c.text for c in curate(pool, max_per_prompt=10, near_duplicate=0.8, max_per_phrasing=2)]
    assert kept == [pool[i].text for i in (0, 1, 3, 4)]
    assert len(curate(pool, max_per_prompt=10, near_duplicate=0.8)) == 5  # no cap: numbers make them differ
    assert phrasing("Find the mean of 3.5, 7 and 100.") == "Find the mean of #, # and #."


def test_the_pool_keeps_the_best_samples_of_all_rounds_when_the_cap_binds():
    def make(text, reward, k, log_q):
        return Candidate(
            text=text,
            answer="1",
            skill="Mean",
            prompt_id="p1",
            log_q=log_q,
            context={"reward": reward, "round": k},
        )

    pool = [
        make("Ann reads 4 pages a day for 3 days.", 0.6, 1, -30.0),
        make("Find the mean of 2, 4 and 6.", 1.0, 1, -4.0),
        make("A tank holds 12 litres and leaks 2 each hour.", 0.9, 2, -20.0),
        make("Sam has 5 apples and eats 2 of them.", 1.0, 3, -12.0),
    ]
    kept = [c.text for c in curate(best_first(pool), max_per_prompt=3, near_duplicate=0.8)]
    # Full reward first, the less likely of those first; the 0.6 of round 1 gives way.
    assert kept == [pool[3].text, pool[1].text, pool[2].text]


def test_accepted_samples_carry_their_reward_and_round(base_dir, criteria_file, tmp_path):
    run = RsftRun(_config(base_dir, criteria_file, tmp_path / "run"))
    run.run_round(0)
    run.run_round(1)
    rows = [json.loads(line) for line in _accepted_lines(tmp_path / "run", 1)]
    assert rows, "the test criteria accept some proposals"
    assert all(row["context"]["round"] == 1 and 0.0 <= row["context"]["reward"] <= 1.0 for row in rows)


def test_training_proposals_can_be_drawn_hotter_than_the_evaluation(base_dir, criteria_file, tmp_path):
    runs = {}
    for name, temperature in (("same", None), ("hot", 1.7)):
        run = RsftRun(_config(base_dir, criteria_file, tmp_path / name, proposal_temperature=temperature))
        run.run_round(0)
        run.run_round(1)
        runs[name] = run

    def read(name, k, file):
        return (runs[name].round_dir(k) / file).read_text()

    def evaluation(name):
        figures = json.loads(read(name, 0, "evaluation.json"))
        return {k: v for k, v in figures.items() if k != "sampling_stats"}  # which holds timings

    assert read("hot", 1, "proposals.jsonl") != read("same", 1, "proposals.jsonl")
    assert evaluation("hot") == evaluation("same")


def test_prompts_short_of_accepted_samples_are_proposed_again(base_dir, criteria_file, tmp_path):
    run = RsftRun(_config(base_dir, criteria_file, tmp_path / "dart", resample_hard=3, max_per_prompt=4))
    run.run_round(1)
    proposals = (run.round_dir(1) / "proposals.jsonl").read_text().splitlines()
    accepted = _accepted(tmp_path / "dart").splitlines()
    stats = json.loads((run.round_dir(1) / "sampling.json").read_text())
    # Two samples per prompt can never reach four accepted: all six prompts are drawn again.
    assert stats["hard_prompts"]["prompts"] == 6
    assert len(proposals) == 6 * 2 + 6 * 3
    assert stats["first_pass"]["accepted"] + stats["hard_prompts"]["accepted"] == len(accepted)
    first_ids = {json.loads(line)["prompt_id"] for line in proposals[:12]}
    assert {json.loads(line)["prompt_id"] for line in proposals[12:]} == first_ids


def test_requests_cover_every_seed_skill_and_level():
    requests = requests_for("exercise", 159, seed=3)
    assert len({(r.skill, r.level) for r in requests}) == 159
    feedback = requests_for("feedback", 10, seed=3)
    assert all(
        r.kind == "feedback" and r.wrong_answer and r.wrong_answer != r.correct_answer for r in feedback
    )


def test_fresh_original_documents_are_new_draws_of_the_same_templates_each_round(tmp_path):
    kept = RsftConfig(model=tmp_path, criteria=tmp_path / "c.json", out=tmp_path, fresh_original=False)
    fresh = RsftConfig(model=tmp_path, criteria=tmp_path / "c.json", out=tmp_path)
    pretrained = original_documents(kept, 1, 10)
    assert original_documents(kept, 2, 10) == pretrained
    one, two = original_documents(fresh, 1, 10), original_documents(fresh, 2, 10)
    assert [e.prompt for e in one] == [e.prompt for e in two] == [e.prompt for e in pretrained]
    differ = sum(a.completion != b.completion for a, b in zip(one, two, strict=True))
    assert differ > 0.8 * len(one)
    assert sum(a.completion != b.completion for a, b in zip(one, pretrained, strict=True)) > 0.8 * len(one)


def test_the_original_mix_draws_as_many_documents_as_it_asks_for(tmp_path):
    config = RsftConfig(model=tmp_path, criteria=tmp_path / "c.json", out=tmp_path)
    few, many = original_documents(config, 1, 10), original_documents(config, 1, 5000)
    assert len(many) >= 5000 > len(few)
    assert len({e.completion for e in many}) > 0.8 * len(many)  # small templates repeat at level 1


def test_feedback_rounds_use_the_same_machinery(base_dir, tmp_path):
    spec = tmp_path / "feedback.json"
    spec.write_text(
        json.dumps(
            {
                "kind": "feedback",
                "mode": "exact",
                "beta": 1.0,
                "criteria": [
                    {"name": "feedback_length", "weight": 1.0, "params": {"min_words": 1, "max_words": 400}}
                ],
            }
        )
    )
    reports = run_rsft(_config(base_dir, spec, tmp_path / "run", kind="feedback"))
    assert reports[1].verified_rate is None  # answers are verified for exercises only
    accepted = [json.loads(line) for line in _accepted_lines(tmp_path / "run", 1)]
    assert accepted and all(c["kind"] == "feedback" and c["context"]["wrong_answer"] for c in accepted)


def test_evaluation_breaks_its_figures_down_by_skill_and_keeps_the_proposals(
    base_dir, criteria_file, tmp_path
):
    run = RsftRun(_config(base_dir, criteria_file, tmp_path / "run", eval_prompts=10))
    run.run_round(0)
    figures = json.loads((run.round_dir(0) / "evaluation.json").read_text())
    saved = (run.round_dir(0) / "evaluation_proposals.jsonl").read_text().splitlines()
    candidates = [Candidate.from_dict(json.loads(line)) for line in saved]
    assert len(candidates) == figures["proposals"] == 10 * 2
    verified = REGISTRY["answer_verified"]().evaluate(candidates, CriteriaContext())
    table = figures["per_skill"]
    assert sum(row["proposals"] for row in table.values()) == len(candidates)
    for skill, row in table.items():
        mine = [i for i, c in enumerate(candidates) if c.skill == skill]
        assert row["proposals"] == len(mine)
        assert row["acceptance_rate"] == round(
            sum(candidates[i].context["accepted"] for i in mine) / len(mine), 4
        )
        assert row["verified_rate"] == round(sum(verified[i].passed for i in mine) / len(mine), 4)
    rates = [row["acceptance_rate"] for row in table.values()]
    assert rates == sorted(rates)  # weakest skill first
    accepted = sum(c.context["accepted"] for c in candidates)
    assert accepted / len(candidates) == pytest.approx(figures["acceptance_rate"])
