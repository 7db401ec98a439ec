"""Hostile input, bounded (issue 16): hypothesis-made sequences through every flow on the
in-memory transport, a fixed seed and a bounded number of examples, printing how many
inputs were tried (the long run: ``python -m bench.fuzz``). See tests/fuzz_flows.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content import Content, load_content
from tests.fuzz_flows import LOCALES, Action, Tally, actions, run


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    """What the fuzz tried, printed when the module is done. A fixture, not a test of its
    own: under xdist a separate test may run on another worker and see nothing."""
    tried = Tally()
    yield tried
    print(
        f"\nfuzz: {tried.inputs} inputs in {tried.sequences} sequences;"
        f" {len(tried.unanswered)} got no message; {len(tried.positions)} conversation steps"
        f" reached, {len(tried.keys)} different texts seen"
    )
    print("steps:", sorted(f"{flow}/{step}" for flow, step in tried.positions))
    assert tried.sequences > 0


@settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    locale=st.sampled_from(LOCALES),
    admin=st.booleans(),
    sequence=st.lists(actions(), min_size=10, max_size=30),
)
def test_hostile_sequences_keep_every_invariant(
    content: Content, tally: Tally, locale: str, admin: bool, sequence: list[Action]
) -> None:
    run(content, locale, admin, sequence, tally)
