"""A server under test: the application in its own process group, on a free local port.

Shared by ``bench/durability.py`` (killed and restarted mid-traffic) and ``bench/load.py``
(its memory read from ``/proc`` while clients run).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server command in its own process group, killable at once."""

    def __init__(
        self, command: list[str], port: int, env: dict[str, str], log_path: Path, cwd: Path
    ) -> None:
        self.command = command
        self.port = port
        self.env = env
        self.cwd = cwd
        self.log = log_path.open("ab")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the command (it must listen on ``self.port``)."""
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Wait until GET /healthz answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the server stopped at start (exit {self.process.returncode})")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the server did not become healthy within {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers), no goodbye."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Stop the server politely, or kill it after 20 s."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def memory(self) -> list[tuple[int, str, float]]:
        """(pid, name, resident MB) of the server and every process below it, from /proc."""
        if self.process is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                children.setdefault(int(fields[1]), []).append(int(entry.name))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop(0)
            todo += sorted(children.get(pid, []))
            try:
                status = (Path("/proc") / str(pid) / "status").read_text().splitlines()
            except OSError:
                continue
            values = dict(line.split(":", 1) for line in status if ":" in line)
            rss_kb = int(values.get("VmRSS", "0 kB").split()[0])
            found.append((pid, values.get("Name", "?").strip(), rss_kb / 1024))
        return found
