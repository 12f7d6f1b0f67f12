"""Starting a server under test as a child process and waiting for its readiness line.

Every server the suites talk to (medexpress, the grpcio reference server) prints one line
`<name> listening on HOST:PORT (h2c|tls)` on stdout once it accepts connections. `ServerProcess`
starts the command, reads stdout on a thread until that line appears (or the process dies, or the
start-up deadline passes), and keeps everything else the process prints for failure messages.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

READY_PATTERN = r"listening on (?P<host>[0-9.]+|\[[0-9a-f:]+\]|localhost):(?P<port>\d+) \((?P<transport>h2c|tls)\)"
STARTUP_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Endpoint:
    """Where a started server listens."""

    host: str
    port: int
    transport: str  # "h2c" or "tls"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class ServerProcess:
    """A running server child process; use as a context manager or call stop()."""

    def __init__(
        self,
        argv: list[str],
        *,
        ready_prefix: str,
        name: str | None = None,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
    ) -> None:
        self.argv = [str(a) for a in argv]
        self.name = name or Path(self.argv[0]).name
        self._ready = re.compile(re.escape(ready_prefix) + r" " + READY_PATTERN)
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()
        self._ready_event = threading.Event()
        self.endpoint: Endpoint | None = None
        self.returncode: int | None = None
        self._stderr_file = tempfile.TemporaryFile(mode="w+b")
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            env={**os.environ, **(env or {})},
            cwd=str(cwd) if cwd else None,
        )
        self._reader = threading.Thread(target=self._read_stdout, name=f"{self.name}-stdout", daemon=True)
        self._reader.start()
        self._wait_ready(startup_timeout)

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with self._lines_lock:
                self._lines.append(line)
            if self.endpoint is None:
                match = self._ready.search(line)
                if match:
                    host = match.group("host").strip("[]")
                    self.endpoint = Endpoint(host, int(match.group("port")), match.group("transport"))
                    self._ready_event.set()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._ready_event.wait(0.05):
            if self.process.poll() is not None:
                self._reader.join(1.0)
                if self._ready_event.is_set():
                    break
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} before printing its readiness "
                    f"line\n{self.output()}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.name} printed no readiness line within {timeout}s\n{self.output()}")

    def stdout_lines(self) -> list[str]:
        with self._lines_lock:
            return list(self._lines)

    def stderr_text(self) -> str:
        self._stderr_file.flush()
        self._stderr_file.seek(0)
        return self._stderr_file.read().decode("utf-8", errors="replace")

    def output(self) -> str:
        """stdout and stderr so far, for failure messages (truncated at the front)."""
        text = (
            f"--- {self.name} argv: {' '.join(self.argv)}\n--- stdout:\n"
            + "\n".join(self.stdout_lines())
            + f"\n--- stderr:\n{self.stderr_text()}"
        )
        return text[-8000:]

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def signal(self, signum: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self, timeout: float) -> int | None:
        """Waits for exit; returns the exit code, or None if still running after timeout."""
        try:
            self.returncode = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(1.0)
        return self.returncode

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """SIGTERM, then wait; kills (and raises) if the process outlives the timeout."""
        if self.process.poll() is not None:
            self.returncode = self.process.returncode
            return self.returncode
        self.signal(signal.SIGTERM)
        code = self.wait(timeout)
        if code is None:
            self.kill()
            raise RuntimeError(f"{self.name} did not exit within {timeout}s of SIGTERM\n{self.output()}")
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.returncode = self.process.returncode

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
