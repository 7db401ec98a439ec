FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HANKEBOT_DATABASE=/data/hankebot.sqlite3

RUN useradd --create-home --uid 10001 hankebot \
    && mkdir -m 0700 /data && chown hankebot:hankebot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY messages ./messages
COPY content ./content
RUN pip install --no-cache-dir .

USER hankebot
VOLUME ["/data"]
WORKDIR /data
CMD ["hankebot", "run"]
