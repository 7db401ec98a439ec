"""The core loop body: one incoming event in, one database transaction, replies to the outbox.

For every :class:`Incoming` the dispatcher, inside a single SQLite transaction:
records the platform update (so a re-delivered update is ignored), loads the person and
their conversation, routes the event (button, command, flow step or free text), saves the
new conversation state and writes the rendered replies to the outbox. Either all of that
is committed or none of it. A step that rejects its input (``InvalidInput``) is rolled back
to a savepoint: the person gets a short explanation and stays on the same step.

The gate before routing: an event whose private chat is not its sender's, on a platform
where a private chat's id is the person's id (:class:`~bot.transports.base.Inbound`), is
dropped: only its update id is recorded, nothing else is read or written (ids logged); so
is an event from someone the bot does not admit (:mod:`bot.admission`). An
event beyond the person's rate limit (:mod:`bot.rate_limit`) is recorded as handled and
gets at most one short "slow down" answer per burst. :meth:`Dispatcher.wants_file` is the
port transports ask before they fetch a file a person sent.

The flows' declarations (:mod:`handlers.core.flow`) are enforced here: typed text, or a
button of a family the step does not take, is answered with the flow's ``use_buttons`` text
before the step runs; ``ctx.running`` names the step whose prompt or handle runs, so that a
move it does not declare fails (:class:`~handlers.core.flow.FlowError`, answered like any
failing step); a button no step and no global payload takes is not sent; and a
conversation stored at a step that has since moved into a sub-flow resumes there
(:func:`handlers.core.context.resume`).

The way back is the same for every flow (:mod:`handlers.core.ways`): a typed back word at
any step goes one question back, to the step and data the last move left; every answer that
moves the conversation on is remembered for it here, and every question that expects typed
input is followed by the line naming the ways back and out.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import aiosqlite

from bot import private_chats
from bot.admission import EVERYONE, Admission
from bot.i18n import Renderer, normalise_locale
from bot.rate_limit import PerPersonLimit, Verdict
from bot.transports import every_transport
from bot.transports.base import Inbound
from handlers.core import ways
from handlers.core.context import Context, Notice, Roles, Services, resume
from handlers.core.flow import Command, FlowError, Step
from handlers.core.ports import TransportFacts
from handlers.core.types import FILE_LIMIT, Button, Incoming, InvalidInput, NotAllowed, Reply
from handlers.domain.option_match import pick_option
from handlers.domain.whole_numbers import is_digits
from storage import buttons as button_store
from storage import (
    conversations,
    held_notices,
    keyed,
    memberships,
    outbox,
    person_refs,
    updates,
    users,
)
from storage.db import Database, Savepoint, savepoint

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4000
_MAX_PROMPT_CHAIN = 8


@dataclass(frozen=True)
class Outcome:
    """What happened, for transports and tests (no message texts)."""

    handled: bool
    enqueued: int  # transports that got new outbox rows
    duplicate: bool = False
    forged: bool = False  # a private chat that is not its sender's: dropped
    refused: bool = False  # someone the bot does not admit (bot.admission): dropped
    limited: bool = False  # over the person's rate limit: recorded, not routed


@dataclass(frozen=True)
class _Handled:
    """One event's outcome and what follows its commit."""

    outcome: Outcome
    touched: frozenset[str] | set[str] = frozenset()  # transports that got outbox rows
    forgotten: bool = False  # the person was forgotten (/unohda): checkpoint the log


def clean_text(text: str) -> str:
    """Strip control characters (keeping newlines and tabs) and surrounding space."""
    kept = "".join(ch for ch in text if ch in "\n\t" or (ch >= " " and ch != "\x7f"))
    return kept.strip()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        services: Services,
        renderer: Renderer,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        on_enqueued: Callable[[set[str]], None] | None = None,
        inbound: Mapping[str, Inbound] | None = None,
        rate_limit: PerPersonLimit | None = None,
        admission: Admission = EVERYONE,
    ) -> None:
        self.db = db
        if services.transports is None:  # a command-line tool or a test: every transport
            services = dataclasses.replace(services, transports=every_transport())
        self.services = services
        self.transports: TransportFacts = services.transport_facts
        self.renderer = renderer
        self.clock = clock
        self.on_enqueued = on_enqueued
        # What each platform's events may be trusted for (by platform name); a platform not
        # named gets Inbound()'s defaults: no chat-id rule, rate limited.
        self.inbound: Mapping[str, Inbound] = inbound or {}
        self.rate_limit = rate_limit
        # Who may use the bot at all (the allowed homeservers): the others are not served.
        self.admission = admission

    # ------------------------------------------------------------------------------------
    async def handle(self, incoming: Incoming, *, greeting: bool = False) -> Outcome:
        """Handle one event. ``greeting``: the person brought the bot into the chat (a
        Matrix invite; :mod:`bot.platform_events`), answered as ``/start`` is."""
        async with self.db.transaction() as conn:
            done = await self._handle_in(conn, incoming, self.clock(), greeting)
        await self._after_commit([done])
        return done.outcome

    async def handle_together(
        self, batch: Sequence[Incoming], *, keep: Mapping[str, str] | None = None
    ) -> list[Outcome]:
        """Events that arrived together (one ``getUpdates`` answer) in one transaction.

        Each event is handled in its own savepoint, so one whose handling fails (its writes
        undone, logged) leaves the others'; ``keep`` (key → value: the transport's offset)
        is written last in the same commit, so it moves only with the events it covers. One
        commit instead of one per event is most of what a burst costs (issue 17)."""
        done: list[_Handled] = []
        async with self.db.transaction() as conn:
            for incoming in batch:
                try:
                    async with savepoint(conn, "event"):
                        done.append(await self._handle_in(conn, incoming, self.clock(), False))
                except Exception as error:
                    self._log_failure(incoming, error)
                    done.append(_Handled(Outcome(handled=False, enqueued=0), set(), False))
            for key, value in (keep or {}).items():
                await updates.set_value(conn, key, value)
        await self._after_commit(done)
        return [item.outcome for item in done]

    async def _handle_in(
        self, conn: aiosqlite.Connection, incoming: Incoming, now: dt.datetime, greeting: bool
    ) -> _Handled:
        """One event inside the caller's transaction."""
        forged = self._forged(incoming)
        if incoming.update_key is not None:
            if await updates.seen(conn, incoming.update_key):
                return _Handled(Outcome(handled=False, enqueued=0, duplicate=True))
            await updates.record(conn, incoming.update_key, now)
        if forged:  # only the update's id is kept, so that it is not looked at again
            return _Handled(Outcome(handled=False, enqueued=0, forged=True))
        if not self.admission.admits(incoming.user_id):  # likewise
            return _Handled(Outcome(handled=False, enqueued=0, refused=True))
        verdict = self._admit(incoming, now)
        if verdict is Verdict.SERVE:
            touched, forgotten = await self._serve(conn, incoming, now, greeting)
        else:
            touched = await self._slow_down(conn, incoming, now, verdict)
            forgotten = False
        outcome = Outcome(handled=True, enqueued=len(touched), limited=verdict is not Verdict.SERVE)
        return _Handled(outcome, touched, forgotten)

    async def _after_commit(self, done: Sequence[_Handled]) -> None:
        if any(item.forgotten for item in done):
            await self.db.checkpoint()  # no copy of the deleted rows left in the log
        touched: set[str] = set()
        for item in done:
            touched |= item.touched
        if touched and self.on_enqueued:
            self.on_enqueued(touched)

    async def _serve(
        self, conn: aiosqlite.Connection, incoming: Incoming, now: dt.datetime, greeting: bool
    ) -> tuple[set[str], bool]:
        """Route the event and store the answers; returns the transports that got rows and
        whether the person was forgotten (/unohda)."""
        ctx = await self._context(conn, incoming, now)
        async with savepoint(conn, "step") as step:
            try:
                await self._step(step, ctx, greeting)
                touched = await self._finish(conn, ctx, now)
            except Exception as error:
                # A bug in a step, or in rendering its replies: the person gets a kind
                # answer and the menu; the step's own writes are undone.
                self._log_failure(incoming, error)
                await self._rollback_step(step, ctx)
                ctx.state = None
                ctx.reply("error.internal")
                self._main_menu(ctx)
                try:
                    touched = await self._finish(conn, ctx, now)
                except Exception as second:
                    self._log_failure(incoming, second)
                    touched = set()
        return touched, ctx.forgotten

    # --- the gate ------------------------------------------------------------------------
    def _rules(self, incoming: Incoming) -> Inbound:
        return self.inbound.get(incoming.platform) or Inbound()

    def _forged(self, incoming: Incoming) -> bool:
        """A private-chat event whose chat is not its sender's, where they must be equal."""
        if incoming.is_group_chat or incoming.chat_id == incoming.user_id:
            return False
        if not self._rules(incoming).private_chat_is_user:
            return False
        log.warning(
            "dropped update %s: private chat %s is not that of its sender %s",
            incoming.update_key,
            incoming.chat_id,
            incoming.user_id,
        )
        return True

    def _private(self, incoming: Incoming) -> bool:
        """Whether the event's chat is its sender's private chat with the bot: not a group,
        on the sender's own platform and, where a private chat's id is the person's id, that
        id (the forged ones never get this far)."""
        if incoming.is_group_chat or outbox.transport_of(incoming.chat_id) != incoming.platform:
            return False
        return (
            incoming.chat_id == incoming.user_id or not self._rules(incoming).private_chat_is_user
        )

    def _admit(self, incoming: Incoming, now: dt.datetime) -> Verdict:
        if self.rate_limit is None or not self._rules(incoming).rate_limited:
            return Verdict.SERVE
        verdict = self.rate_limit.admit(incoming.user_id, now)
        if verdict is Verdict.WARN:
            log.info("rate limit: %s is sending too fast", incoming.user_id)
        return verdict

    async def _slow_down(
        self, conn: aiosqlite.Connection, incoming: Incoming, now: dt.datetime, verdict: Verdict
    ) -> set[str]:
        """Over the limit: the first of a burst gets one short answer, the rest nothing."""
        if verdict is not Verdict.WARN:
            return set()
        person = await users.get(conn, incoming.user_id)
        locale = person.locale if person else normalise_locale(incoming.locale_hint)
        stored = await self.enqueue_reply(
            conn,
            chat_id=incoming.chat_id,
            user_id=incoming.user_id,
            locale=locale,
            replies=[Reply("error.slow_down")],
            now=now,
            position=None,
        )
        return {outbox.transport_of(incoming.chat_id)} if stored else set()

    async def wants_file(self, user_id: str, chat_id: str) -> bool:
        """The port transports ask before fetching a file a person sent: does the person's
        conversation in this chat stand at a step that takes files (and would the event be
        served at all)? Reads only; nothing is counted or stored."""
        probe = Incoming(user_id=user_id, chat_id=chat_id)
        if not self.admission.admits(user_id):
            return False
        if chat_id != user_id and self._rules(probe).private_chat_is_user:
            return False  # a forged private chat (a group's file is not asked about)
        if (
            self.rate_limit is not None
            and self._rules(probe).rate_limited
            and self.rate_limit.limited(user_id, self.clock())
        ):
            return False
        async with self.db.transaction() as conn:
            state = resume(self.services.registry, await conversations.load(conn, user_id, chat_id))
        return self._file_step(state) is not None

    async def _step(self, step: Savepoint, ctx: Context, greeting: bool = False) -> None:
        """Route the event and ask the next question; expected refusals are answered here."""
        try:
            if greeting:
                await self._greet(ctx)
            else:
                await self._route(ctx)
            await self._run_prompts(ctx)
        except InvalidInput as error:
            await self._rollback_step(step, ctx)
            ctx.replies.append(Reply(error.key, dict(error.params)))
        except NotAllowed:
            await self._rollback_step(step, ctx)
            ctx.reply("error.not_allowed")

    async def _finish(self, conn: aiosqlite.Connection, ctx: Context, now: dt.datetime) -> set[str]:
        """Save where the conversation stands and write the replies to the outbox."""
        incoming = ctx.incoming
        if not ctx.forgotten:
            self._check_buttons(ctx)
            await conversations.save(conn, incoming.user_id, incoming.chat_id, ctx.state, now)
        return await self._enqueue(conn, ctx, now)

    # ------------------------------------------------------------------------------------
    async def _context(
        self, conn: aiosqlite.Connection, incoming: Incoming, now: dt.datetime
    ) -> Context:
        user = await users.touch(
            conn,
            incoming.user_id,
            incoming.chat_id,
            locale=normalise_locale(incoming.locale_hint),
            now=now,
            private_chat=self._private(incoming),
        )
        released = await private_chats.seen_in_chat(
            conn, user, incoming.chat_id, incoming.is_group_chat, now, self.transports
        )
        roles = await self.roles_of(conn, incoming.user_id)
        state = resume(
            self.services.registry,
            await conversations.load(conn, incoming.user_id, incoming.chat_id),
        )
        ctx = Context(
            incoming=incoming,
            user=user,
            roles=roles,
            conn=conn,
            services=self.services,
            state=state,
            now=now,
        )
        if released:
            ctx.wake.add(user.transport)
        return ctx

    async def roles_of(self, conn: aiosqlite.Connection, user_id: str) -> Roles:
        rows = await memberships.active_for(conn, user_id)
        return Roles(
            is_admin=user_id in self.services.admins,
            coordinator_of=frozenset(m.project for m in rows if m.role == "coordinator"),
            participant_of=frozenset(m.project for m in rows if m.role == "participant"),
        )

    async def _rollback_step(self, step: Savepoint, ctx: Context) -> None:
        await step.rollback()
        ctx.replies.clear()
        ctx.notices.clear()
        ctx.next_step = None
        ctx.running = None
        ctx.prompted = False
        ctx.forgotten = False
        ctx.state = resume(
            self.services.registry,
            await conversations.load(ctx.conn, ctx.incoming.user_id, ctx.incoming.chat_id),
        )

    # ------------------------------------------------------------------------------------
    async def _route(self, ctx: Context) -> None:
        incoming = ctx.incoming
        token = incoming.button_token
        text = clean_text(incoming.text) if incoming.text is not None else None
        transport = outbox.transport_of(incoming.chat_id)
        has_file = incoming.attachment is not None or incoming.refused_file is not None
        if (
            token is None
            and not has_file  # a file's caption "2" is not option 2
            and text is not None
            and is_digits(text)  # not "²", which isdigit() takes and int() refuses
            and len(text) <= 2
            and self.transports.numbers_buttons(transport)
        ):
            token = await button_store.numbered_token(ctx.conn, incoming.chat_id, int(text))
        if token is not None:
            await self._press(ctx, token)
            return
        if has_file:
            await self._file(ctx, text)
            return
        if not text:
            ctx.reply("error.text_only")
            return
        if len(text) > MAX_TEXT_LENGTH:
            ctx.reply("error.too_long", limit=MAX_TEXT_LENGTH)
            return
        if text[0] in "/!" and len(text) > 1 and not text[1].isspace():
            await self._command(ctx, text)
            return
        typed = self.services.registry.command_typed(text, ctx.locale, ctx.state is not None)
        if typed is not None and typed.visible(ctx.roles):  # "apua", "peru", "hjälp"
            ctx.args = ""
            await typed.action(ctx)
            return
        ctx.text = text
        if self.services.registry.typed_answer is not None and await self._typed_answer(ctx):
            return
        if ctx.state is not None:
            await self._current_step(ctx)
        elif self.services.registry.free_text is not None:
            await self.services.registry.free_text(ctx)
        else:
            ctx.reply("error.unknown_input")
            self._main_menu(ctx)

    async def _typed_answer(self, ctx: Context) -> bool:
        """Offer typed text as an answer to the bot's last question, unless the person is
        at a step that takes text itself (and whose flow does not let answers go first)."""
        state = ctx.state
        if state is not None:
            flow = self.services.registry.flows.get(state.flow)
            step = flow.steps.get(state.step) if flow else None
            first = flow is not None and state.step in flow.answers_first
            if flow is not None and step is not None and step.typed and not first:
                return False
            if ways.is_back(ctx.text):  # the way back belongs to the step, in every flow
                return False
        hook = self.services.registry.typed_answer
        assert hook is not None
        return await hook(ctx)

    async def _press(self, ctx: Context, token: str) -> None:
        target = await button_store.resolve(ctx.conn, ctx.incoming.chat_id, token)
        if target is None:
            ctx.reply("error.old_button")
            self._main_menu(ctx)
            return
        ctx.payload = target.payload
        prefix = target.payload.split(":", 1)[0]
        action = self.services.registry.global_payloads.get(prefix)
        if action is not None:
            await action(ctx)
            return
        state = ctx.state
        where = (target.flow, target.step)
        if target.flow is not None and target.step is not None:  # a step of an older version
            where = self.services.registry.resumed_position(target.flow, target.step)
        if state is not None and where == (state.flow, state.step):
            await self._current_step(ctx)
            return
        ctx.reply("error.old_button")
        if state is not None:
            ctx.next_step = state.step  # ask the current question again
        else:
            self._main_menu(ctx)

    async def _command(self, ctx: Context, text: str) -> None:
        word, _, args = text[1:].partition(" ")
        name = word.split("@", 1)[0]
        command: Command | None = self.services.registry.command_named(name)
        if command is None or not command.visible(ctx.roles):
            ctx.reply("error.unknown_command")
            return
        ctx.args = args.strip()
        await command.action(ctx)

    def _file_step(self, state: conversations.ConversationState | None) -> Step | None:
        """The conversation's current step if it takes files."""
        flow = self.services.registry.flows.get(state.flow) if state else None
        step = flow.steps.get(state.step) if flow and state else None
        return step if step is not None and step.takes_files else None

    async def _file(self, ctx: Context, caption: str | None) -> None:
        """A file or picture: only a step that takes files gets it (caption as the text).

        A file the transport did not fetch because no step wanted it (``not_wanted``) gets
        the same answer; if the step changed meanwhile, the person is asked to send again.
        """
        step = self._file_step(ctx.state)
        if step is None:
            ctx.reply("error.no_file_here")
            return
        if ctx.incoming.attachment is None:  # sent, but the transport did not take it
            if ctx.incoming.refused_file == "too_large":
                ctx.reply("error.file_too_large", limit=FILE_LIMIT // (1024 * 1024))
            else:
                ctx.reply("error.file_unreadable")
            return
        ctx.text = caption or None
        assert ctx.state is not None
        ctx.running = (ctx.state.flow, ctx.state.step)
        await self._answer(ctx, step)

    async def _current_step(self, ctx: Context) -> None:
        state = ctx.state
        assert state is not None
        flow = self.services.registry.flows.get(state.flow)
        step = flow.steps.get(state.step) if flow else None
        if step is None:
            # The flow changed between versions: start over politely.
            ctx.end()
            ctx.reply("error.conversation_reset")
            self._main_menu(ctx)
            return
        if ctx.payload is None and ways.is_back(ctx.text):
            self._go_back(ctx, state)
            return
        # What the step does not take is answered here, the same for every flow: typed text
        # (or a button of another family) where only buttons do. An option's text typed at
        # a step with buttons ("yhdistys") is a press of that option.
        if ctx.payload is not None and not step.takes_button(ctx.payload):
            raise ctx.use_buttons()
        asks_again = False
        if ctx.payload is None and ctx.text and step.families:
            ctx.payload, asks_again = await self._typed_option(ctx, step)
        if ctx.payload is None and not step.typed:
            # Not understood: say so and show the options again (when the step's prompt
            # shows them; one that failed on a copy is not run again).
            ctx.reply(flow.use_buttons_key() if flow else "error.unknown_input")
            if asks_again:
                ctx.next_step = state.step
            return
        ctx.running = (state.flow, state.step)
        await self._answer(ctx, step)

    async def _answer(self, ctx: Context, step: Step) -> None:
        """Run the step's handle; an answer that moves on is remembered for the way back."""
        state = ctx.state
        assert state is not None
        before = conversations.ConversationState(state.flow, state.step, stack=list(state.stack))
        visit = ways.visit_of(state)
        await step.handle(ctx)
        ways.remember(before, visit, ctx.state)

    def _go_back(self, ctx: Context, state: conversations.ConversationState) -> None:
        """A back word: the question before, or (at a flow's first) this one again."""
        back = ways.went_back(self.services.registry, state)
        if back is None:
            ctx.reply("ways.no_back")
            ctx.next_step = state.step
            return
        ctx.state = back
        ctx.reply("ways.went_back")
        ctx.next_step = back.step

    async def _typed_option(self, ctx: Context, step: Step) -> tuple[str | None, bool]:
        """The payload of the option of ``step`` that the typed text names, if exactly one
        (:func:`~handlers.domain.option_match.pick_option`); where the step also takes text,
        only the whole label counts. The options are what the step's prompt shows now: it is
        run on a copy of the conversation, and whatever it wrote is undone. The second value
        says whether that prompt ran and showed options (so it may ask again)."""
        state = ctx.state
        assert state is not None and ctx.text is not None
        probe = Context(
            incoming=ctx.incoming,
            user=ctx.user,
            roles=ctx.roles,
            conn=ctx.conn,
            services=self.services,
            state=copy.deepcopy(state),
            now=ctx.now,
        )
        probe.running = (state.flow, state.step)
        async with savepoint(ctx.conn, "typed_option") as point:
            try:
                await step.prompt(probe)
            except Exception as error:  # a prompt that cannot run here offers nothing
                log.info("options not read: error=%s", type(error).__name__)
                return None, False
            finally:
                await point.rollback()
        offered = [
            button
            for reply in probe.replies
            for row in reply.buttons
            for button in row
            if step.takes_button(button.payload)
        ]
        labels = [
            self.services.rendering.plain(ctx.locale, button.label_key, button.params)
            for button in offered
        ]
        index = pick_option(ctx.text, labels, ctx.locale, whole=step.typed)
        return (offered[index].payload if index is not None else None), bool(offered)

    async def _run_prompts(self, ctx: Context) -> None:
        for _ in range(_MAX_PROMPT_CHAIN):
            if ctx.next_step is None or ctx.state is None:
                return
            step_name = ctx.next_step
            ctx.next_step = None
            flow = self.services.registry.flows[ctx.state.flow]
            ctx.running = (flow.name, step_name)
            if not flow.steps[step_name].way_back:
                ctx.state.back = []  # the answers before were dropped on purpose
            await flow.steps[step_name].prompt(ctx)
            ctx.prompted = True
            if ctx.next_step is None and ctx.state is not None and ctx.state.step == step_name:
                hint = ways.hint_key(self.services.registry, ctx.state, step_name)
                if hint is not None:
                    ctx.reply(hint)
        raise RuntimeError("prompts keep moving the conversation")

    def _check_buttons(self, ctx: Context) -> None:
        """Every button sent must be answerable: a global payload, or a family the step the
        conversation now stands at takes (a button nobody takes is a programming error)."""
        registry = self.services.registry
        flow = registry.flows.get(ctx.state.flow) if ctx.state else None
        step = flow.steps.get(ctx.state.step) if flow and ctx.state else None
        for reply in ctx.replies:
            for row in reply.buttons:
                for button in row:
                    if registry.is_global(button.payload):
                        continue
                    if step is None or not step.takes_button(button.payload):
                        where = f"{flow.name}.{ctx.state.step}" if flow and ctx.state else "none"
                        raise FlowError(f"step {where} does not take the buttons it sent")

    async def _greet(self, ctx: Context) -> None:
        """The answer to being brought into a chat: the greeting of /start."""
        from handlers.common.start import start  # the greeting lives with /start

        ctx.args = ""
        await start(ctx)

    def _main_menu(self, ctx: Context) -> None:
        from handlers.common.start import main_menu  # the menu lives with /start

        main_menu(ctx)

    # ------------------------------------------------------------------------------------
    async def _enqueue(
        self, conn: aiosqlite.Connection, ctx: Context, now: dt.datetime
    ) -> set[str]:
        """Store the step's replies and notices; returns the transports that got rows."""
        touched: set[str] = set()
        position = (ctx.state.flow, ctx.state.step) if ctx.state else None
        chat_id = ctx.incoming.chat_id
        if (
            ctx.prompted
            and self.transports.numbers_buttons(outbox.transport_of(chat_id))
            and not any(reply.buttons for reply in ctx.replies)
        ):
            # The new question has no options, so a number typed now is an answer to it,
            # not a press of an older keyboard's button.
            await button_store.forget_keyboard(conn, chat_id)
        for group in group_replies(ctx.replies):
            if ctx.forgotten:
                # The farewell of /unohda: no buttons (nothing may point back), and the row is
                # deleted once it ends (see :mod:`bot.delivery`).
                group = [dataclasses.replace(reply, buttons=()) for reply in group]
            if await self.enqueue_reply(
                conn,
                chat_id=ctx.incoming.chat_id,
                user_id=ctx.incoming.user_id,
                locale=ctx.user.locale,
                replies=group,
                now=now,
                position=None if ctx.forgotten else position,
                farewell=ctx.forgotten,
            ):
                touched.add(outbox.transport_of(ctx.incoming.chat_id))
        for notice in ctx.notices:
            transport = await self.enqueue_notice(conn, notice, now)
            if transport:
                touched.add(transport)
        if ctx.incoming.is_group_chat and not ctx.forgotten:
            # Someone seen here with messages waiting for a private chat: tell them (once a
            # day), in words that say nothing about what waits.
            person = await users.get(conn, ctx.incoming.user_id)
            hint = person and await private_chats.hint_for(conn, self.services, person, now)
            if hint and await self.enqueue_reply(
                conn,
                chat_id=chat_id,
                user_id=ctx.incoming.user_id,
                locale=ctx.user.locale,
                replies=[hint],
                now=now,
                position=None,
            ):
                touched.add(outbox.transport_of(chat_id))
        return touched | ctx.wake

    async def enqueue_notice(
        self, conn: aiosqlite.Connection, notice: Notice, now: dt.datetime
    ) -> str | None:
        """Send ``notice`` to its person's private chat, or hold it until they open one
        (:func:`storage.held_notices.to_person`); returns the transport if it is in the
        outbox now."""
        person = await users.get(conn, notice.user_id)
        if person is None or person.unreachable:
            return None
        # A notice's key often names people ("talk:<meeting>:<participant>:<coordinator>"):
        # stored as a keyed hash, it stays unique and names nobody (kept after /unohda).
        dedupe_key = None
        if notice.dedupe_key is not None:
            kind = notice.dedupe_key.split(":", 1)[0]
            dedupe_key = f"{kind}:{await keyed.hashed(conn, 'notice', notice.dedupe_key)}"
        about = await person_refs.ref_of(conn, notice.about) if notice.about else None
        reply = notice.reply
        stored = await held_notices.to_person(
            conn,
            person,
            numbered_buttons=self.transports.numbers_buttons(person.transport),
            html=self.renderer.text(person.locale, reply.key, reply.params),
            now=now,
            buttons=render_buttons(self.renderer, person.locale, reply.buttons),
            document=reply.document,
            dedupe_key=dedupe_key,
            not_before=notice.not_before,
            about=about,
        )
        return stored.transport if stored is not None and not stored.held else None

    async def enqueue_reply(
        self,
        conn: aiosqlite.Connection,
        *,
        chat_id: str,
        user_id: str | None,
        locale: str,
        replies: Sequence[Reply],
        now: dt.datetime,
        position: tuple[str, str] | None,
        dedupe_key: str | None = None,
        not_before: dt.datetime | None = None,
        about: str | None = None,
        farewell: bool = False,
        kind: str = outbox.MESSAGE,
    ) -> bool:
        """Render replies in ``locale`` as one message and store it; False for a duplicate.
        ``kind``: :data:`storage.outbox.UNENCRYPTED` for a notice that must be readable
        without the chat's keys."""
        html = "\n\n".join(self.renderer.text(locale, r.key, r.params) for r in replies)
        rows = render_buttons(self.renderer, locale, [row for r in replies for row in r.buttons])
        document = next((r.document for r in replies if r.document is not None), None)
        item = await outbox.enqueue(
            conn,
            chat_id=chat_id,
            user_id=user_id,
            html=html,
            now=now,
            buttons=rows,
            document=document,
            position=position,
            not_before=not_before,
            dedupe_key=dedupe_key,
            numbered_buttons=self.transports.numbers_buttons(outbox.transport_of(chat_id)),
            about=about,
            farewell=farewell,
            kind=kind,
        )
        return item is not None

    def _log_failure(self, incoming: Incoming, error: Exception) -> None:
        # Type and code location only: exception messages may quote what the person typed.
        frames = traceback.extract_tb(error.__traceback__)
        where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames[-4:])
        log.error(
            "step failed: update=%s error=%s at %s",
            incoming.update_key,
            type(error).__name__,
            where,
        )


def render_buttons(
    renderer: Renderer, locale: str, rows: Sequence[Sequence[Button]]
) -> list[list[tuple[str, str]]]:
    """Button rows as (label text, payload); labels are plain text, not HTML."""
    from bot.markup import html_to_plain

    return [
        [(html_to_plain(renderer.text(locale, b.label_key, b.params)), b.payload) for b in row]
        for row in rows
    ]


def group_replies(replies: Sequence[Reply]) -> list[list[Reply]]:
    """Group consecutive text replies into one message (platforms pace each message).

    A reply with a file stays on its own; buttons of grouped replies are kept in order.
    """
    groups: list[list[Reply]] = []
    for reply in replies:
        if reply.document is None and groups and groups[-1][-1].document is None:
            groups[-1].append(reply)
        else:
            groups.append([reply])
    return groups
