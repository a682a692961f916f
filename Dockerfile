FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 bcbot && mkdir /data && chown bcbot:bcbot /data

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY config ./config
RUN pip install '.[postgres]' && rm -rf /src

USER bcbot
WORKDIR /data
ENV DATABASE_URL=sqlite:////data/bcbot.db
VOLUME ["/data"]
EXPOSE 3000

# HTTP mode answers /healthz (200 once the database is reachable); Socket Mode has no HTTP port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import os,sys,urllib.request; sys.exit(0) if os.environ.get('SLACK_APP_TOKEN') else sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"

CMD ["bcbot", "serve"]
