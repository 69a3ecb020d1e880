"""Hard stops clean up: no process of ours outlives a diplowatch killed with SIGKILL.

Prefect's temporary server runs in a session of its own (Ctrl-C must not reach it), so nothing
would stop it when its parent dies outright; it is started through a lifeline that asks the
kernel for SIGKILL when the parent dies (flows/prefect_runtime.py `with_lifeline`).

Waiting for a process to go uses a generous deadline, never a measured time: the assertion is
that it goes, not how fast.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from diplowatch.flows.prefect_runtime import with_lifeline

DEADLINE = 60.0  # seconds allowed for what should take a fraction of one


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the name (state first), or None if there is no process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"  # a zombie is dead, only not yet reaped


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(int(entry))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    except OSError:
        return []


def wait_until(condition: Callable[[], bool], what: str, limit: float = DEADLINE) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {limit:g} s: {what}")
        time.sleep(0.1)


PARENT = """
import subprocess, sys
from diplowatch.flows.prefect_runtime import with_lifeline
child = subprocess.Popen(with_lifeline(["/bin/sleep", "1000"]), start_new_session=True)
print(child.pid, flush=True)
sys.stdin.readline()
"""


def test_a_child_on_a_lifeline_dies_with_its_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        # the lifeline became the program it runs (exec: same pid), in a session of its own
        wait_until(lambda: cmdline(child)[:2] == ["/bin/sleep", "1000"], "the child to exec")
        assert os.getsid(child) == child != os.getsid(parent.pid)
        parent.kill()
        parent.wait()
        wait_until(lambda: not alive(child), f"child {child} to die with its parent")
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)
        for stream in (parent.stdin, parent.stdout):
            if stream is not None:
                stream.close()


def test_a_lifeline_whose_parent_is_gone_does_not_start() -> None:
    # the pid given as the parent's is not the child's parent: it exits before exec
    command = with_lifeline(["/bin/sleep", "1000"])
    command[3] = "1"
    done = subprocess.run(command, check=False, timeout=DEADLINE)
    assert done.returncode == 1


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def server_of(pid: int) -> tuple[int, int] | None:
    """(pid, port) of the temporary Prefect server started by `pid`, once it listens."""
    for child in children(pid):
        argv = cmdline(child)
        if argv[1:3] == ["-m", "uvicorn"] and "--port" in argv:
            port = int(argv[argv.index("--port") + 1])
            if listening(port):
                return child, port
    return None


@pytest.mark.slow
def test_prefect_s_temporary_server_dies_with_a_killed_diplowatch(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    # analysis in the flow's own process: the server is the one child this test is about
    (config / "settings.toml").write_text("[pipeline]\nworkers = 0\n", encoding="utf-8")
    # no API of the test session's: the command starts its own temporary server
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    run = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("diplowatch")),
            "demo",
            "--db",
            str(tmp_path / "demo.duckdb"),
            "--config",
            str(config),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    found: list[tuple[int, int]] = []
    try:

        def up() -> bool:
            server = server_of(run.pid)
            if server:
                found.append(server)
            return bool(server) or run.poll() is not None

        wait_until(up, "the temporary Prefect server to listen", limit=300)
        assert found, "the demo ended before its server was seen"
        server, port = found[0]
        assert os.getsid(server) != os.getsid(run.pid)  # out of our group: Ctrl-C spares it
        run.send_signal(signal.SIGKILL)
        run.wait()
        wait_until(lambda: not alive(server), f"server {server} to die with diplowatch")
        wait_until(lambda: not listening(port), f"port {port} to close")
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for pid, _ in found:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
