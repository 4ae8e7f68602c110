"""Excluded files and secret masking."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from byok_ls.completion.privacy import mask_secrets
from byok_ls.workspace import is_excluded, is_secret_file

OPENAI = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
ANTHROPIC = "sk-ant-api03-" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0"
GITHUB = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAv3Jk1\n"
    "q8Zl0mT+9xYz/ab==\n"
    "-----END RSA PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    "name",
    [
        ".env",
        ".env.local",
        "server.pem",
        "tls.key",
        "id_rsa",
        "id_rsa.pub",
        "id_ed25519",
        "cert.p12",
        "cert.pfx",
        "credentials",
        "credentials.json",
        ".netrc",
        ".npmrc",
        ".pypirc",
        "secrets.yaml",
        "secrets.yml",
        "SECRETS.YAML",
    ],
)
def test_builtin_secret_files_are_excluded(name: str, tmp_path: Path) -> None:
    """Conventional credential files are never sent, with or without a workspace."""
    assert is_secret_file(Path(name))
    assert is_excluded(tmp_path / "sub" / name, [tmp_path])
    assert is_excluded(Path("/elsewhere") / name, [])


@pytest.mark.parametrize(
    "name", ["main.py", "environment.py", "keys.py", "README.md", "credentials.py", "secrets.py"]
)
def test_ordinary_files_are_not_excluded(name: str, tmp_path: Path) -> None:
    """Names that merely resemble secret files are fine."""
    assert not is_excluded(tmp_path / name, [tmp_path])


def test_byokignore_uses_gitignore_syntax(tmp_path: Path) -> None:
    """Patterns in .byokignore at a workspace root exclude matching files."""
    (tmp_path / ".byokignore").write_text("# private\ninternal/\n*.secret.ts\n!keep.secret.ts\n")
    roots = [tmp_path]
    assert is_excluded(tmp_path / "internal" / "a.py", roots)
    assert is_excluded(tmp_path / "src" / "x.secret.ts", roots)
    assert not is_excluded(tmp_path / "src" / "keep.secret.ts", roots)
    assert not is_excluded(tmp_path / "src" / "a.py", roots)
    # A file outside every root is not matched by the root's patterns.
    assert not is_excluded(tmp_path.parent / "internal" / "a.py", roots)


def test_byokignore_is_reread_when_it_changes(tmp_path: Path) -> None:
    """Editing .byokignore takes effect without a restart."""
    ignore = tmp_path / ".byokignore"
    ignore.write_text("a.py\n")
    assert is_excluded(tmp_path / "a.py", [tmp_path])
    ignore.write_text("b.py\n")
    st = ignore.stat()
    os.utime(ignore, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert not is_excluded(tmp_path / "a.py", [tmp_path])
    assert is_excluded(tmp_path / "b.py", [tmp_path])
    ignore.unlink()
    assert not is_excluded(tmp_path / "b.py", [tmp_path])


def test_each_root_uses_its_own_ignore_file(tmp_path: Path) -> None:
    """With several workspace roots, patterns apply relative to their own root."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / ".byokignore").write_text("gen/\n")
    assert is_excluded(one / "gen" / "x.py", [one, two])
    assert not is_excluded(two / "gen" / "x.py", [one, two])


@pytest.mark.parametrize(
    ("secret", "placeholder"),
    [(OPENAI, "sk-proj-…REDACTED"), (ANTHROPIC, "sk-ant-…REDACTED"), (GITHUB, "ghp_…REDACTED")],
)
def test_keys_are_masked_with_their_kind(secret: str, placeholder: str) -> None:
    """Key-shaped strings become a placeholder that keeps the kind of key."""
    text = f'API_KEY = "{secret}"\nprint(API_KEY)\n'
    masked = mask_secrets(text)
    assert secret not in masked
    assert masked == f'API_KEY = "{placeholder}"\nprint(API_KEY)\n'


def test_pem_block_is_masked_keeping_line_count() -> None:
    """A private key block keeps its markers and line count, but not its body."""
    text = f"key = '''\n{PEM}\n'''\nx = 1\n"
    masked = mask_secrets(text)
    assert "MIIEowIBAAKCAQEAv3Jk1" not in masked and "q8Zl0" not in masked
    assert masked.count("\n") == text.count("\n")
    assert (
        "-----BEGIN RSA PRIVATE KEY-----\nREDACTED\nREDACTED\n-----END RSA PRIVATE KEY-----"
        in masked
    )
    assert masked.endswith("'''\nx = 1\n")


def test_escaped_pem_in_a_string_is_masked() -> None:
    """A key stored with literal \\n escapes on one line is masked too."""
    text = '{"key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----"}'
    masked = mask_secrets(text)
    assert "MIIEvQIBADANBg" not in masked and masked.count("\n") == 0


def test_public_keys_and_plain_code_are_untouched() -> None:
    """Only private material is masked."""
    text = (
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----\n"
        "risk_level = 'task-management'\n"
    )
    assert mask_secrets(text) == text


def test_multiline_bearer_keeps_line_count() -> None:
    """A match spanning a line break keeps that break."""
    text = "Authorization: Bearer\n  abcdefghijklmnopqrstuvwxyz\n"
    masked = mask_secrets(text)
    assert "abcdefghijklmnop" not in masked and masked.count("\n") == 2
