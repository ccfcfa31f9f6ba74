"""Importing OATutor and GSM8K into the item bank: skills, answers, hints, license; idempotent."""

from __future__ import annotations

import gzip
import json
from itertools import islice
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tutoring.item_import import ItemImportError, import_items
from tutoring.learning import is_correct
from tutoring.models import Item, Skill

pytestmark = pytest.mark.django_db

DATA = Path(settings.EDURSFT_DATA_DIR)
OATUTOR = DATA / "oatutor-math" / "items.jsonl.gz"
GSM8K_TEST = DATA / "gsm8k" / "test.jsonl"


def _sample(source: Path, target: Path, n: int) -> Path:
    """The first ``n`` lines of a real corpus file (read from the shared data, never copied into git)."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as handle:
        lines = list(islice(handle, n))
    with (gzip.open if target.suffix == ".gz" else open)(target, "wt", encoding="utf-8") as out:
        out.writelines(lines)
    return target


@pytest.fixture
def oatutor(tmp_path):
    if not OATUTOR.exists():
        pytest.skip("OATutor data not available")
    return _sample(OATUTOR, tmp_path / "items.jsonl.gz", 40)


@pytest.fixture
def gsm8k(tmp_path):
    if not GSM8K_TEST.exists():
        pytest.skip("GSM8K data not available")
    return _sample(GSM8K_TEST, tmp_path / "test.jsonl", 25)


def test_oatutor_items_arrive_with_skills_answers_hints_and_scaffolds(oatutor):
    summary = import_items(oatutor, "oatutor")
    assert summary.created == 40
    item = Item.objects.get(source_ref="oatutor:a012999exa1a")
    assert item.answer == "$$4x+12$$" and item.answer_type == "math"
    assert [s.external_id for s in item.skills.all()] == ["oatutor:multiply_a_polynomial_by_a_monomial"]
    assert [h["type"] for h in item.hints] == ["hint", "scaffold", "scaffold", "hint"]
    assert item.hints[1]["answer"] == "$$4x$$"
    assert item.status == Item.Status.APPROVED and item.source == Item.Source.IMPORTED


def test_oatutor_items_carry_the_cc_by_attribution(oatutor):
    import_items(oatutor, "oatutor")
    item = Item.objects.get(source_ref="oatutor:a012999exa1a")
    assert "CC BY 4.0" in item.license
    assert "OATutor" in item.attribution and "OpenStax" in item.attribution


def test_oatutor_latex_answers_are_checked_by_parsing_not_string_equality(oatutor):
    import_items(oatutor, "oatutor")
    item = Item.objects.get(source_ref="oatutor:a012999exa1a")
    assert is_correct(item, "12 + 4x")
    assert not is_correct(item, "4x+3")


def test_importing_the_same_file_twice_adds_nothing(oatutor):
    import_items(oatutor, "oatutor")
    skills = Skill.objects.count()
    again = import_items(oatutor, "oatutor")
    assert (again.created, again.skipped) == (0, 40)
    assert Item.objects.count() == 40 and Skill.objects.count() == skills


def test_gsm8k_items_have_the_final_answer_and_the_steps_as_hints(gsm8k):
    import_items(gsm8k, "gsm8k")
    item = Item.objects.get(source_ref="gsm8k:test:1")
    first = json.loads(GSM8K_TEST.open().readline())
    assert item.text == first["question"]
    assert item.answer == first["answer"].rsplit("####", 1)[1].strip()
    assert item.hints and all("<<" not in h["text"] for h in item.hints)
    assert item.license == "MIT" and "OpenAI" in item.attribution
    assert [s.name for s in item.skills.all()] == ["Multi-step Word Problems"]


def test_a_malformed_line_is_named_and_nothing_is_written(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = {"question": "What is 2 + 2?", "answer": "2 + 2 = <<2+2=4>>4\n#### 4"}
    path.write_text(
        json.dumps(good) + "\n" + json.dumps({"question": "No answer line", "answer": "4"}) + "\n"
    )
    with pytest.raises(ItemImportError) as raised:
        import_items(path, "gsm8k")
    assert raised.value.line == 2
    assert Item.objects.count() == 0


def test_a_line_that_is_not_json_is_named(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"question": "x", "answer": "#### 1"}\n{not json\n')
    with pytest.raises(ItemImportError, match="line 2"):
        import_items(path, "gsm8k")


def test_the_command_reports_counts_and_refuses_bad_files(oatutor, tmp_path, capsys):
    call_command("import_items", "--format", "oatutor", str(oatutor))
    assert "items created 40" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2]\n")
    with pytest.raises(CommandError, match="line 1"):
        call_command("import_items", "--format", "oatutor", str(bad))


def _oatutor_record(ident: str = "q1", **changes) -> dict:
    record = {
        "id": ident,
        "problem_type": "TextBox",
        "answer_type": "arithmetic",
        "problem_title": "Add",
        "lesson": "Sums",
        "problem_body": "What is 2 + 3?",
        "answers": ["$$5$$"],
        "skills": ["addition"],
        "hints": [{"type": "hint", "text": "Count on from 2."}],
    }
    return {**record, **changes}


def _write(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_an_id_repeated_in_the_file_names_both_lines_and_writes_nothing(tmp_path):
    path = _write(
        tmp_path / "items.jsonl", _oatutor_record("q1"), _oatutor_record("q2"), _oatutor_record("q1")
    )
    with pytest.raises(ItemImportError, match="line 3: id 'oatutor:q1' already appears on line 1"):
        import_items(path, "oatutor")
    assert Item.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"answers": []}, "field 'answers' is empty"),
        ({"skills": "addition"}, "field 'skills' must be a list of strs"),
        ({"hints": ["Count on from 2."]}, "each entry of 'hints' must be an object"),
    ],
    ids=["no answer", "skills as text", "hint as text"],
)
def test_a_malformed_oatutor_field_is_named_with_its_line(tmp_path, change, message):
    path = _write(tmp_path / "items.jsonl", _oatutor_record("q1"), _oatutor_record("q2", **change))
    with pytest.raises(ItemImportError, match=f"line 2: {message}"):
        import_items(path, "oatutor")
    assert Item.objects.count() == 0
