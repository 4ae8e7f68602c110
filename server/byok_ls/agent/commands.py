"""``run_command``: one shell command the user approved, in the workspace folder, with a
timeout and a cap on what it prints."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from byok_ls.completion.privacy import mask_secrets

#: Output kept from a command: its start and its end, which is where errors usually are.
MAX_OUTPUT_CHARS = 16_000


def _cap(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    half = MAX_OUTPUT_CHARS // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n[... {cut} characters cut ...]\n{text[-half:]}"


def _kill(process: asyncio.subprocess.Process) -> None:
    # The shell's children (a test runner's workers) go too: they share its process group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


async def run_command(command: str, cwd: Path, timeout_s: float) -> str:
    """The command's exit code and output (stdout and stderr interleaved)."""
    process = await asyncio.create_subprocess_shell(
        command,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        _kill(process)
        await process.wait()
        return f"The command was stopped after {timeout_s:g} s without finishing."
    except BaseException:
        # Stop pressed (cancellation): the command must not outlive the request.
        _kill(process)
        raise
    text = _cap(mask_secrets(out.decode("utf-8", errors="replace")))
    return f"exit code {process.returncode}\n{text}"
