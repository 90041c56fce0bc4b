# The daemon in a container: `docker build -t ingester .` then
#   docker run -d -v ingester-data:/data ingester
# The archive lives on the /data volume; mount your own feed list over /app/config/feeds.toml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    INGESTER_CONFIG=/app/config/feeds.toml \
    INGESTER_DB=/data/archive.db

WORKDIR /app
# Dependencies first, from the lock file, so code changes do not reinstall them.
COPY requirements/run.lock requirements/replay.lock requirements/
RUN pip install --require-hashes -r requirements/run.lock
# pywb for `ingester replay`, in a virtualenv of its own beside the interpreter's prefix
# (requirements/replay.in says why), where the command looks for it.
RUN python -m venv /usr/local/replay \
    && /usr/local/replay/bin/pip install --require-hashes -r requirements/replay.lock
COPY pyproject.toml README.md ./
COPY ingester ingester
COPY config config
RUN pip install --no-deps --no-build-isolation .

RUN useradd --create-home --uid 10001 ingester \
    && mkdir /data && chown ingester:ingester /data
USER ingester
VOLUME ["/data"]

# Healthy while the daemon's heartbeat (written every tick) is fresh.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s CMD ["ingester", "status", "--check"]

CMD ["ingester", "run"]
