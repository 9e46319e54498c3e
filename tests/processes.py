"""Real servers the tests start as child processes (``copilot serve``, ``chroma run``):
waiting until one answers, and stopping it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float, name: str = "server"
) -> None:
    """Until ``GET url`` answers 2xx; RuntimeError with the end of ``log`` when the process
    exits or ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=1).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not start:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen[bytes], timeout_s: float = 15) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
