"""Importing DKVMN-format learning records (manage.py import_dkvmn)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tutoring.models import Classroom, LearningRecord, Profile, Skill
from tutoring.record_import import import_dkvmn

pytestmark = pytest.mark.django_db
ASSIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "assist2009"


def write(tmp_path: Path, text: str, name: str = "tiny_train.csv") -> Path:
    path = tmp_path / "tiny" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_records_are_imported_in_order_with_attempt_numbers(tmp_path):
    data = write(tmp_path, "3\n4,4,7\n0,1,1\n2\n7,4\n1,0\n")
    skills = write(tmp_path, "4\tAddition\n7\tSubtraction\n", "map.txt")
    summary = import_dkvmn(data, skills, classroom="Year 7")
    assert (summary.students_created, summary.records_created, summary.skills_created) == (2, 5, 2)
    first = Profile.objects.get(external_id="dkvmn:tiny_train:0").user
    rows = list(first.learning_records.order_by("position").values_list("skill__name", "correct", "attempt"))
    assert rows == [("Addition", False, 1), ("Addition", True, 2), ("Subtraction", True, 1)]
    assert Classroom.objects.get(name="Year 7").students.count() == 2


def test_rerunning_an_import_adds_nothing(tmp_path):
    data = write(tmp_path, "2\n1,2\n1,1\n")
    import_dkvmn(data)
    again = import_dkvmn(data)
    assert (again.students_created, again.students_skipped, again.records_created) == (0, 1, 0)
    assert LearningRecord.objects.count() == 2


def test_skill_ids_missing_from_the_map_get_a_name_that_says_so(tmp_path):
    import_dkvmn(write(tmp_path, "1\n9\n1\n"))
    assert Skill.objects.get(external_id="tiny:9").name == "tiny skill 9"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("2\n1,2\n1,1\n3\n1,2\n1,1,0\n", 5, "expected 3 skill ids, found 2"),
        ("2\n1,2\n1,2\n", 3, "responses must be 0 or 1"),
        ("2\n1,x\n1,0\n", 2, "skill ids must be integers"),
        ("two\n1,2\n1,0\n", 1, "the attempt count must be integers"),
        ("2\n1,2\n1,0\n1\n3\n", 5, "file ends inside"),
    ],
)
def test_a_malformed_line_aborts_naming_it_and_writes_nothing(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(CommandError) as failure:
        call_command("import_dkvmn", str(path))
    assert f"line {line}:" in str(failure.value) and message in str(failure.value)
    assert LearningRecord.objects.count() == 0 and Profile.objects.count() == 0 and Skill.objects.count() == 0


@pytest.mark.slow
def test_assistments_2009_train_split_imports_completely_and_once():
    data, names = ASSIST / "assist2009_updated_train.csv", ASSIST / "assist2009_updated_skill_mapping.txt"
    if not data.exists():
        pytest.skip(f"ASSISTments data not present at {data}")
    summary = import_dkvmn(data, names)
    assert (summary.students_created, summary.records_created) == (2921, 224218)
    assert Skill.objects.filter(external_id__startswith="assist2009:").count() == 110
    assert Skill.objects.filter(name="Equivalent Fractions").exists()
    again = import_dkvmn(data, names)
    assert (again.students_created, again.records_created) == (0, 0)
    assert LearningRecord.objects.count() == 224218


def test_reimporting_into_a_class_adds_the_students_an_earlier_import_created(tmp_path):
    data = write(tmp_path, "2\n1,2\n1,1\n1\n3\n0\n")
    import_dkvmn(data)
    again = import_dkvmn(data, classroom="Year 8")
    assert again.students_skipped == 2
    assert Classroom.objects.get(name="Year 8").students.count() == 2
    assert LearningRecord.objects.count() == 3
