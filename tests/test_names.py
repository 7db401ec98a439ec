"""Issue 15: participant names are readable: the name the platform gives, else the name in
the address, never a clipped "Osallistuja …irjo"."""

from __future__ import annotations

import datetime as dt

from handlers.common.participation import person_label
from handlers.core.types import Text
from storage.users import User


def user(user_id: str, name: str | None) -> User:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    return User(
        user_id=user_id,
        home_chat_id=user_id,
        locale="fi",
        locale_chosen=False,
        display_name=name,
        unreachable=False,
        news_opt_in=True,
        created_at=now,
    )


def test_the_platforms_name_first() -> None:
    assert person_label(user("matrix:@pirjo:example.org", "Pirjo"), "x") == "Pirjo"


def test_a_matrix_person_without_a_display_name_is_their_address_name() -> None:
    label = person_label(user("matrix:@pirjo:example.org", None), "matrix:@pirjo:example.org")
    assert label == "pirjo"


def test_only_a_bare_number_gets_the_unnamed_form() -> None:
    label = person_label(None, "telegram:123456")
    assert isinstance(label, Text) and label.key == "people.unnamed"
