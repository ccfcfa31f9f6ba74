"""Each built-in criterion on real examples (GSM8K problems, OATutor-style algebra, feedback)."""

import json
from pathlib import Path

import pytest

from edursft.criteria import REGISTRY, Candidate, CriteriaContext, Outcome, load_spec
from edursft.criteria.maths import estimate_p_correct
from edursft.sampling import run_sampling

GSM8K_TEST = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "gsm8k" / "test.jsonl"
JANET = 0  # Janet's ducks: 16 - 3 - 4 = 9 eggs, 9 * 2 = $18
ROBE = 1  # 2 bolts of blue fiber and half that much white


@pytest.fixture(scope="module")
def gsm8k() -> list[Candidate]:
    if not GSM8K_TEST.exists():
        pytest.skip(f"GSM8K not found at {GSM8K_TEST}")
    with GSM8K_TEST.open(encoding="utf-8") as lines:
        records = [json.loads(line) for _, line in zip(range(10), lines, strict=False)]
    return [
        Candidate(text=r["question"], answer=r["answer"].rsplit("####", 1)[1].strip(), solution=r["answer"])
        for r in records
    ]


def judge(
    name: str, candidates: list[Candidate], context: CriteriaContext | None = None, **params
) -> list[Outcome]:
    criterion = REGISTRY[name](**params)
    criterion.validate()
    return criterion.evaluate(candidates, context or CriteriaContext())


def _with(candidate: Candidate, **changes) -> Candidate:
    return Candidate(**{**candidate.to_dict(), **changes})


# answer_verified


def test_real_gsm8k_answers_with_their_solutions_verify(gsm8k: list[Candidate]) -> None:
    assert all(o.passed for o in judge("answer_verified", gsm8k[:5]))


def test_a_corrupted_gsm8k_step_fails_verification(gsm8k: list[Candidate]) -> None:
    janet = gsm8k[JANET]
    corrupted = _with(janet, solution=janet.solution.replace("<<16-3-4=9>>9", "<<16-3-4=8>>8"))
    (outcome,) = judge("answer_verified", [corrupted])
    assert not outcome.passed and "16-3-4=8" in outcome.reason


def test_a_wrong_gsm8k_answer_fails_verification(gsm8k: list[Candidate]) -> None:
    (outcome,) = judge("answer_verified", [_with(gsm8k[ROBE], answer="4")])
    assert not outcome.passed


def test_a_word_problem_without_a_worked_solution_cannot_be_checked(gsm8k: list[Candidate]) -> None:
    (outcome,) = judge("answer_verified", [_with(gsm8k[JANET], solution=None)])
    assert not outcome.passed and "cannot be checked" in outcome.reason


def test_algebra_answers_are_checked_with_sympy() -> None:
    exercises = [
        Candidate(text="Solve for x: $$2x+3=7$$", answer="$$x=2$$"),
        Candidate(text="Solve for x: $$2x+3=7$$", answer="$$x=3$$"),
        Candidate(text="Multiply: $$4\\left(x+3\\right)$$", answer="$$4x+12$$"),
        Candidate(text="What is 25% of 80?", answer="20"),
        Candidate(text="Evaluate 3/4 + 1/2.", answer="5/4"),
        Candidate(text="Evaluate 3/4 + 1/2.", answer="4/6"),
    ]
    assert [o.passed for o in judge("answer_verified", exercises)] == [True, False, True, True, True, False]


def test_an_exercise_without_an_answer_fails() -> None:
    (outcome,) = judge("answer_verified", [Candidate(text="Solve 2x = 4.")])
    assert not outcome.passed and outcome.reason == "no proposed answer"


# difficulty_band


def test_difficulty_comes_from_the_student_model_when_given(gsm8k: list[Candidate]) -> None:
    context = CriteriaContext(difficulty=lambda c: 0.7 if "ducks" in c.text else 0.3)
    outcomes = judge("difficulty_band", gsm8k[:2], context, low=0.6, high=0.85)
    assert [o.passed for o in outcomes] == [True, False]
    assert outcomes[0].score == 1.0 and outcomes[1].score == 0.0  # 0.3 is more than 0.25 below the band


def test_difficulty_from_the_candidate_context_is_used_next() -> None:
    (outcome,) = judge("difficulty_band", [Candidate(text="x", context={"p_correct": 0.95})])
    assert not outcome.passed and "0.95" in outcome.reason


def test_the_estimate_makes_more_steps_harder(gsm8k: list[Candidate]) -> None:
    one_step = Candidate(text="What is 7 + 5?", answer="12")
    assert estimate_p_correct(one_step) == pytest.approx(0.85, abs=0.01)
    many = max(gsm8k, key=lambda c: c.solution.count("<<"))
    assert estimate_p_correct(many) < estimate_p_correct(gsm8k[ROBE]) < estimate_p_correct(one_step)


# length, reading level, terms, unsafe content


def test_length_counts_words(gsm8k: list[Candidate]) -> None:
    outcomes = judge("length", [gsm8k[ROBE], gsm8k[JANET]], min_words=5, max_words=40)
    assert [o.passed for o in outcomes] == [True, False]
    assert 0 < outcomes[1].score < 1


def test_reading_level_bounds_the_grade(gsm8k: list[Candidate]) -> None:
    hard = Candidate(
        text="Determine the multiplicative inverse of the polynomial expression, considering the underlying "
        "algebraic structure and its associated characteristics."
    )
    outcomes = judge("reading_level", [gsm8k[ROBE], hard], max_grade=8.0)
    assert [o.passed for o in outcomes] == [True, False]


def test_required_terms_match_whole_words() -> None:
    texts = [Candidate(text="Find the sum of 3 and 4."), Candidate(text="In summer she swam 3 km.")]
    outcomes = judge("required_terms", texts, terms=["sum"])
    assert [o.passed for o in outcomes] == [True, False]
    partial = judge("required_terms", texts[:1], terms=["sum", "product"], match="any")[0]
    assert partial.passed and partial.score == 0.5


def test_banned_terms_are_found_in_hints_too(gsm8k: list[Candidate]) -> None:
    hinted = _with(gsm8k[ROBE], hint="Use a calculator.")
    outcomes = judge("banned_terms", [gsm8k[ROBE], hinted], terms=["calculator"])
    assert [o.passed for o in outcomes] == [True, False]


def test_unsafe_content_is_rejected_unless_allowed(gsm8k: list[Candidate]) -> None:
    unsafe = _with(gsm8k[JANET], text=gsm8k[JANET].text.replace("farmers' market", "casino"))
    assert [o.passed for o in judge("unsafe_content", [gsm8k[JANET], unsafe])] == [True, False]
    assert judge("unsafe_content", [unsafe], allow=["casino"])[0].passed


# skill relevance and novelty (sentence embeddings)


@pytest.mark.slow
def test_skill_relevance_prefers_the_target_skill(gsm8k: list[Candidate]) -> None:
    context = CriteriaContext(
        skill_descriptions={
            "money_word_problems": "Word problems about prices, earnings and money.",
            "factoring_quadratics": "Factor quadratic expressions such as x^2 + 5x + 6 into linear factors.",
        }
    )
    janet = gsm8k[JANET]
    on_topic, off_topic, no_skill = judge(
        "skill_relevance",
        [_with(janet, skill="money_word_problems"), _with(janet, skill="factoring_quadratics"), janet],
        context,
    )
    assert on_topic.passed and not off_topic.passed and on_topic.score > off_topic.score
    assert not no_skill.passed and no_skill.reason == "no target skill given"


@pytest.mark.slow
def test_novelty_catches_a_near_duplicate_of_the_bank(gsm8k: list[Candidate]) -> None:
    janet = gsm8k[JANET]
    renumbered = _with(janet, text=janet.text.replace("16 eggs", "18 eggs").replace("$2", "$3"))
    context = CriteriaContext(existing_texts=[c.text for c in gsm8k])
    copy, fresh = judge("novelty", [renumbered, Candidate(text="Solve for x: 5x - 2 = 13.")], context)
    assert not copy.passed and "near-duplicate" in copy.reason
    assert fresh.passed


@pytest.mark.slow
def test_novelty_catches_a_duplicate_of_an_earlier_accepted_sample(gsm8k: list[Candidate]) -> None:
    spec = load_spec({"mode": "threshold", "threshold": 0, "criteria": [{"name": "novelty", "hard": True}]})
    proposals = [gsm8k[JANET], gsm8k[ROBE], _with(gsm8k[JANET], text=gsm8k[JANET].text + " ")]
    run = run_sampling(proposals, spec, n_accept=3)
    assert [d.accepted for d in run.decisions] == [True, True, False]
    assert "accepted sample #1" in run.decisions[2].outcomes["novelty"].reason


# feedback


EXERCISE = "Maya buys 4 notebooks at $3 each and pays with a $20 bill. How much change does she get?"


def _feedback(text: str, wrong: str = "9", **extra) -> Candidate:
    context = {"exercise": EXERCISE, "correct_answer": "8", "wrong_answer": wrong, **extra}
    return Candidate(text=text, kind="feedback", context=context)


def test_feedback_that_gives_the_answer_away_fails() -> None:
    outcomes = judge(
        "no_answer_reveal",
        [
            _feedback("You wrote 9: check 20 - 12 again."),
            _feedback("She gets $8.00 back."),
            _feedback("The answer is twenty minus twelve."),
            _feedback("Start from the $20 she paid and the 4 notebooks."),
        ],
    )
    assert [o.passed for o in outcomes] == [True, False, False, True]


def test_feedback_must_refer_to_the_students_mistake() -> None:
    outcomes = judge(
        "addresses_mistake",
        [
            _feedback("You wrote 9: check the subtraction again."),
            _feedback("Good try! Keep going."),
            _feedback(
                "You found what the notebooks cost; the question asks for the change from $20.",
                wrong="12",
                mistake="gave the cost of the notebooks instead of the change",
            ),
        ],
    )
    assert [o.passed for o in outcomes] == [True, False, True]
    assert "'9'" in outcomes[1].reason


def test_feedback_length_bounds_feedback() -> None:
    outcomes = judge(
        "feedback_length", [_feedback("Check 20 - 12."), _feedback("You wrote 9: check 20 - 12.")]
    )
    assert [o.passed for o in outcomes] == [False, True]


# speed-ups leave the decisions alone


@pytest.mark.slow
def test_batching_and_skipping_after_a_hard_failure_do_not_change_decisions(gsm8k: list[Candidate]) -> None:
    from edursft import embedding

    skills = ["money_word_problems", "rates_and_time"]
    proposals = [
        _with(c, skill=skills[i % 2], answer=str(int(c.answer) + 1) if i % 3 == 2 else c.answer)
        for i, c in enumerate(gsm8k[:8])
    ]
    context = CriteriaContext(
        skill_descriptions={skills[0]: "Prices, costs and change.", skills[1]: "Speed, time and rates."},
        existing_texts=[c.text for c in gsm8k[8:]],
    )
    criteria = [
        {"name": "answer_verified", "hard": True},
        {"name": "novelty", "hard": True},
        {"name": "skill_relevance", "weight": 1.0, "params": {"min_similarity": 0.2}},
        {"name": "difficulty_band", "weight": 1.0},
        {"name": "reading_level", "weight": 0.5},
    ]
    runs = []
    for batch_size, evaluate_all in ((32, False), (1, True)):
        embedding.clear_cache(c.text for c in proposals)
        spec = load_spec(
            {"mode": "exact", "beta": 0.5, "budget": 8, "n_accept": 8, "batch_size": batch_size}
            | {"criteria": criteria}
        )
        runs.append(run_sampling(proposals, spec, context=context, seed=3, evaluate_all=evaluate_all))
    batched, single = runs
    assert not all(d.hard_passed for d in batched.decisions)  # something was skipped
    for fast, full in zip(batched.decisions, single.decisions, strict=True):
        assert (fast.accepted, fast.hard_passed) == (full.accepted, full.hard_passed)
        assert fast.acceptance_prob == pytest.approx(full.acceptance_prob, abs=1e-6)
        for label, outcome in fast.outcomes.items():
            assert outcome.passed == full.outcomes[label].passed
            assert outcome.score == pytest.approx(full.outcomes[label].score, abs=1e-6)
