# retention-bot in HTTP mode: `docker build -t retention-bot .`, then
#   docker run -p 3000:3000 -v retention-data:/data \
#     -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET retention-bot
# (with SLACK_APP_TOKEN set instead of the signing secret it runs in Socket
# Mode, and the health check below only reports that the process is alive).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RETENTION_DB=/data/retention.db \
    PORT=3000

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY commands ./commands
COPY analytics ./analytics
COPY storage ./storage
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin retention \
    && mkdir -p /data && chown retention /data && chmod 700 /data

# The store (customers, orders, revenue) lives on the volume, owned by the
# unprivileged user; the database file itself is created with mode 0600.
VOLUME ["/data"]
USER retention
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0) if os.environ.get('SLACK_APP_TOKEN') else urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

# SIGTERM (docker stop) finishes the requests in flight, then exits 0.
CMD ["retention-bot", "run"]
