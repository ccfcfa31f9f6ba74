"""Criteria files: valid ones load, invalid ones are rejected with the offending field named."""

import json
from pathlib import Path

import pytest

from edursft.criteria import REGISTRY, SpecError, load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "criteria"


def _base(**overrides: object) -> dict:
    return {
        "mode": "exact",
        "beta": 0.5,
        "budget": 100,
        "n_accept": 10,
        "criteria": [
            {"name": "answer_verified", "hard": True},
            {"name": "length", "weight": 1.0, "params": {"min_words": 3, "max_words": 50}},
        ],
        **overrides,
    }


@pytest.mark.parametrize("name", ["exercise.json", "feedback.json"])
def test_example_criteria_files_load(name: str) -> None:
    spec = load_spec(EXAMPLES / name)
    assert spec.criteria and spec.r_max > 0


def test_json_text_dict_and_path_give_the_same_spec(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_base()))
    assert load_spec(_base()) == load_spec(json.dumps(_base())) == load_spec(path) == load_spec(str(path))


def test_r_max_is_the_sum_of_soft_weights() -> None:
    spec = load_spec(_base(criteria=[{"name": "length", "weight": 1.5}, {"name": "novelty", "weight": 0.5}]))
    assert spec.r_max == 2.0


def test_every_builtin_criterion_is_registered() -> None:
    expected = {
        "skill_relevance", "answer_verified", "difficulty_band", "length", "reading_level",
        "required_terms", "banned_terms", "unsafe_content", "novelty", "no_answer_reveal",
        "addresses_mistake", "feedback_length",
    }  # fmt: skip
    assert expected <= set(REGISTRY)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"beta": 0}, "beta"),
        ({"beta": "warm"}, "beta"),
        ({"mode": "greedy"}, "mode"),
        ({"budget": 0}, "budget"),
        ({"budget": 2.5}, "budget"),
        ({"n_accept": 1000}, "n_accept"),
        ({"criteria": []}, "criteria"),
        ({"colour": "red"}, "colour"),
        ({"kind": "essay"}, "kind"),
        ({"threshold": 1.0}, "threshold"),
        ({"mode": "threshold"}, "threshold"),
        ({"mode": "threshold", "threshold": 5.0}, "threshold"),
        ({"mode": "best_of_n", "best_of_n": {"n": 4, "k": 5}}, "best_of_n.k"),
        ({"beta": 0.001}, "beta"),
        ({"criteria": [{"name": "spelling", "hard": True}]}, "criteria[0].name"),
        ({"criteria": [{"name": "length"}]}, "criteria[0].weight"),
        ({"criteria": [{"name": "length", "hard": True, "weight": 1}]}, "criteria[0].weight"),
        ({"criteria": [{"name": "length", "weight": -1}]}, "criteria[0].weight"),
        ({"criteria": [{"name": "length", "hard": "yes"}]}, "criteria[0].hard"),
        (
            {"criteria": [{"name": "length", "hard": True, "params": {"max_wrods": 5}}]},
            "criteria[0].params.max_wrods",
        ),
        (
            {"criteria": [{"name": "length", "hard": True, "params": {"max_words": "ten"}}]},
            "criteria[0].params.max_words",
        ),
        (
            {"criteria": [{"name": "length", "hard": True, "params": {"min_words": 9, "max_words": 5}}]},
            "criteria[0].params.max_words",
        ),
        ({"criteria": [{"name": "banned_terms", "hard": True}]}, "criteria[0].params.terms"),
        (
            {"criteria": [{"name": "difficulty_band", "weight": 1, "params": {"low": 1.5}}]},
            "criteria[0].params.low",
        ),
        ({"criteria": [{"name": "no_answer_reveal", "hard": True}]}, "criteria[0].name"),
    ],
)
def test_invalid_specs_name_the_field(change: dict, field: str) -> None:
    with pytest.raises(SpecError) as raised:
        load_spec(_base(**change))
    assert raised.value.field == field
    assert str(raised.value).startswith(field)


def test_broken_json_is_reported_with_its_position() -> None:
    with pytest.raises(SpecError) as raised:
        load_spec('{"mode": "exact",, }')
    assert raised.value.field == ""
    assert "line 1" in raised.value.message


def test_a_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "absent.json")


def test_a_criterion_used_twice_gets_distinct_labels() -> None:
    spec = load_spec(
        _base(
            criteria=[
                {"name": "required_terms", "weight": 1, "params": {"terms": ["total"]}},
                {"name": "required_terms", "weight": 1, "params": {"terms": ["each"]}},
            ]
        )
    )
    assert [c.label for c in spec.criteria] == ["required_terms", "required_terms#2"]


def test_to_dict_round_trips() -> None:
    spec = load_spec(_base(mode="best_of_n", best_of_n={"n": 6, "k": 2}))
    assert load_spec(spec.to_dict()) == spec
