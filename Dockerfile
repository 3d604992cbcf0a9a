# The bot as a container: `docker build -t exercise-therapy-bot .` (see README, "Running as a
# service"). Two stages: the first installs the bot and its dependencies into a virtual
# environment (from wheels only: no compilers anywhere), the second copies that environment
# into a clean image and runs it as a user without privileges.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
# bot/alembic is a link to alembic/: both are needed to build the wheel.
COPY alembic ./alembic
COPY bot ./bot
COPY handlers ./handlers
COPY jobs ./jobs
COPY web ./web
# The same steps as tests/service/test_install.py: build the wheel, install it with its
# pinned dependencies into a fresh virtual environment.
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/bot \
    && /opt/bot/bin/pip install --only-binary=:all: --constraint constraints.txt /wheels/*.whl \
    && /opt/bot/bin/python -c "import bot.runtime, web.app"

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /home/bot bot \
    && mkdir -p /data && chown bot /data
COPY --from=build /opt/bot /opt/bot
ENV PATH=/opt/bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    DATABASE_URL=sqlite+aiosqlite:////data/bot.db \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080
USER bot
WORKDIR /home/bot
VOLUME ["/data"]
EXPOSE 8080
# /healthz answers while the event loop does; /readyz (for a load balancer) says more.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8080'), timeout=4)"]
# SIGTERM stops it gracefully (SHUTDOWN_GRACE_SECONDS); give the container more than that.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
