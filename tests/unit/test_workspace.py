"""Path confinement: what a client or a model may name inside the workspace folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.workspace import Workspace, clear_ignore_cache


@pytest.fixture(autouse=True)
def _fresh_ignore_cache() -> Iterator[None]:
    clear_ignore_cache()
    yield
    clear_ignore_cache()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / ".env").write_text("TOKEN=x\n")
    (tmp_path / "outside.txt").write_text("not yours\n")
    return root


def refused(ws: Workspace, path: str, *, read: bool = True) -> str:
    with pytest.raises(ByokError) as caught:
        (ws.readable if read else ws.resolve)(path, field="path")
    assert caught.value.kind is ErrorKind.BAD_REQUEST
    assert caught.value.field == "path"
    message = str(caught.value)
    assert message.startswith("path: ")
    return message


def test_relative_paths_start_at_the_first_folder(project: Path, tmp_path: Path) -> None:
    """``src/app.py`` names the file in the first folder; the second folder is reachable by
    absolute path or file: URI."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.py").write_text("")
    ws = Workspace(lambda: [project, other])
    assert ws.readable("src/app.py", field="path") == (project / "src" / "app.py").resolve()
    assert ws.readable(str(other / "b.py"), field="path") == (other / "b.py").resolve()
    assert ws.readable((other / "b.py").as_uri(), field="path") == (other / "b.py").resolve()
    assert ws.relative((project / "src" / "app.py").resolve()) == "src/app.py"
    assert ws.relative(project.resolve()) == "."
    # Paths that do not exist yet (a file to create) are confined all the same.
    assert ws.resolve("src/new.py", field="path") == (project / "src" / "new.py").resolve()


def test_paths_outside_the_folders_are_refused(project: Path, tmp_path: Path) -> None:
    ws = Workspace(lambda: [project])
    assert "outside the workspace" in refused(ws, str(tmp_path / "outside.txt"))
    assert "outside the workspace" in refused(ws, (tmp_path / "outside.txt").as_uri())
    assert "outside the workspace" in refused(ws, "/etc/passwd")
    assert "'..'" in refused(ws, "../outside.txt")
    # Even a '..' that would land back inside is refused: no path games at all.
    assert "'..'" in refused(ws, "src/../src/app.py")
    assert "file: URIs" in refused(ws, "untitled:Untitled-1")
    assert "NUL" in refused(ws, "src/a\x00.py")


def test_a_symlink_leading_out_is_refused(project: Path, tmp_path: Path) -> None:
    """A link inside the workspace that points outside is judged by where it points."""
    os.symlink(tmp_path / "outside.txt", project / "src" / "link.txt")
    os.symlink(tmp_path, project / "up")
    ws = Workspace(lambda: [project])
    assert "symbolic link" in refused(ws, "src/link.txt")
    assert "symbolic link" in refused(ws, "up/outside.txt")
    assert "symbolic link" in refused(ws, "up/new-file.txt", read=False)


def test_a_symlink_loop_is_refused_not_crashing(project: Path) -> None:
    os.symlink(project / "b", project / "a")
    os.symlink(project / "a", project / "b")
    ws = Workspace(lambda: [project])
    with pytest.raises(ByokError) as caught:
        ws.readable("a", field="path")
    assert caught.value.field == "path"


def test_secret_and_ignored_files_are_never_readable(project: Path) -> None:
    (project / ".byokignore").write_text("private/\n")
    (project / "private").mkdir()
    (project / "private" / "plan.md").write_text("")
    os.symlink(project / ".env", project / "src" / "settings.txt")
    ws = Workspace(lambda: [project])
    assert ".byokignore" in refused(ws, ".env")
    assert ".byokignore" in refused(ws, "private/plan.md")
    # An innocent name that links to a secret file is judged by its target as well.
    assert ".byokignore" in refused(ws, "src/settings.txt")
    # Resolving (for writing a new file) does not apply the reading rules.
    assert ws.resolve(".env", field="path") == (project / ".env").resolve()


def test_links_within_the_workspace_are_fine(project: Path) -> None:
    os.symlink(project / "src", project / "source")
    ws = Workspace(lambda: [project])
    assert ws.readable("source/app.py", field="path") == (project / "src" / "app.py").resolve()


def test_no_folder_means_no_file(project: Path) -> None:
    assert "no workspace folder" in refused(Workspace(lambda: []), "src/app.py")


def test_the_folder_list_is_read_on_every_call(project: Path, tmp_path: Path) -> None:
    """Folders added or removed by the editor take effect at once."""
    folders = [project]
    ws = Workspace(lambda: folders)
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.py").write_text("")
    refused(ws, str(other / "c.py"))
    folders.append(other)
    assert ws.readable(str(other / "c.py"), field="path").name == "c.py"
    folders.remove(project)
    refused(ws, str(project / "src" / "app.py"))
