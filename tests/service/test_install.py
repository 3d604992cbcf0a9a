"""The install the Dockerfile makes, made here: the built wheel in a fresh virtual environment,
started against the fake Bot API, answering /healthz and a person.

No container daemon runs on the machines this project is tested on, so the image itself is
not built; this is the same wheel, the same pinned dependencies and the same command. It
takes a minute or two (a virtual environment of its own), so it runs on the SQLite pass only:
the database under test does not change what gets installed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

from bot.migrations import PROJECT_ROOT
from tests.harness import TEST_TOKEN, eventually
from tests.service.conftest import ON_POSTGRES, free_port

pytestmark = pytest.mark.skipif(
    ON_POSTGRES,
    reason="installs the same wheel whatever the database; runs once, on the SQLite pass",
)


def run(*command: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def installed(tmp_path) -> Path:
    """The Python of a fresh virtual environment with the built wheel installed."""
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", wheels, PROJECT_ROOT)
    (wheel,) = wheels.glob("exercise_therapy_bot-*.whl")
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--only-binary=:all:",
        "--constraint",
        PROJECT_ROOT / "constraints.txt",
        wheel,
    )
    return python


def start(python: Path, workdir: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [python, "-m", "bot", "run"], cwd=workdir, env=env, stdout=log, stderr=log
        )


async def test_the_built_wheel_installs_and_runs(installed, tmp_path, telegram_server, tg):
    python = installed
    # Started away from the checkout, so only the installed package can be imported.
    workdir = tmp_path / "run"
    workdir.mkdir()
    port = free_port()
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE_URL=f"{telegram_server.base_url}/bot",
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir}/bot.db",
        WEB_PORT=str(port),
        LOG_FORMAT="json",
    )
    log_path = tmp_path / "bot.log"
    process = start(python, workdir, env, log_path)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web:

            async def ready() -> bool:
                assert process.poll() is None, log_path.read_text()
                try:
                    return (await web.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=120, interval=0.5)
            assert (await web.get("/healthz")).text == "ok\n"
        alex = tg.user("Alex")
        await alex.send("/start")
        await alex.expect("Hi ", timeout=20)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text()
    where = run(python, "-c", "import bot; print(bot.__file__)", cwd=workdir)
    assert where.startswith(str(tmp_path / "venv")), "the bot did not run from the wheel"
    assert "is at revision" in log
    assert "Traceback" not in log
