"""The tools an agent-mode model may call: names, descriptions and argument schemas.

Argument names are camelCase, as in the ``byok/agent/step`` notifications the editor shows.
"""

from __future__ import annotations

from typing import Any

from byok_ls.providers.types import Tool


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


_PATH = {"type": "string", "description": "Path relative to the workspace folder."}

READ_FILE = Tool(
    "read_file",
    "Read a text file of the workspace. Long files come in pieces: pass startLine/endLine "
    "(1-based, inclusive) to read a range.",
    _object(
        {
            "path": _PATH,
            "startLine": {"type": "integer", "minimum": 1},
            "endLine": {"type": "integer", "minimum": 1},
        },
        ["path"],
    ),
)
LIST_DIR = Tool(
    "list_dir",
    "List a folder of the workspace ('.' is the workspace folder). Folders end with '/'.",
    _object({"path": _PATH}, ["path"]),
)
SEARCH_TEXT = Tool(
    "search_text",
    "Search the workspace files for a piece of text (plain text, case-insensitive). "
    "Answers path:line: text, one match per line.",
    _object(
        {
            "query": {"type": "string", "minLength": 1},
            "glob": {"type": "string", "description": "Only files matching this, e.g. *.py"},
        },
        ["query"],
    ),
)
GET_DIAGNOSTICS = Tool(
    "get_diagnostics",
    "The errors and warnings the editor shows, for one file or (without path) for all.",
    _object({"path": _PATH}, []),
)
PROPOSE_EDIT = Tool(
    "propose_edit",
    "Propose replacing oldText (copied exactly from the file, enough of it to occur only "
    "once) with newText. The user sees the change as a diff and accepts or rejects it.",
    _object(
        {"path": _PATH, "oldText": {"type": "string"}, "newText": {"type": "string"}},
        ["path", "oldText", "newText"],
    ),
)
CREATE_FILE = Tool(
    "create_file",
    "Propose a new file with this content. The user accepts or rejects it.",
    _object({"path": _PATH, "content": {"type": "string"}}, ["path", "content"]),
)
RUN_COMMAND = Tool(
    "run_command",
    "Run a shell command in the workspace folder after the user approves it. Answers its "
    "exit code and output (cut when long).",
    _object({"command": {"type": "string", "minLength": 1}}, ["command"]),
)

BASE_TOOLS = (READ_FILE, LIST_DIR, SEARCH_TEXT, GET_DIAGNOSTICS, PROPOSE_EDIT, CREATE_FILE)


def definitions(allow_commands: bool) -> tuple[Tool, ...]:
    """The tools offered to the model; ``run_command`` only when the setting allows it."""
    return (*BASE_TOOLS, RUN_COMMAND) if allow_commands else BASE_TOOLS
