"""A throwaway PostgreSQL cluster for tests and benchmarks (Debian's binaries, any user)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg


class PostgresUnavailable(RuntimeError):
    """PostgreSQL binaries are missing or the cluster would not start."""


@dataclass
class ThrowawayCluster:
    """A running cluster in a temporary directory; stop() removes everything."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes]
    as_postgres_user: bool

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL for a database of this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable(
        "PostgreSQL is not installed (no initdb): install Debian's postgresql package "
        "or set HPH_TEST_DATABASE_URL to an existing server."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_cluster() -> ThrowawayCluster:
    """Initialise and start a cluster on a free port (as the postgres user when root)."""
    bin_dir = _bin_dir()
    as_root = os.geteuid() == 0
    directory = Path(tempfile.mkdtemp(prefix="hph-pg-"))
    prefix: list[str] = []
    if as_root:
        shutil.chown(directory, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = directory / "data"
    init = subprocess.run(
        [
            *prefix,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        capture_output=True,
    )
    if init.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {init.stderr.decode(errors='replace')[-500:]}")
    port = _free_port()
    # The server's log goes to a file: a pipe that nobody reads fills up after some 64 KB of
    # logged errors (fuzzing logs thousands) and then blocks every backend that logs.
    log_path = directory / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *prefix,
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(directory),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
                "-c",
                "shared_buffers=256MB",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = log_path.read_bytes().decode(errors="replace")
            shutil.rmtree(directory, ignore_errors=True)
            raise PostgresUnavailable(f"postgres exited at start: {err[-500:]}")
        try:
            with psycopg.connect(
                f"host=127.0.0.1 port={port} user=postgres dbname=postgres", connect_timeout=2
            ):
                return ThrowawayCluster(directory, port, process, as_root)
        except psycopg.OperationalError:
            time.sleep(0.2)
    process.kill()
    shutil.rmtree(directory, ignore_errors=True)
    raise PostgresUnavailable("postgres did not accept connections within 30 s")
