"""The byok-ls command line: configuration verbs, --json, the key prompt, and the servers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import yaml


def byok(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "byok_ls", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_no_arguments_in_a_terminal_explains_itself() -> None:
    # `script` gives the child a terminal; without one the server would start on stdio.
    done = subprocess.run(
        ["script", "-qec", f"{sys.executable} -m byok_ls", "/dev/null"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert "language server" in done.stdout
    assert "byok-ls --stdio" in done.stdout


def test_version() -> None:
    done = byok("--version")
    assert done.returncode == 0 and done.stdout.startswith("byok-ls ")


def test_provider_lifecycle_with_json(isolated_dirs: dict[str, Path]) -> None:
    added = byok("providers", "add", "openai", "--key-env", "OPENAI_TEST_KEY", "--json")
    assert added.returncode == 0, added.stderr
    provider = json.loads(added.stdout)["provider"]
    assert provider["apiKeyEnv"] == "OPENAI_TEST_KEY" and provider["key"]["present"] is False
    listed = byok(
        "providers", "list", "--json", env={"OPENAI_TEST_KEY": "sk-env-key-000000000000wxyz"}
    )
    key = json.loads(listed.stdout)["providers"][0]["key"]
    assert key == {"present": True, "source": "env", "hint": "sk-…wxyz"}
    table = byok("providers", "list")
    assert "openai" in table.stdout and "OpenAI" in table.stdout
    assert (
        byok(
            "models",
            "add",
            "openai",
            "my-ft",
            "--task",
            "chat",
            "--n-ctx",
            "9000",
            "--capability",
            "tools",
        ).returncode
        == 0
    )
    assert byok("active", "chat", "openai/my-ft").returncode == 0
    active = json.loads(byok("active", "--json").stdout)
    assert active["chat"] == "openai/my-ft"
    updated = byok("providers", "update", "openai", "--disable", "--name", "Work", "--json")
    assert json.loads(updated.stdout)["provider"]["enabled"] is False
    removed = byok("providers", "remove", "openai")
    assert removed.returncode == 0 and "Removed openai" in removed.stdout
    data = yaml.safe_load((isolated_dirs["config"] / "config.yaml").read_text())
    assert data["providers"] == [] and data["active"].get("chat") is None


def test_key_is_read_from_stdin_without_a_terminal(isolated_dirs: dict[str, Path]) -> None:
    secret = "sk-stdin-key-0123456789abcd"
    # The memory keyring lives in one process, so the key is checked through the output.
    done = byok("providers", "add", "deepseek", "--json", stdin=secret + "\n")
    assert done.returncode == 0, done.stderr
    key = json.loads(done.stdout)["provider"]["key"]
    assert key == {"present": True, "source": "keyring", "hint": "sk-…abcd"}
    assert secret not in done.stdout + done.stderr
    assert secret not in (isolated_dirs["config"] / "config.yaml").read_text()


def test_errors_name_the_field_and_exit_non_zero() -> None:
    bad_url = byok("providers", "add", "custom", "--base-url", "ftp://x", "--no-key")
    assert bad_url.returncode != 0 and "--base-url: " in bad_url.stderr
    unknown = byok("providers", "add", "nope", "--no-key")
    assert unknown.returncode == 1 and "unknown template 'nope'" in unknown.stderr
    missing = byok("active", "chat", "ghost/model")
    assert missing.returncode == 1 and "no provider with id 'ghost'" in missing.stderr


async def test_tcp_server_answers_initialize() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "byok_ls",
        "--tcp",
        f"127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the TCP server never listened")
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "capabilities": {}, "rootUri": None},
            }
        ).encode()
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        header = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        answer = json.loads(await reader.readexactly(length))
        assert answer["result"]["serverInfo"]["name"] == "byok-ls"
        assert answer["result"]["capabilities"]["inlineCompletionProvider"] is not None
        writer.close()
    finally:
        proc.kill()
        await proc.wait()


def test_models_update_changes_only_what_was_given(isolated_dirs: dict[str, Path]) -> None:
    """`models update` exists (as byok/models/update does) and leaves other settings be."""
    base = "http://127.0.0.1:9/v1"
    added = byok("providers", "add", "custom", "--id", "loc", "--base-url", base, "--no-key")
    assert added.returncode == 0, added.stderr
    model = byok("models", "add", "loc", "m", "--task", "completion", "--n-ctx", "4096")
    assert model.returncode == 0, model.stderr
    done = byok(
        "models", "update", "loc", "m", "--task", "completion", "--fim", "template:starcoder2"
    )
    assert done.returncode == 0, done.stderr
    assert "Updated completion model m of loc." in done.stdout
    (stored,) = yaml.safe_load((isolated_dirs["config"] / "config.yaml").read_text())["providers"][
        0
    ]["models"]
    assert stored["fim"] == "template:starcoder2" and stored["n_ctx"] == 4096
    nothing = byok("models", "update", "loc", "m", "--task", "completion")
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr


def test_custom_provider_offers_to_take_a_key(isolated_dirs: dict[str, Path]) -> None:
    """Most OpenAI-compatible hosts need a key: the custom template asks (empty: none)."""
    secret = "sk-custom-key-0123456789abcd"
    base = "https://llm.example.test/v1"
    done = byok("providers", "add", "custom", "--base-url", base, "--json", stdin=secret + "\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["provider"]["key"]["hint"] == "sk-…abcd"
    assert secret not in done.stdout + done.stderr
    none = byok(
        "providers", "add", "custom", "--id", "open", "--base-url", base, "--json", stdin="\n"
    )
    assert json.loads(none.stdout)["provider"]["key"]["present"] is False


def test_keyring_failure_names_the_command_line_flag(isolated_dirs: dict[str, Path]) -> None:
    """A CLI user is told about --key-env, not the LSP field apiKeyEnv."""
    failing = {"PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FailingKeyring"}
    done = byok("providers", "add", "openai", "--key", "sk-test-cli-0123456789abcd", env=failing)
    assert done.returncode == 1
    assert "--key-env" in done.stderr and "apiKeyEnv" not in done.stderr, done.stderr


def test_values_given_on_the_command_line_are_written_even_when_default(
    isolated_dirs: dict[str, Path],
) -> None:
    """--n-ctx 8192 is the default, but the user chose it: config.yaml says so. Options
    nobody gave are not written."""
    base = "http://127.0.0.1:9/v1"
    assert (
        byok("providers", "add", "custom", "--id", "loc", "--base-url", base, "--no-key").returncode
        == 0
    )
    done = byok("models", "add", "loc", "m", "--n-ctx", "8192")
    assert done.returncode == 0, done.stderr
    (provider,) = yaml.safe_load((isolated_dirs["config"] / "config.yaml").read_text())["providers"]
    assert provider["models"] == [{"name": "m", "task": "chat", "n_ctx": 8192}]
    assert "allow_insecure_http" not in provider and "budget" not in provider
