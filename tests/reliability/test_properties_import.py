"""Property-based tests of the importers' readers: the DKVMN reader and
importer and the item corpus reader. Random or hostile input gets the reader's
own error naming a real line, never a crash; well-formed input survives a round
trip, and a failed import writes nothing."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edursft.datasets.dkvmn import DkvmnFormatError, parse_dkvmn, read_skill_map
from tutoring.item_import import ItemImportError, parse_corpus
from tutoring.models import LearningRecord, Profile
from tutoring.record_import import import_dkvmn

FAST = settings(max_examples=60, deadline=None)
sequences = st.lists(
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 1)), min_size=1, max_size=30),
    min_size=1,
    max_size=8,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def dkvmn_lines(students: list[list[tuple[int, int]]]) -> list[str]:
    lines = []
    for attempts in students:
        lines += [
            f"{len(attempts)}\n",
            ",".join(str(s) for s, _ in attempts) + "\n",
            ",".join(str(r) for _, r in attempts) + "\n",
        ]
    return lines


@FAST
@given(sequences)
def test_dkvmn_reader_reads_back_what_was_written(students):
    parsed = list(parse_dkvmn(dkvmn_lines(students)))
    assert [list(zip(p.skills.tolist(), p.responses.tolist(), strict=True)) for p in parsed] == students


@FAST
@given(st.lists(st.text(alphabet="0123456789,-. \tx", max_size=12), max_size=12))
def test_dkvmn_reader_rejects_garbage_with_its_own_error_naming_a_real_line(lines):
    try:
        list(parse_dkvmn([line + "\n" for line in lines]))
    except DkvmnFormatError as error:
        assert 1 <= error.line <= len(lines)


@FAST
@given(sequences, st.integers(0, 2), st.sampled_from(["x", "2", "-1"]))
def test_one_corrupted_line_is_reported_on_that_line(students, which, junk):
    lines = dkvmn_lines(students)
    line = 3 * (len(students) - 1) + which  # a line of the last student's block
    lines[line] = lines[line].rstrip("\n") + ("," if lines[line].strip() else "") + junk + "\n"
    with pytest.raises(DkvmnFormatError) as raised:
        list(parse_dkvmn(lines))
    assert raised.value.line == line + 1


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences, st.booleans())
def test_import_stores_every_attempt_once_or_nothing_at_all(students, corrupt):
    records_before, profiles_before = LearningRecord.objects.count(), Profile.objects.count()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{uuid.uuid4().hex}.csv"
        lines = dkvmn_lines(students) + (["2\n", "1,2\n", "1,7\n"] if corrupt else [])
        path.write_text("".join(lines))
        if corrupt:
            with pytest.raises(DkvmnFormatError):
                import_dkvmn(path, dataset="prop")
            assert (LearningRecord.objects.count(), Profile.objects.count()) == (
                records_before,
                profiles_before,
            )
            return
        first = import_dkvmn(path, dataset="prop")
        again = import_dkvmn(path, dataset="prop")
    attempts = sum(len(s) for s in students)
    assert first.records_created == attempts == LearningRecord.objects.count() - records_before
    assert again.records_created == 0 and again.students_skipped == len(students)
    assert (
        sum(correct for s in students for _, correct in s)
        == LearningRecord.objects.filter(correct=True, import_key__startswith=f"dkvmn:{path.stem}:").count()
    )


@FAST
@given(st.lists(json_values.map(json.dumps) | st.text(max_size=40), min_size=1, max_size=5))
def test_corpus_reader_refuses_malformed_lines_with_its_own_error(lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.jsonl"
        path.write_text("\n".join(line.replace("\n", " ") for line in lines) + "\n")
        for fmt in ("oatutor", "gsm8k"):
            try:
                parse_corpus(path, fmt)
            except ItemImportError as error:
                assert 1 <= error.line <= len(lines)


def test_a_skill_id_named_twice_is_refused_on_its_second_line(tmp_path: Path) -> None:
    path = tmp_path / "skills.txt"
    path.write_text("1\tMedian\n2\tMean\n1\tRange\n", encoding="utf-8")
    with pytest.raises(DkvmnFormatError) as raised:
        read_skill_map(path)
    assert raised.value.line == 3 and "named twice" in str(raised.value)
    path.write_text("1\tMedian\n2\tMean\n", encoding="utf-8")
    assert read_skill_map(path) == {1: "Median", 2: "Mean"}
