"""Attachments to a chat question (``byok/chat`` ``context``): selections and workspace files,
confined to the workspace folders, never from secret or ignored files."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types

from tests.fakes import FakeServer
from tests.lsp.editor import Session, start_session, stop_session, use_model, user

SECRET = "sk-proj-Zx81Qw27Lm64Np93Rt05Vb48Kc12"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(
        "import os\n\ndef main():\n    print('hello')\n\nKEY = '" + SECRET + "'\n"
    )
    (root / ".env").write_text("OPENAI_API_KEY=abc\n")
    (root / ".byokignore").write_text("private/\n")
    (root / "private").mkdir()
    (root / "private" / "notes.md").write_text("internal\n")
    (tmp_path / "elsewhere.py").write_text("x = 1\n")
    os.symlink(tmp_path / "elsewhere.py", root / "src" / "link.py")
    return root


@pytest_asyncio.fixture
async def ws(project: Path) -> AsyncIterator[Session]:
    session = await start_session(workspace=project)
    yield session
    await stop_session(session)


def sent_user_text(fake: FakeServer) -> str:
    content = fake.last.json["messages"][-1]["content"]
    assert isinstance(content, str)
    return content


async def test_a_file_and_a_selection_go_in_front_of_the_question(
    ws: Session, project: Path, openai_fake: FakeServer
) -> None:
    await use_model(ws, openai_fake, {"name": "ctx-model"})
    context = [
        {
            "kind": "file",
            "uri": (project / "src" / "app.py").as_uri(),
            "range": {"start": {"line": 2, "character": 0}, "end": {"line": 3, "character": 0}},
        },
        {
            "kind": "selection",
            "uri": (project / "src" / "app.py").as_uri(),
            "text": "print('hello')",
            "range": {"start": {"line": 3, "character": 4}, "end": {"line": 3, "character": 18}},
        },
        {"kind": "file", "uri": "src/app.py"},
    ]
    result = await ws.request(
        "byok/chat", {"messages": user("What does main do?"), "context": context}
    )
    assert result["content"] == "Hello from the fake."
    text = sent_user_text(openai_fake)
    first = "File src/app.py (lines 3-4):\n```\ndef main():\n    print('hello')\n```"
    assert text.startswith(first)
    assert "Selected in src/app.py (lines 4-4):\n```\nprint('hello')\n```" in text
    assert text.endswith("\nWhat does main do?")
    # The whole file went too, with the key masked as in completion.
    assert "import os" in text and "KEY = 'sk-proj-…REDACTED'" in text
    assert SECRET not in openai_fake.last.body.decode()


async def test_the_editor_copy_of_an_open_file_is_attached(
    ws: Session, project: Path, openai_fake: FakeServer
) -> None:
    """Unsaved edits are what the user looks at, so they are what the model sees."""
    await use_model(ws, openai_fake, {"name": "ctx-open"})
    uri = (project / "src" / "app.py").as_uri()
    ws.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text="def unsaved():\n    pass\n"
            )
        )
    )
    attached = [{"kind": "file", "uri": uri}]
    await ws.request("byok/chat", {"messages": user("?"), "context": attached})
    assert "def unsaved():" in sent_user_text(openai_fake)
    assert "import os" not in sent_user_text(openai_fake)


@pytest.mark.parametrize(
    ("item", "field", "words"),
    [
        ({"kind": "file", "uri": ".env"}, "context[0].uri", ".byokignore"),
        ({"kind": "file", "uri": "private/notes.md"}, "context[0].uri", ".byokignore"),
        ({"kind": "file", "uri": "../elsewhere.py"}, "context[0].uri", "'..'"),
        ({"kind": "file", "uri": "src/link.py"}, "context[0].uri", "symbolic link"),
        ({"kind": "file", "uri": "/etc/hostname"}, "context[0].uri", "outside the workspace"),
        ({"kind": "file", "uri": "src/missing.py"}, "context[0].uri", "does not exist"),
        ({"kind": "file", "uri": "src"}, "context[0].uri", "folder"),
        ({"kind": "selection", "uri": "file:///x.py"}, "context[0].text", "carries its text"),
        (
            {"kind": "selection", "uri": "PROJECT/.env", "text": "OPENAI_API_KEY=abc"},
            "context[0].uri",
            ".byokignore",
        ),
    ],
)
async def test_attachments_that_may_not_be_read_are_refused_by_field(
    ws: Session,
    project: Path,
    openai_fake: FakeServer,
    item: dict[str, str],
    field: str,
    words: str,
) -> None:
    await use_model(ws, openai_fake, {"name": "ctx-refuse"})
    item = {k: v.replace("PROJECT", project.as_uri()) for k, v in item.items()}
    err = await ws.error("byok/chat", {"messages": user("?"), "context": [item]})
    assert err.data is not None
    assert (err.data["kind"], err.data["field"]) == ("bad_request", field)
    assert err.message.startswith(f"{field}: ") and words in err.message
    assert openai_fake.requests == []
    # The server keeps serving.
    assert (await ws.request("byok/chat", {"messages": user("hi")}))["content"]


async def test_bad_context_shapes_are_invalid_params(ws: Session) -> None:
    err = await ws.error(
        "byok/chat", {"messages": user("?"), "context": [{"kind": "folder", "uri": "x"}]}
    )
    assert err.code == -32602 and "context.0.kind" in err.message.replace("[", ".").replace("]", "")


async def test_folders_added_later_can_be_attached(
    ws: Session, tmp_path: Path, openai_fake: FakeServer
) -> None:
    """workspace/didChangeWorkspaceFolders widens (and narrows) what may be read."""
    await use_model(ws, openai_fake, {"name": "ctx-folders"})
    other = tmp_path / "other"
    other.mkdir()
    (other / "lib.py").write_text("def lib(): ...\n")
    item = {"kind": "file", "uri": (other / "lib.py").as_uri()}
    err = await ws.error("byok/chat", {"messages": user("?"), "context": [item]})
    assert "outside the workspace" in err.message
    folder = types.WorkspaceFolder(uri=other.as_uri(), name="other")
    ws.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[folder], removed=[])
        )
    )
    await ws.request("byok/chat", {"messages": user("?"), "context": [item]})
    assert "def lib(): ..." in sent_user_text(openai_fake)
    ws.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[], removed=[folder])
        )
    )
    err = await ws.error("byok/chat", {"messages": user("?"), "context": [item]})
    assert "outside the workspace" in err.message
