# The base image. Pin it by digest so that a rebuild gets the very same image:
#   docker buildx imagetools inspect python:3.11-slim-bookworm   (the "Digest:" line)
# and write it as  FROM python:3.11-slim-bookworm@sha256:<that digest>.
# NOT PINNED YET: this repository was made on machines that cannot reach the image registry,
# so no digest could be checked, and an unchecked one is worse than none. Pin it on the
# first build (README, "Running it for real"); a test checks a written digest's form.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HANKEBOT_DATABASE=/data/hankebot.sqlite3

RUN useradd --create-home --uid 10001 hankebot \
    && mkdir -m 0700 /data && chown hankebot:hankebot /data

WORKDIR /app
# The exact versions and file hashes of requirements/run.txt (the bot with charts), then the
# project itself without dependencies: nothing outside the lock gets in.
COPY requirements/run.txt ./requirements/run.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/run.txt
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY messages ./messages
COPY content ./content
RUN pip install --no-cache-dir --no-deps .

USER hankebot
VOLUME ["/data"]
WORKDIR /data
CMD ["hankebot", "run"]
