"""Serve the app on a free port for a test and stop it afterwards (`streamlit run app.py`, or a launcher)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The `attune` command, run with this interpreter (independent of `python -m` support in attune/cli.py).
ATTUNE_CLI = [sys.executable, "-c", "import sys; from attune.cli import main; sys.exit(main())"]
STREAMLIT_FLAGS = ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats",
                   "false", "--server.fileWatcherType", "none", "--server.runOnSave", "false"]


def free_port() -> int:
    """A port nothing listens on right now (the server is retried on another one if it is taken meanwhile)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base_url: str
    port: int
    process: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server this test started (by its own pid only)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


def start(db_path: Path, log_path: Path, *, launcher: Path | None = None, extra_env: dict[str, str] | None = None,
          extra_args: list[str] | None = None, timeout: float = 120) -> Server:
    """Start the app against `db_path` on a free port and wait until /_stcore/health answers ok."""
    env = {**os.environ, "ATTUNE_DB": str(db_path), **(extra_env or {})}
    for _attempt in range(3):
        port = free_port()
        program = [str(launcher)] if launcher else ["-m", "streamlit", "run", "app.py"]
        command = [sys.executable, *program, "--server.port", str(port), *STREAMLIT_FLAGS, *(extra_args or [])]
        log = log_path.open("ab")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        server = Server(f"http://127.0.0.1:{port}", port, process, log_path)
        if _wait_healthy(server, timeout):
            return server
        server.stop()
        if "already in use" not in server.log_tail():
            break
    raise RuntimeError(f"The app did not start (see {log_path}):\n{server.log_tail()}")


def _wait_healthy(server: Server, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{server.base_url}/_stcore/health", timeout=5) as response:
                if response.read().decode().strip() == "ok":
                    return True
        except OSError:
            pass
        time.sleep(0.25)
    return False
