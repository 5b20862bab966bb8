"""Start and stop `corsmatch serve` for the client tests.

The server listens on a loopback port it picks itself (`--addr 127.0.0.1:0`) and prints
`corsmatch serve: listening on http://127.0.0.1:PORT`; `Serve` waits for that line.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CORSMATCH_BIN", str(ROOT / "target" / "release" / "corsmatch"))
ACCESS_KEY = "AKIDCORSMATCHTEST"
SECRET_KEY = "corsmatch-test-secret-key/0123456789"
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


class Serve:
    """One `corsmatch serve` process; `args` are added after `serve --addr 127.0.0.1:0`."""

    def __init__(self, *args: str, credentials: bool = True, start_timeout: float = 20.0) -> None:
        cmd = [BIN, "serve", "--addr", "127.0.0.1:0"]
        if credentials:
            cmd += ["--credentials", f"{ACCESS_KEY}:{SECRET_KEY}"]
        cmd += list(args)
        self.cmd = cmd
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        found = threading.Event()
        self.endpoint = ""
        self.port = 0

        def read_out() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.stdout.append(line)
                m = LISTENING.search(line)
                if m and not found.is_set():
                    self.endpoint, self.port = m.group(1), int(m.group(2))
                    found.set()

        def read_err() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self.stderr.append(line)

        threading.Thread(target=read_out, daemon=True).start()
        threading.Thread(target=read_err, daemon=True).start()
        deadline = time.monotonic() + start_timeout
        while not found.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"corsmatch serve did not start ({' '.join(cmd)}):\n{''.join(self.stdout)}{''.join(self.stderr)}"
                )

    def kill9(self) -> None:
        """SIGKILL: no shutdown, no flush; what was acknowledged must already be on disk."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def __enter__(self) -> "Serve":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
