"""Maths answer checking: sympy equivalence and GSM8K worked solutions (real problems)."""

import json
import time
from fractions import Fraction
from pathlib import Path

import pytest

from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.maths import AnswerVerified
from edursft.criteria.registry import Outcome
from edursft.verification import answer_solves, answers_equivalent, check_worked_solution
from edursft.verification.arithmetic import NotArithmeticError, evaluate_arithmetic
from edursft.verification.direct import direct_answer, states_answer
from edursft.verification.grounding import ungrounded_number

GSM8K_TEST = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "gsm8k" / "test.jsonl"


@pytest.fixture(scope="module")
def gsm8k() -> list[dict]:
    if not GSM8K_TEST.exists():
        pytest.skip(f"GSM8K not found at {GSM8K_TEST}")
    with GSM8K_TEST.open(encoding="utf-8") as lines:
        return [json.loads(line) for _, line in zip(range(40), lines, strict=False)]


def _final(record: dict) -> str:
    return record["answer"].rsplit("####", 1)[1].strip()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("18", "18.0"),
        ("$70,000", "70000"),
        ("3/4", "0.75"),
        ("1 1/2", "3/2"),
        ("25%", "0.25"),
        ("25", "25%"),
        ("4x+12", "4(x+3)"),
        ("x = 2", "2"),
        ("x=2 or x=-3", "-3, 2"),
        ("$$\\frac{1}{2}$$", "0.5"),
        ("\\left(x+3\\right)^2", "x^2+6x+9"),
        ("y = 2x + 3", "2x - y + 3 = 0"),
        ("x > 3", "3 < x"),
        ("sqrt(8)", "2sqrt(2)"),
        ("Yes", "yes"),
    ],
)
def test_equivalent_notations_are_accepted(given: str, expected: str) -> None:
    assert answers_equivalent(given, expected)
    assert answers_equivalent(expected, given)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("17", "18"),
        ("4x+13", "4(x+3)"),
        ("x = 3", "x = 2"),
        ("x^2-1", "x^2+1"),
        ("x > 3", "x >= 3"),
        ("2", "x=2 or x=-2"),
        ("5", "5,000"),
        ("0.33", "1/3"),
    ],
)
def test_different_answers_are_rejected(given: str, expected: str) -> None:
    assert not answers_equivalent(given, expected)


@pytest.mark.parametrize(
    "hostile",
    ["9^9^9^9", "10**100000", "__import__('os').system('true')", "x" * 5000, "lambda: 1", "99999!"],
)
def test_hostile_input_is_refused_quickly(hostile: str) -> None:
    started = time.perf_counter()
    assert not answers_equivalent(hostile, "1")
    assert time.perf_counter() - started < 3.0


def test_equation_answers_are_checked_by_solving() -> None:
    assert answer_solves("2x+3=7", "x=2")
    assert answer_solves("x^2=4", "x = 2 or x = -2")
    assert not answer_solves("x^2=4", "x = 2")
    assert not answer_solves("2x+3=7", "x=3")
    assert answer_solves("4(x+3)", "4x+12")


def test_real_gsm8k_solutions_verify(gsm8k: list[dict]) -> None:
    results = [check_worked_solution(r["answer"], _final(r)) for r in gsm8k]
    # A few real solutions do their last step in words; nearly all must verify.
    assert sum(r.ok for r in results) >= 0.9 * len(results)
    assert check_worked_solution(gsm8k[0]["answer"], "18").ok


def test_a_corrupted_calculation_fails_at_its_line(gsm8k: list[dict]) -> None:
    solution = gsm8k[0]["answer"]  # Janet's ducks: <<16-3-4=9>>9 then <<9*2=18>>18
    corrupted = solution.replace("<<9*2=18>>18", "<<9*2=19>>19")
    result = check_worked_solution(corrupted, "19")
    assert not result.ok
    assert result.failed_line == 2
    assert "9*2=19" in result.reason


def test_a_corrupted_prose_step_fails(gsm8k: list[dict]) -> None:
    solution = gsm8k[0]["answer"].replace("16 - 3 - 4 = ", "16 - 3 - 5 = ")
    result = check_worked_solution(solution, "18")
    assert not result.ok
    assert result.failed_line == 1


def test_a_wrong_final_answer_fails(gsm8k: list[dict]) -> None:
    result = check_worked_solution(gsm8k[0]["answer"], "20")
    assert not result.ok


def test_answer_must_be_the_last_step_when_required(gsm8k: list[dict]) -> None:
    solution = gsm8k[0]["answer"].rsplit("####", 1)[0]
    assert check_worked_solution(solution, "9").ok
    assert not check_worked_solution(solution, "9", require_last_step=True).ok


def test_a_formula_with_a_factor_left_out_fails_though_it_recomputes() -> None:
    # Written by a fine-tuned generator for a circle of diameter 24: r = 12, then r * r became 12.
    dropped = (
        "Half the diameter: 24 / 2 = <<24/2=12>>12. A = 3.14 * r * r = 3.14 * 12 = <<3.14*12=37.68>>37.68."
    )
    result = check_worked_solution(dropped, "37.68")
    assert not result.ok
    assert "3.14 * r * r = 3.14 * 12" in result.reason
    whole = dropped.replace(
        "3.14 * 12 = <<3.14*12=37.68>>37.68", "3.14 * 12 * 12 = <<3.14*12*12=452.16>>452.16"
    )
    assert check_worked_solution(whole, "452.16").ok
    squares = "a^2 + b^2 = 6*6 + 8*8 = <<6*6+8*8=100>>100. The hypotenuse is <<100/10=10>>10."
    assert check_worked_solution(squares, "10").ok
    expanded = "C = 3.14 * d = 3.14 * 2 * 12 = <<3.14*2*12=75.36>>75.36."  # d written out: more, not fewer
    assert check_worked_solution(expanded, "75.36").ok


def test_a_solution_without_calculations_cannot_be_verified() -> None:
    result = check_worked_solution("She has some eggs left over.\n#### 9", "9")
    assert not result.ok
    assert "no calculation" in result.reason


def test_rounded_results_are_accepted_but_wrong_rounding_is_not() -> None:
    assert check_worked_solution("Each gets 10/3 = <<10/3=3.33>>3.33 cups.", "3.33").ok
    assert not check_worked_solution("Each gets 10/3 = <<10/3=3.34>>3.34 cups.", "3.34").ok


@pytest.mark.parametrize(
    ("problem", "answer"),
    [
        ("Find the mean of 5, 10, 20, 25.", "15"),
        ("Find the median of 11, 2, 4, 10, 3.", "4"),
        ("Find the median of 20, 29, 26, 11.", "23"),
        ("Find the range of 12, 20, 27 and 6.", "21"),
        ("Find the greatest common factor of 36 and 20.", "4"),
        ("Find the least common multiple of 4, 6 and 10.", "60"),
        ("Divide 3/4 by 1/2. Simplify your answer.", "3/2"),
        ("Subtract 1/4 from 3/4.", "1/2"),
        ("Multiply the integers: 12 * (-17).", "-204"),
        ("Find the product of the whole numbers 63 and 32.", "2016"),
        ("What is the square root of 144?", "12"),
        ("What is 15% of 80?", "12"),
        ("What is 2/3 of 18?", "12"),
        ("Write 3/8 as a percent.", "37.5%"),
        ("Use the distributive property to evaluate 5(9 + 1).", "50"),
        ("What is |9 - 15|?", "6"),
        ("Evaluate 4^3.", "64"),
        ("Fill in the missing numerator: 1/2 = ?/8.", "4"),
        ("Solve the proportion 3/12 = 7/x for x.", "28"),
        ("Find the slope of the line through (4, 7) and (5, 4).", "-3"),
        ("The pattern 13, 19, 25, 31, ... continues. What is term number 6?", "43"),
    ],
)
def test_questions_the_text_fixes_are_solved_from_the_text(problem: str, answer: str) -> None:
    exact = direct_answer(problem)
    assert exact is not None and states_answer(answer, exact)
    assert not states_answer(str(exact + 1), exact)


def test_a_consistent_solution_with_the_wrong_answer_to_a_fixed_question_fails() -> None:
    # Seen in RSFT: the two "middle values" of an unsorted list; every step recomputes.
    solution = "The middle values are 10 and 11: 10 + 11 = <<10+11=21>>21. Then 21 / 2 = <<21/2=10.5>>10.5."
    assert check_worked_solution(solution, "10.5").ok
    outcome = _verified("Find the median of 11, 2, 4, 10, 3.", solution, "10.5")
    assert not outcome.passed and "fixes the answer at 4" in outcome.reason
    # A rounded mean is right only with the decimals shown, never as a whole number.
    assert states_answer("11.67", direct_answer("Find the mean of 5, 10, 20.") or 0)
    assert not states_answer("12", direct_answer("Find the mean of 5, 10, 20.") or 0)


@pytest.mark.parametrize(
    "problem",
    [
        "Find the mean of 4 tests if the total is 320.",
        "Find the median of 3, 5, 9. Then add 2 to it.",
        "Add 1/2 - 1/3.",  # the verb and the operator disagree: not guessed
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many in May.",
        "Find the mode of 1, 2, 2, 3, 3.",  # two modes
    ],
)
def test_other_questions_are_left_to_the_step_checks(problem: str) -> None:
    assert direct_answer(problem) is None


def test_no_gsm8k_question_is_taken_for_a_fixed_one() -> None:
    if not GSM8K_TEST.exists():
        pytest.skip(f"GSM8K not found at {GSM8K_TEST.parent}")
    questions = [json.loads(line)["question"] for path in (GSM8K_TEST, GSM8K_TRAIN) for line in path.open()]
    assert len(questions) == 8792
    assert [q for q in questions if direct_answer(q) is not None] == []


def test_square_roots_must_come_out_whole_or_a_fraction() -> None:
    assert check_worked_solution(
        "5*5 + 12*12 = <<5*5+12*12=169>>169. sqrt(169) = <<sqrt(169)=13>>13.", "13"
    ).ok
    assert check_worked_solution("The side is <<√(144)=12>>12.", "12").ok
    assert check_worked_solution("The scale is <<sqrt(9/4)=1.5>>1.5.", "1.5").ok
    # An irrational root is refused, never rounded into a whole answer.
    result = check_worked_solution("sqrt(170) = <<sqrt(170)=13>>13.", "13")
    assert not result.ok and "not a whole number" in result.reason
    assert not check_worked_solution("<<sqrt(-4)=2>>2", "2").ok
    assert not check_worked_solution("<<round(4.4)=4>>4", "4").ok


def test_greatest_common_factor_least_common_multiple_largest_and_smallest_are_calculator_steps() -> None:
    assert evaluate_arithmetic("mod(33,6)") == 3 and evaluate_arithmetic("mod(12, 4)") == 0
    assert evaluate_arithmetic("abs(3-10)") == 7 and evaluate_arithmetic("abs(-2.5)") == Fraction(5, 2)
    assert check_worked_solution("3 - 10 = <<3-10=-7>>-7. Its distance from zero is <<abs(-7)=7>>7.", "7").ok
    assert not check_worked_solution("<<abs(-7)=-7>>-7", "-7").ok
    assert evaluate_arithmetic("gcd(24,36)") == 12 and evaluate_arithmetic("lcm(4, 6)") == 12
    assert evaluate_arithmetic("max(18,73,98,9)") == 98
    assert evaluate_arithmetic("min(3, 1.5)") == Fraction(3, 2)
    # Inside a call a comma separates arguments; elsewhere "1,000" is still a thousand.
    assert evaluate_arithmetic("gcd(12,180)") == 12 and evaluate_arithmetic("1,000 + 1") == 1001
    solution = (
        "The largest value is <<max(57,113,320)=320>>320 and the smallest is <<min(57,113,320)=57>>57. "
        "Largest minus smallest: 320 - 57 = <<320-57=263>>263."
    )
    assert check_worked_solution(solution, "263").ok
    assert ungrounded_number("Find the range of 57, 113, 320.", solution) is None
    assert ungrounded_number("Find the range of 57, 113, 321.", solution) == "320"
    assert not check_worked_solution("<<max(4,9)=4>>4", "4").ok
    for refused in (
        "gcd(1.5,3)",
        "gcd(4)",
        "max()",
        "abs(1,2)",
        "mod(5,0)",
        "mod(5.5,2)",
        "round(2.5)",
        "1,2",
    ):
        with pytest.raises(NotArithmeticError):
            evaluate_arithmetic(refused)


@pytest.mark.parametrize(
    "hostile",
    [
        "2 * $100 + " * 400 + "bills = 5",
        "1, " * 1500 + "= 2",
        "((((" * 700 + "1" + "))))" * 700 + " = 1",
        "<<" + "9**" * 500 + "9=1>>",
    ],
)
def test_hostile_solutions_are_checked_in_bounded_time(hostile: str) -> None:
    started = time.perf_counter()
    assert not check_worked_solution(hostile, "1").ok
    assert time.perf_counter() - started < 2.0


def test_a_repeated_answer_is_parsed_by_sympy_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from edursft.verification import answers

    parsed: list[str] = []
    parse_plain = answers._parse_plain

    def counting(text: str):
        parsed.append(text)
        return parse_plain(text)

    monkeypatch.setattr(answers, "_parse_plain", counting)
    first = [answers_equivalent("7q-3", "-3+7q"), answers_equivalent("7q-3", "3-7q")]
    assert first == [True, False]
    assert [answers_equivalent("7q-3", "-3+7q"), answers_equivalent("7q-3", "3-7q")] == first
    assert sorted(parsed) == ["-3+7q", "3-7q", "7q-3"]


GSM8K_TRAIN = GSM8K_TEST.with_name("train.jsonl")


def _verified(problem: str, solution: str, answer: str) -> Outcome:
    return AnswerVerified().evaluate([Candidate(problem, answer, solution=solution)], CriteriaContext())[0]


@pytest.mark.parametrize(
    ("problem", "solution", "answer"),
    [
        # Generated proposals that recompute but answer another problem (seen in RSFT runs).
        (
            "A circle has a radius of 3 m. Using 3.14 for pi, what is its area in square meters?",
            "A = 3.14 * r * r = 3.14 * 3 * 33 = <<3.14*3*33=310.86>>310.86.",
            "310.86",
        ),
        (
            "A jacket costs $80. It is on sale for 5% off. What is the sale price in dollars?",
            "The discount is 0.5 * 80 = <<0.5*80=40>>40. Sale price: 80 - 40 = <<80-40=40>>40.",
            "40",
        ),
        (
            "A shelf has 9 red and 3 blue books in each of 4 rows. 5 books are lent out. How many are left?",
            "Parentheses first: 9 + 3 = <<9+3=12>>12. Then multiply: 12 * 11 = <<12*11=132>>132. "
            "Then subtract: 132 - 13 = <<132-13=119>>119.",
            "119",
        ),
    ],
)
def test_a_consistent_solution_to_another_problem_is_not_verified(
    problem: str, solution: str, answer: str
) -> None:
    assert check_worked_solution(solution, answer).ok  # every step recomputes...
    outcome = _verified(problem, solution, answer)
    assert not outcome.passed  # ...but a number comes from nowhere
    assert "neither in the problem nor worked out before" in outcome.reason
    assert (
        AnswerVerified(grounded=False)
        .evaluate([Candidate(problem, answer, solution=solution)], CriteriaContext())[0]
        .passed
    )


def test_numbers_from_the_problem_earlier_steps_words_and_units_are_grounded() -> None:
    assert _verified(
        "A jacket costs $80. It is on sale for 5% off. What is the sale price in dollars?",
        "The discount is 0.05 * 80 = <<0.05*80=4>>4.\nSale price: 80 - 4 = <<80-4=76>>76.",
        "76",
    ).passed
    assert _verified(
        "What is the square root of 121?",
        "Try 11: 11 * 11 = <<11*11=121>>121. So the square root is 121 / 11 = <<121/11=11>>11.",
        "11",
    ).passed
    assert _verified(
        "Weng earns $12 an hour. She worked fifty minutes. How much did she earn?",
        "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nShe earned 0.2 x 50 = $<<0.2*50=10>>10.",
        "10",
    ).passed
    fractions = "3/8 = 15/40 and 4/5 = 32/40. 15 + 32 = <<15+32=47>>47."
    assert ungrounded_number("Add 3/8 + 4/5.", fractions) is None
    # A number worked out on a later line does not ground an earlier one.
    later = "Then 14 + 17 = <<14+17=31>>31.\n15 + 2 = <<15+2=17>>17."
    assert ungrounded_number("Add 14 and 15.", later) == "17"


def test_nearly_all_real_gsm8k_solutions_are_grounded() -> None:
    """Human solutions sometimes derive a number in their head; the rules must still
    ground nearly all of them, or the criterion would reject good items."""
    if not GSM8K_TRAIN.exists():
        pytest.skip(f"GSM8K not found at {GSM8K_TRAIN}")
    with GSM8K_TRAIN.open(encoding="utf-8") as lines:
        records = [json.loads(line) for _, line in zip(range(2000), lines, strict=False)]
    recomputed = [r for r in records if check_worked_solution(r["answer"], _final(r)).ok]
    grounded = [r for r in recomputed if ungrounded_number(r["question"], r["answer"]) is None]
    assert len(recomputed) > 1500
    assert len(grounded) >= 0.95 * len(recomputed)
