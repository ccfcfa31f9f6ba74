"""Property-based tests of the criteria parser: any JSON document or text
becomes a criteria spec or a SpecError, never another exception."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

spec = pytest.importorskip("edursft.criteria.spec", reason="criteria parser (issue 6) not written yet")
FAST = settings(max_examples=60, deadline=None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _criteria():
    return pytest.importorskip(
        "edursft.criteria.spec", reason="edursft.criteria.spec (issue 6) not written yet"
    )


@FAST
@given(json_values)
def test_criteria_parser_turns_any_json_into_a_spec_or_a_spec_error(document):
    try:
        spec.load_spec(document)
    except spec.SpecError as error:
        assert isinstance(error.field, str | None)


@FAST
@given(st.text(max_size=200))
def test_criteria_parser_turns_any_text_into_a_spec_or_a_spec_error(text):
    assume(not text.strip().startswith(("/", ".")))  # a path, not a document
    with contextlib.suppress(spec.SpecError):
        spec.load_spec(text)
