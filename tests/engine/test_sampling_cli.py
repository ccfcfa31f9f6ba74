"""``python -m edursft sample``: scores a candidates file and prints the statistics."""

import json
from pathlib import Path

import pytest

from edursft.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "criteria"


@pytest.mark.slow
def test_sample_prints_json_statistics_and_writes_decisions(tmp_path: Path, capsys) -> None:
    decisions = tmp_path / "decisions.jsonl"
    code = main(
        [
            "sample",
            "--criteria", str(EXAMPLES / "exercise.json"),
            "--candidates", str(EXAMPLES / "candidates.jsonl"),
            "--skills", str(EXAMPLES / "skills.json"),
            "--decisions", str(decisions),
            "--json",
        ]
    )  # fmt: skip
    assert code == 0
    stats = json.loads(capsys.readouterr().out)["stats"]
    assert stats["proposals"] == 9
    assert stats["acceptance_rate"] == stats["accepted"] / 9
    # Wrong answers (x = 6, and 20 - 12 = 9), one that cannot be checked, and a casino.
    assert stats["rejection_reasons"]["hard: answer_verified"] == 3
    assert stats["rejection_reasons"]["hard: unsafe_content"] == 1
    rows = [json.loads(line) for line in decisions.read_text().splitlines()]
    assert len(rows) == 9 and not rows[1]["accepted"]


def test_an_invalid_criteria_file_exits_2_naming_the_field(tmp_path: Path, capsys) -> None:
    criteria = tmp_path / "bad.json"
    criteria.write_text(json.dumps({"criteria": [{"name": "length", "weight": "heavy"}]}))
    code = main(["sample", "--criteria", str(criteria), "--candidates", str(EXAMPLES / "candidates.jsonl")])
    assert code == 2
    assert "criteria[0].weight" in capsys.readouterr().err


def test_a_malformed_candidates_line_exits_2_naming_the_line(tmp_path: Path, capsys) -> None:
    candidates = tmp_path / "c.jsonl"
    candidates.write_text('{"text": "What is 2+2?", "answer": "4"}\n{"txt": "oops"}\n')
    code = main(["sample", "--criteria", str(EXAMPLES / "exercise.json"), "--candidates", str(candidates)])
    assert code == 2
    assert "line 2" in capsys.readouterr().err
