"""One gate for every secret a person sends: participant invite codes (``liity K7QM-…``,
``/liity …``), deep-link tokens (``/start inv-…``) and coordinator codes (``OHJ-…``).

The kinds of code plug in as :class:`handlers.core.flow.CodeKind`
(``handlers/participant/enrolment.py``, ``handlers/staff/roles.py``); this module decides,
the same way for all of them and in this order:

1. In a group chat nothing is looked up: every code, valid or not, gets the one answer
   "send it to me in a private chat", and nothing is used up or counted.
2. The limits, before any code is looked up: a person with :data:`PERSON_LIMIT` wrong codes
   within :data:`PERSON_WINDOW` gets the limit answer, whether or not the code is right; and
   when everyone together sent :data:`EVERYONE_LIMIT` wrong codes within
   :data:`EVERYONE_WINDOW` (many accounts are cheap, on Matrix especially), every code check
   pauses until the window has room again — logged once per burst, with counts only.
3. Only then the code is looked up by its keyed hash. Unknown, expired, used-up and
   malformed codes all get the same answer and count as one wrong code.

With these numbers at most 4 320 wrong codes a day are checked, however many accounts guess;
see :mod:`storage.invites` for what that means for 60-bit codes. Someone who keeps guessing
can keep the pause on and so slow down joining for everyone; that is the price chosen: it
gives no code away, and the log shows that it is happening.

```mermaid
stateDiagram-v2
    [*] --> chat: /liity KOODI, "liity KOODI", /start KOODI, /liity → (asks) KOODI
    chat --> private_only: group chat (same answer for every code)
    chat --> limits: private chat
    limits --> too_many: 5 wrong / hour (this person)
    limits --> paused: 30 wrong / 10 min (everyone)
    limits --> lookup
    lookup --> redeemed: usable code (consent, or coordinator role)
    lookup --> invalid: anything else (same answer; counted)
```
"""

from __future__ import annotations

import datetime as dt
import logging

from handlers.core.context import Context
from handlers.core.flow import END, TEXT, Action, CodeKind, Command, Flow, FlowRef, Registry, Step
from messages.words import command_names, every
from storage import code_limits

log = logging.getLogger(__name__)

PERSON_LIMIT = 5
PERSON_WINDOW = dt.timedelta(hours=1)
EVERYONE_LIMIT = 30
EVERYONE_WINDOW = dt.timedelta(minutes=10)
JOIN_FLOW = "join"
# "liity KOODI" typed without a slash, in any of the three languages
JOIN_WORDS = every(lambda words: words.answers.join)


def _kinds_of(ctx: Context, text: str) -> list[tuple[CodeKind, str]]:
    """The kinds of code ``text`` has the shape of, each with the code in stored form."""
    stripped = text.strip()
    found: list[tuple[CodeKind, str]] = []
    for kind in ctx.services.registry.code_kinds:
        secret = kind.parse(stripped)
        if secret is not None:
            found.append((kind, secret))
    return found


async def offer(ctx: Context, text: str) -> None:
    """A text the person meant as a code (after ``/liity`` or ``liity``): always answered."""
    await _gate(ctx, _kinds_of(ctx, text))


async def from_start_argument(ctx: Context, argument: str) -> bool:
    """``/start ARG``: a code or token goes through the gate; anything else is not ours."""
    kinds = _kinds_of(ctx, argument)
    if not kinds:
        return False
    await _gate(ctx, kinds)
    return True


async def _gate(ctx: Context, kinds: list[tuple[CodeKind, str]]) -> None:
    if ctx.incoming.is_group_chat:
        ctx.reply("codes.private_only")
        return
    refusal = await _limited(ctx)
    if refusal is not None:
        if ctx.state is not None and ctx.state.flow == JOIN_FLOW:
            ctx.end()
        ctx.reply(refusal, minutes=int(EVERYONE_WINDOW.total_seconds() // 60))
        return
    for kind, secret in kinds:
        if await kind.redeem(ctx, secret):
            return
    # The same answer for every reason; in the join flow the person can type it again.
    await _count_wrong(ctx)
    ctx.reply("enrol.invalid")


async def _limited(ctx: Context) -> str | None:
    """The limit answer's key when code checks are limited for this person now."""
    mine = await code_limits.failures_of(ctx.conn, ctx.user.user_id, ctx.now - PERSON_WINDOW)
    if mine >= PERSON_LIMIT:
        return "enrol.too_many"
    everyone = await code_limits.failures_of_everyone(ctx.conn, ctx.now - EVERYONE_WINDOW)
    if everyone >= EVERYONE_LIMIT:
        return "codes.paused"
    return None


async def _count_wrong(ctx: Context) -> None:
    await code_limits.record_failure(
        ctx.conn,
        ctx.user.user_id,
        ctx.now,
        person_window=PERSON_WINDOW,
        everyone_window=EVERYONE_WINDOW,
    )
    everyone = await code_limits.failures_of_everyone(ctx.conn, ctx.now - EVERYONE_WINDOW)
    if everyone >= EVERYONE_LIMIT and await code_limits.begin_pause(
        ctx.conn, ctx.now, EVERYONE_WINDOW
    ):
        log.warning(
            "code checks paused: %d wrong codes from everyone in %d minutes",
            everyone,
            int(EVERYONE_WINDOW.total_seconds() // 60),
        )


# --- the ways in -----------------------------------------------------------------------------
async def join_command(ctx: Context) -> None:
    """``/liity KOODI`` (or ``/liity`` and then the code)."""
    if ctx.args:
        await offer(ctx, ctx.args)
        return
    if ctx.incoming.is_group_chat:
        ctx.reply("codes.private_only")
        return
    ctx.begin(JOIN_FLOW)


async def _code_prompt(ctx: Context) -> None:
    ctx.reply("enrol.ask_code")


def clearly_not_a_code(text: str) -> bool:
    """A question or several words: no code has a "?" or two words of letters only (a code
    typed in groups, "K7QM P3XA", has digits in its groups)."""
    words = [word.strip(".,!;:") for word in text.split()]
    return "?" in text or sum(1 for word in words if len(word) > 1 and word.isalpha()) >= 2


async def _code_handle(ctx: Context) -> None:
    text = ctx.text or ""
    if not _kinds_of(ctx, text) and clearly_not_a_code(text):
        # Not meant as a code: leave the code prompt, and the text is read as free text.
        ctx.end()
        if ctx.services.registry.free_text is not None:
            await ctx.services.registry.free_text(ctx)
        return
    await offer(ctx, text)


def join_text_prefix(text: str) -> str | None:
    """The code in "liity K7QM-P3XA-9HTD" / "gå med …" / "join …", else None."""
    lowered = text.casefold()
    for word in JOIN_WORDS:
        if lowered.startswith(word + " "):
            return text[len(word) + 1 :].strip()
    return None


def _with_join_prefix(inner: Action | None) -> Action:
    async def free_text(ctx: Context) -> None:
        code = join_text_prefix(ctx.text or "")
        if code is not None:
            await offer(ctx, code)
        elif inner is not None:
            await inner(ctx)
        else:
            from handlers.common.start import main_menu

            ctx.reply("error.unknown_input")
            main_menu(ctx)

    return free_text


def register(registry: Registry) -> None:
    """After the modules that add kinds of code and after the FAQ (whose free text we wrap)."""
    # A usable code ends this flow or begins the kind's own (a participant's consent).
    enters = {FlowRef(kind.enters) for kind in registry.code_kinds if kind.enters}
    # Text that is clearly no code leaves for free text, which may begin the FAQ's flow.
    free = {FlowRef(name) for name in ("faq",) if name in registry.flows}
    code = Step(_code_prompt, _code_handle, accepts={TEXT}, goes_to={END, *enters, *free})
    registry.add_flow(Flow(JOIN_FLOW, {"code": code}, "code"))
    registry.add_command(
        Command(
            command_names("join"),
            join_command,
            "cmd.join",
            order=21,
        )
    )
    registry.start_arguments.append(from_start_argument)
    # "liity KOODI" without a slash; whatever handled free text before still gets the rest.
    registry.free_text = _with_join_prefix(registry.free_text)
