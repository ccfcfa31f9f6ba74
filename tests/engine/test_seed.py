"""The project's own seed content: coverage, reproducibility and correct answers."""

from pathlib import Path

import pytest

from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.maths import AnswerVerified
from edursft.criteria.semantic import SkillRelevance
from edursft.criteria.spec import load_spec
from edursft.datasets.dkvmn import read_skill_map
from edursft.seed import LEVELS, expand_seed, feedback_examples, seed_skill_descriptions, seed_skills

EXAMPLE_CRITERIA = Path(__file__).resolve().parents[2] / "examples/criteria/exercise.json"
SKILL_MAP = (
    Path(__file__).resolve().parents[2] / "../shared/data/assist2009/assist2009_updated_skill_mapping.txt"
)


@pytest.fixture(scope="module")
def exercises():
    return expand_seed(per_template=4, seed=0)


def test_seed_covers_at_least_25_assistments_skills():
    assert len(seed_skills()) >= 25


@pytest.mark.skipif(not SKILL_MAP.exists(), reason="shared ASSISTments data not present")
def test_seed_skill_names_match_the_assistments_mapping():
    names = read_skill_map(SKILL_MAP)
    for skill_id, name in seed_skills().items():
        assert names[skill_id] == name


def test_every_seed_skill_has_a_description_that_brings_its_exercises_closer(exercises):
    descriptions = seed_skill_descriptions()
    assert set(descriptions) == set(seed_skills().values())
    assert all(len(text.split()) >= 5 for text in descriptions.values())
    candidates = [Candidate(text=e.problem, skill=e.skill) for e in exercises]
    relevance = SkillRelevance(min_similarity=0.2, full_score_at=0.5)

    def mean_score(context: CriteriaContext) -> float:
        return sum(o.score for o in relevance.evaluate(candidates, context)) / len(candidates)

    by_name = mean_score(CriteriaContext())
    described = mean_score(CriteriaContext(skill_descriptions=descriptions))
    assert described > by_name + 0.02


def test_expansion_is_reproducible_and_seed_dependent(exercises):
    assert expand_seed(per_template=4, seed=0) == exercises
    assert expand_seed(per_template=4, seed=1) != exercises


def test_every_skill_has_every_level(exercises):
    pairs = {(ex.skill_id, ex.level) for ex in exercises}
    assert pairs == {(skill, level) for skill in seed_skills() for level in LEVELS}


def test_every_authored_answer_is_verified_from_its_own_problem():
    """Fractions included (the division template once ended in words, so no step gave its
    answer), and grounded: the authored content is what the generator learns to write."""
    exercises = expand_seed(per_template=20, seed=0)
    candidates = [
        Candidate(ex.problem, ex.answer, ex.skill, solution=ex.solution, hint=ex.hint) for ex in exercises
    ]
    outcomes = AnswerVerified().evaluate(candidates, CriteriaContext())
    assert [(c.text, o.reason) for c, o in zip(candidates, outcomes, strict=True) if not o.passed] == []


def test_feedback_examples_never_give_the_right_answer_as_the_mistake(exercises):
    examples = feedback_examples(exercises)
    assert len(examples) >= len(exercises)
    assert all(fb.wrong_answer != fb.exercise.answer and fb.feedback for fb in examples)


def test_every_authored_problem_passes_the_shipped_criteria_on_its_text():
    """The example criteria teachers start from reject a problem of fewer than 4 words;
    "Evaluate 3^2." was one, so every generated exponent exercise was rejected."""
    spec = load_spec(EXAMPLE_CRITERIA)
    textual = [c for c in spec.criteria if c.hard and c.name in {"length", "banned_terms", "unsafe_content"}]
    assert {c.name for c in textual} == {"length", "banned_terms", "unsafe_content"}
    exercises = expand_seed(per_template=5, seed=0)
    candidates = [Candidate(ex.problem, ex.answer, ex.skill, solution=ex.solution) for ex in exercises]
    for criterion in textual:
        outcomes = criterion.build().evaluate(candidates, CriteriaContext())
        failed = [(c.text, o.reason) for c, o in zip(candidates, outcomes, strict=True) if not o.passed]
        assert failed == [], criterion.name
