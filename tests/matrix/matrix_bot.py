"""The real bot as a ``hankebot run`` process, and a person on Matrix (a nio client) talking to it.

``BotProcess`` starts ``python -m bot run`` with only Matrix configured (no Telegram token),
its own database, and its log captured to a file. ``Human`` is a nio client (with its own
crypto store for encrypted chats) that opens rooms with the bot; ``MatrixDriver`` implements
``tests.e2e.driver.ChatDriver`` on one such room, so the shared scenarios run on Matrix.
"""

from __future__ import annotations

import asyncio
import io
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    MatrixRoom,
    MegolmEvent,
    MemoryDownloadResponse,
    RoomCreateResponse,
    RoomEncryptedMedia,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)
from nio.crypto.attachments import decrypt_attachment

from bot.markup import html_to_plain
from tests.catalog_labels import first_line
from tests.e2e.driver import SeenMessage
from tests.processes import clean_environment

from .synapse_server import MatrixUser, SynapseServer

ROOT = Path(__file__).resolve().parents[2]
MEGOLM = "m.megolm.v1.aes-sha2"
_OPTION = re.compile(r"^(\d+)\. (.+)$")


class BotProcess:
    """``python -m bot run`` serving one Matrix account; SIGKILL-able."""

    def __init__(
        self,
        server: SynapseServer,
        account: MatrixUser,
        workdir: Path,
        *,
        use_access_token: bool = False,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.database = workdir / "bot.sqlite3"
        self.log_path = workdir / "bot.log"
        env = clean_environment()
        env.update(
            {
                "HANKEBOT_DATABASE": str(self.database),
                "HANKEBOT_MATRIX_HOMESERVER": server.url,
                "HANKEBOT_MATRIX_USER": account.user_id,
                "HANKEBOT_LOG_LEVEL": "INFO",
                "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if use_access_token:
            env["HANKEBOT_MATRIX_ACCESS_TOKEN"] = account.access_token
        else:
            env["HANKEBOT_MATRIX_PASSWORD"] = account.password
        env.update(extra_env or {})
        self.env = env
        self.account = account
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 30.0) -> None:
        """Start the bot and wait until its Matrix transport says it is running."""
        assert self.process is None or self.process.poll() is not None
        before = self.log().count("matrix transport started")
        with self.log_path.open("ab") as output:
            # cwd is the work dir, so no developer's .env is read.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while self.log().count("matrix transport started") <= before:
            if self.process.poll() is not None:
                raise RuntimeError(f"bot exited with {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"bot did not start within {timeout} s:\n{self.tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as in a power cut or an OOM kill."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int | None:
        """SIGTERM (a clean stop), SIGKILL after 10 s; returns the exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        return process.returncode

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    with suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def parse_options(body: str) -> tuple[str, list[str]]:
    """Split a notice into its text and the numbered options of its last ``1. …`` block."""
    lines = body.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("1. ")]
    if not starts:
        return body, []
    start = starts[-1]
    labels: list[str] = []
    for line in lines[start:]:
        match = _OPTION.match(line)
        if match is None or int(match.group(1)) != len(labels) + 1:
            break
        labels.append(match.group(2))
    return "\n".join(lines[:start]).rstrip(), labels


class Human:
    """A person's Matrix client: syncs in the background and opens rooms with the bot."""

    def __init__(self, server: SynapseServer, user: MatrixUser, store_dir: Path | None) -> None:
        encrypted = store_dir is not None
        if store_dir is not None:
            store_dir.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            server.url,
            user.user_id,
            device_id=user.device_id,
            store_path=str(store_dir) if store_dir else "",
            config=AsyncClientConfig(
                encryption_enabled=encrypted, max_timeouts=3, request_timeout=20
            ),
        )
        self.client.restore_login(user.user_id, user.device_id, user.access_token)
        self.user = user
        self.server = server
        self.events: list[tuple[MatrixRoom, Event]] = []
        self.new_event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.client.add_event_callback(self._on_event, Event)

    async def _on_event(self, room: MatrixRoom, event: Event) -> None:
        self.events.append((room, event))
        self.new_event.set()

    async def __aenter__(self) -> Human:
        if self.client.olm is not None:
            await self.client.keys_upload()
        first = await self.client.sync(timeout=0, full_state=True)
        assert isinstance(first, SyncResponse), first
        self.events.clear()  # history is not what this test is about
        self._task = asyncio.create_task(self.client.sync_forever(timeout=5_000))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

    def check_alive(self) -> None:
        if self._task is not None and self._task.done() and not self._task.cancelled():
            self._task.result()
            raise AssertionError("the person's sync loop stopped")

    async def open_chat(
        self, bot_user_id: str, *, encrypted: bool, greeting: bool = True
    ) -> MatrixDriver:
        """Invite the bot to a new room (an encrypted direct chat as Element makes it, or a
        plain private room), wait for it to join and (by default) to greet."""
        if encrypted:
            created = await self.client.room_create(
                is_direct=True,
                preset=RoomPreset.trusted_private_chat,
                invite=[bot_user_id],
                initial_state=[
                    {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
                ],
            )
        else:
            created = await self.client.room_create(name="hankebot", invite=[bot_user_id])
        assert isinstance(created, RoomCreateResponse), created
        driver = MatrixDriver(self, created.room_id, bot_user_id, encrypted=encrypted)
        if greeting:
            [hello] = await driver.replies()
            assert hello.text.startswith(first_line("start.greeting")), hello.text
        return driver


class MatrixDriver:
    """``ChatDriver`` for one room between a ``Human`` and the bot."""

    command_prefix = "!"

    def __init__(self, human: Human, room_id: str, bot_user_id: str, *, encrypted: bool) -> None:
        self.human = human
        self.room_id = room_id
        self.bot_user_id = bot_user_id
        self.encrypted = encrypted
        self.consumed = 0
        self.seen: list[SeenMessage] = []
        self.sent_at: float = 0.0

    def _from_bot(self) -> list[Event]:
        return [
            event
            for room, event in self.human.events
            if room.room_id == self.room_id
            and event.sender == self.bot_user_id
            and isinstance(
                event, (RoomMessageNotice, RoomMessageMedia, RoomEncryptedMedia, MegolmEvent)
            )
        ]

    async def send(self, text: str) -> None:
        self.sent_at = time.monotonic()
        response = await self.human.client.room_send(
            self.room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        assert isinstance(response, RoomSendResponse), response

    async def send_file(
        self,
        name: str,
        data: bytes,
        mime_type: str,
        *,
        caption: str | None = None,
        declared_size: int | None = None,
    ) -> None:
        """Upload a file (encrypted in an encrypted room) and send it as Element does:
        ``m.image`` for pictures, ``m.file`` otherwise; a caption in the newer form
        (``body`` the caption, ``filename`` the name). ``declared_size`` makes the event
        lie about the size, as a modified client could."""
        self.sent_at = time.monotonic()
        upload, keys = await self.human.client.upload(
            io.BytesIO(data),
            content_type=mime_type,
            filename=name,
            encrypt=self.encrypted,
            filesize=len(data),
        )
        assert isinstance(upload, UploadResponse), upload
        content: dict[str, Any] = {
            "msgtype": "m.image" if mime_type.startswith("image/") else "m.file",
            "body": caption or name,
            "filename": name,
            "info": {
                "size": len(data) if declared_size is None else declared_size,
                "mimetype": mime_type,
            },
        }
        if self.encrypted:
            assert keys is not None
            content["file"] = {**keys, "url": upload.content_uri, "mimetype": mime_type}
        else:
            content["url"] = upload.content_uri
        response = await self.human.client.room_send(
            self.room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response

    async def press(self, label: str) -> None:
        for message in reversed(self.seen):
            if label in message.labels:
                await self.send(str(message.labels.index(label) + 1))
                return
        raise AssertionError(f"no option {label!r} in {[m.labels for m in self.seen]}")

    async def replies(self, count: int = 1, timeout: float = 20.0) -> list[SeenMessage]:
        async with asyncio.timeout(timeout):
            while True:
                self.human.new_event.clear()
                events = self._from_bot()
                if len(events) >= self.consumed + count:
                    break
                self.human.check_alive()
                await self.human.new_event.wait()
        new = events[self.consumed : self.consumed + count]
        self.consumed += count
        seen = [await self._seen(event) for event in new]
        self.seen.extend(seen)
        return seen

    async def no_more_replies(self, wait: float = 1.5) -> None:
        await asyncio.sleep(wait)
        extra = self._from_bot()[self.consumed :]
        assert not extra, [getattr(e, "body", type(e).__name__) for e in extra]

    async def _seen(self, event: Event) -> SeenMessage:
        assert not isinstance(event, MegolmEvent), "the person could not decrypt the bot's message"
        content: dict[str, Any] = event.source["content"]
        if self.encrypted:
            assert event.decrypted, "a message in an encrypted room arrived unencrypted"
        body = str(content.get("body", ""))
        file: tuple[str, bytes] | None = None
        if isinstance(event, (RoomMessageMedia, RoomEncryptedMedia)):
            name = str(content.get("filename") or body)
            download = await self.human.client.download(mxc=event.url)
            assert isinstance(download, MemoryDownloadResponse), download
            data = download.body
            if isinstance(event, RoomEncryptedMedia):
                data = decrypt_attachment(data, event.key["k"], event.hashes["sha256"], event.iv)
            file = (name, data)
            if body == name:
                body = ""  # no caption
        if "formatted_body" in content:
            # The HTML and the plain body say the same, options included.
            assert content["format"] == "org.matrix.custom.html"
            shown = html_to_plain(str(content["formatted_body"]).replace("<br>", "\n"))
            assert shown == body, (shown, body)
        text, labels = parse_options(body)
        return SeenMessage(text=text, labels=labels, file=file)
