"""``ChatDriver`` for a person of the in-memory harness (tests/harness.py), so the shared
scenarios run without a network too; with numbered buttons (as on the console) a press is
typing the option's number."""

from __future__ import annotations

from tests.e2e.driver import SeenMessage
from tests.harness import Delivered, Person


def seen(message: Delivered) -> SeenMessage:
    return SeenMessage(text=message.text, labels=message.labels, file=message.document)


class MemoryDriver:
    command_prefix = "/"

    def __init__(self, person: Person, *, numbered: bool) -> None:
        self.person = person
        self.numbered = numbered
        self._seen = 0

    async def send(self, text: str) -> None:
        await self.person.says(text)

    async def press(self, label: str) -> None:
        if not self.numbered:
            await self.person.presses(label)
            return
        for message in reversed(self.person.messages()):
            if message.labels:
                assert label in message.labels, f"{label!r} not in the latest options"
                await self.person.says(str(message.labels.index(label) + 1))
                return
        raise AssertionError(f"no options with {label!r}")

    async def replies(self, count: int = 1, timeout: float = 20.0) -> list[SeenMessage]:
        mine = self.person.messages()
        fresh = mine[self._seen : self._seen + count]
        assert len(fresh) == count, f"{len(fresh)} of {count} replies: {[m.text for m in fresh]}"
        self._seen += count
        return [seen(message) for message in fresh]

    async def no_more_replies(self, wait: float = 1.5) -> None:
        extra = self.person.messages()[self._seen :]
        assert not extra, f"unexpected messages: {[m.text for m in extra]}"
