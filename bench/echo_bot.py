"""The baseline of ``bench/conversation.py``: a bare python-telegram-bot echo bot that keeps
nothing. It polls the same fake Bot API server as hankebot and answers every text message
with one message (the text back), so the pipeline around it (polling, PTB objects, httpx,
one send per update) is what hankebot is compared with.

Run as its own process: ``python -m bench.echo_bot TOKEN BASE_URL``.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


def main(argv: list[str]) -> int:
    token, base_url = argv
    application = (
        Application.builder().token(token).base_url(base_url).concurrent_updates(False).build()
    )
    application.add_handler(MessageHandler(filters.TEXT, _echo))
    application.run_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
