"""Agent mode through the real server: the tool loop in each provider's tool-calling format,
consent for every change, and the workspace rules the tools never break."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.fakes import FakeServer, ToolCall, presets
from tests.lsp.agent_support import (  # noqa: F401  (fixtures)
    FORMATS,
    EditorStandIn,
    agent_lsp,
    conversation_rows,
    editor,
    project,
    use_agent_model,
)
from tests.lsp.editor import Session, deltas, joined, use_model, user
from tests.lsp.editor import write_settings as set_settings

BASE_TOOLS = [
    "read_file",
    "list_dir",
    "search_text",
    "get_diagnostics",
    "propose_edit",
    "create_file",
]
EDIT = {"path": "src/app.py", "oldText": "print('hello')", "newText": "print('hello, world')"}


def call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(name, json.dumps(arguments), fragments=2)


def tool_names(wire: str, body: dict[str, Any]) -> list[str]:
    if wire == "anthropic":
        return [t["name"] for t in body["tools"]]
    return [t["function"]["name"] for t in body["tools"]]


def tool_results(wire: str, body: dict[str, Any]) -> list[str]:
    """The tool results the request carries back to the model, in order."""
    if wire == "anthropic":
        return [
            block["content"]
            for turn in body["messages"]
            if isinstance(turn["content"], list)
            for block in turn["content"]
            if block.get("type") == "tool_result"
        ]
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


def agent(chat_id: str, text: str = "Greet the world instead.", **extra: Any) -> dict[str, Any]:
    return {"messages": user(text), "mode": "agent", "chatId": chat_id, **extra}


@pytest.mark.parametrize("wire", list(FORMATS))
async def test_list_read_edit_accepted_then_answer(
    wire: str,
    request: pytest.FixtureRequest,
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    project: Path,  # noqa: F811
    isolated_dirs: dict[str, Path],
) -> None:
    """The whole loop in the provider's own format; the file changes on disk only through
    the editor's applyEdit, after the user accepted the diff."""
    fake: FakeServer = request.getfixturevalue(FORMATS[wire][0])
    await use_agent_model(agent_lsp, fake, wire)
    fake.script(tool_calls=[call("list_dir", path=".")])
    fake.script(tool_calls=[call("read_file", path="src/app.py")])
    fake.script(text="I will change the greeting.", tool_calls=[call("propose_edit", **EDIT)])
    fake.script(text="Done: the greeting now says hello, world.")
    result = await agent_lsp.request("byok/chat", agent(f"loop-{wire}"))

    assert result["content"] == "Done: the greeting now says hello, world."
    assert (result["finishReason"], result["steps"]) == ("stop", 4)
    assert "toolCalls" not in result or result["toolCalls"] is None
    assert (project / "src" / "app.py").read_text() == "def main():\n    print('hello, world')\n"
    # The user was asked once, with the diff of exactly this change.
    [asked] = editor.asked
    assert (asked["chatId"], asked["tool"], asked["arguments"]) == (
        f"loop-{wire}",
        "propose_edit",
        EDIT,
    )
    assert "-    print('hello')\n+    print('hello, world')\n" in asked["diff"]
    assert len(editor.edits) == 1
    # Every step was shown: running, then its outcome.
    shown = [(s["step"], s["tool"], s["status"]) for s in editor.steps(f"loop-{wire}")]
    assert shown == [
        (1, "list_dir", "running"),
        (1, "list_dir", "done"),
        (2, "read_file", "running"),
        (2, "read_file", "done"),
        (3, "propose_edit", "running"),
        (3, "propose_edit", "done"),
    ]
    listing, content, accepted = (s["result"] for s in editor.finished(f"loop-{wire}"))
    assert listing.splitlines() == ["README.md", "src/"]  # .env is not even listed
    assert content == "def main():\n    print('hello')\n"
    assert accepted == "The user accepted; src/app.py was changed."
    # The intermediate text of step 3 streamed as deltas of the same chat.
    assert "I will change the greeting." in joined(deltas(agent_lsp, f"loop-{wire}"), "text")

    # On the wire: four requests, each with the six tools and the results so far.
    assert len(fake.requests) == 4
    bodies = [r.json for r in fake.requests]
    for body in bodies:
        assert tool_names(wire, body) == BASE_TOOLS
    assert tool_results(wire, bodies[1]) == [listing]
    assert tool_results(wire, bodies[3]) == [listing, content, accepted]
    if wire == "ollama":
        tool_turns = [m for m in bodies[3]["messages"] if m["role"] == "tool"]
        assert [m["tool_name"] for m in tool_turns] == ["list_dir", "read_file", "propose_edit"]
    # The turns the loop added come back so the conversation can go on.
    assert [m["role"] for m in result["messages"]] == ["assistant", "tool"] * 3
    # Each step is one usage record of this conversation.
    rows = await conversation_rows(isolated_dirs["data"], f"loop-{wire}", 4)
    assert [(task, outcome) for task, outcome, *_ in rows] == [("chat", "ok")] * 4
    total_in = sum(r[2] for r in rows)
    assert result["usage"]["inputTokens"] == total_in > 0


async def test_a_rejected_edit_is_reported_back_to_the_model(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    project: Path,  # noqa: F811
    anthropic_fake: FakeServer,
) -> None:
    await use_agent_model(agent_lsp, anthropic_fake, "anthropic")
    editor.answers = [False]
    anthropic_fake.script(tool_calls=[call("propose_edit", **EDIT)])
    anthropic_fake.script(text="Understood, I left the file as it was.")
    result = await agent_lsp.request("byok/chat", agent("rej"))
    assert result["content"] == "Understood, I left the file as it was."
    assert (project / "src" / "app.py").read_text() == "def main():\n    print('hello')\n"
    assert editor.edits == []
    [outcome] = editor.finished("rej")
    assert outcome["status"] == "rejected"
    assert "rejected" in outcome["result"] and "nothing was changed" in outcome["result"]
    assert tool_results("anthropic", anthropic_fake.last.json) == [outcome["result"]]


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"path": "../outside.txt"}, "'..'"),
        ({"path": "OUTSIDE"}, "outside the workspace"),
        ({"path": "/etc/hostname"}, "outside the workspace"),
        ({"path": ".env"}, "secret file"),
        ({"path": "src/link.txt"}, "symbolic link"),
        ({"path": "src/nothing.py"}, "does not exist"),
        ({}, "path: required"),
    ],
)
async def test_reads_the_workspace_rules_forbid_are_refused(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    project: Path,  # noqa: F811
    ollama_fake: FakeServer,
    arguments: dict[str, str],
    words: str,
) -> None:
    """Outside the folders, '..', secret files and links that lead out: the model is told
    no, nothing of the file reaches it, and the loop goes on."""
    os.symlink(project.parent / "outside.txt", project / "src" / "link.txt")
    arguments = {
        k: v.replace("OUTSIDE", str(project.parent / "outside.txt")) for k, v in arguments.items()
    }
    await use_agent_model(agent_lsp, ollama_fake, "ollama")
    ollama_fake.script(tool_calls=[call("read_file", **arguments)])
    ollama_fake.script(text="I cannot read that.")
    result = await agent_lsp.request("byok/chat", agent("refuse", "Show me the file."))
    assert result["content"] == "I cannot read that."
    [outcome] = editor.finished("refuse")
    assert outcome["status"] == "error"
    assert words in outcome["result"]
    sent = ollama_fake.last.body.decode()
    assert "private notes" not in sent and "sk-live-do-not-read" not in sent
    assert tool_results("ollama", ollama_fake.last.json) == [outcome["result"]]


async def test_the_step_limit_ends_the_loop(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    openai_fake: FakeServer,
) -> None:
    await use_agent_model(agent_lsp, openai_fake, "openai")
    for _ in range(5):
        openai_fake.script(tool_calls=[call("list_dir", path="src")])
    result = await agent_lsp.request("byok/chat", agent("limit", maxSteps=3))
    assert (result["finishReason"], result["steps"]) == ("max_steps", 3)
    assert len(openai_fake.requests) == 3
    assert len(editor.finished("limit")) == 3


async def test_the_token_budget_ends_the_loop(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    openai_fake: FakeServer,
) -> None:
    await use_agent_model(agent_lsp, openai_fake, "openai")
    for _ in range(3):
        openai_fake.script(tool_calls=[call("list_dir", path=".")])
    result = await agent_lsp.request("byok/chat", agent("budget", tokenBudget=1))
    assert (result["finishReason"], result["steps"]) == ("token_budget", 1)
    assert len(openai_fake.requests) == 1


async def test_stop_mid_loop_closes_the_upstream_request(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    openai_fake: FakeServer,
) -> None:
    await use_agent_model(agent_lsp, openai_fake, "openai")
    openai_fake.script(tool_calls=[call("list_dir", path=".")])
    openai_fake.script(text="word " * 300, chunks=300, delay_chunks=0.02)
    future = agent_lsp.client.protocol.send_request("byok/chat", agent("stop"), msg_id="agent-stop")
    while "word" not in joined(deltas(agent_lsp, "stop"), "text"):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    agent_lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="agent-stop"))
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wrap_future(future)
    assert info.value.code == -32800 and info.value.data["kind"] == "cancelled"
    await openai_fake.wait_for_async(lambda rs: len(rs) == 2 and rs[1].closed_early)
    assert not openai_fake.requests[1].completed
    assert len(openai_fake.requests) == 2  # no further step was started
    # The server carries on.
    openai_fake.script(text="still here")
    assert (await agent_lsp.request("byok/chat", {"messages": user("hi")}))["content"]


async def test_stop_while_the_user_decides_ends_the_loop(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    project: Path,  # noqa: F811
    openai_fake: FakeServer,
) -> None:
    await use_agent_model(agent_lsp, openai_fake, "openai")
    editor.hold = asyncio.Event()
    openai_fake.script(tool_calls=[call("propose_edit", **EDIT)])
    future = agent_lsp.client.protocol.send_request(
        "byok/chat", agent("stop-ask"), msg_id="agent-stop-ask"
    )
    while not editor.asked:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    agent_lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="agent-stop-ask"))
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wrap_future(future)
    assert info.value.data["kind"] == "cancelled"
    editor.hold.set()  # the user clicks Accept too late
    await asyncio.sleep(0.2)
    assert editor.edits == []
    assert (project / "src" / "app.py").read_text() == "def main():\n    print('hello')\n"
    assert len(openai_fake.requests) == 1


async def test_run_command_is_refused_while_the_setting_is_off(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    project: Path,  # noqa: F811
    openai_fake: FakeServer,
) -> None:
    await use_agent_model(agent_lsp, openai_fake, "openai")
    openai_fake.script(tool_calls=[call("run_command", command="touch ran.txt")])
    openai_fake.script(text="Commands are off.")
    await agent_lsp.request("byok/chat", agent("cmd-off"))
    assert "run_command" not in tool_names("openai", openai_fake.requests[0].json)
    [outcome] = editor.finished("cmd-off")
    assert outcome["status"] == "rejected" and "turned off" in outcome["result"]
    assert editor.asked == []
    assert not (project / "ran.txt").exists()


async def test_run_command_asks_each_time_when_on(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    project: Path,  # noqa: F811
    openai_fake: FakeServer,
    isolated_dirs: dict[str, Path],
) -> None:
    await use_agent_model(agent_lsp, openai_fake, "openai")
    set_settings(isolated_dirs["config"], agent={"allow_commands": True})
    editor.answers = [True, False]
    openai_fake.script(tool_calls=[call("run_command", command="echo made > ran.txt; pwd")])
    openai_fake.script(tool_calls=[call("run_command", command="touch second.txt")])
    openai_fake.script(text="One ran, one did not.")
    result = await agent_lsp.request("byok/chat", agent("cmd-on"))
    assert result["content"] == "One ran, one did not."
    assert "run_command" in tool_names("openai", openai_fake.requests[0].json)
    assert [a["arguments"]["command"] for a in editor.asked] == [
        "echo made > ran.txt; pwd",
        "touch second.txt",
    ]
    assert all(a["tool"] == "run_command" and "diff" not in a for a in editor.asked)
    ran, refused = editor.finished("cmd-on")
    assert ran["status"] == "done"
    # It ran in the workspace folder.
    assert ran["result"] == f"exit code 0\n{project}\n"
    assert (project / "ran.txt").read_text() == "made\n"
    assert refused["status"] == "rejected" and not (project / "second.txt").exists()

    # The editor's own setting wins over the file: turned off from the client.
    agent_lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"byok": {"agent": {"allowCommands": False}}})
    )
    openai_fake.script(text="ok")
    await agent_lsp.request("byok/chat", agent("cmd-client-off"))
    assert "run_command" not in tool_names("openai", openai_fake.last.json)


async def test_agent_mode_needs_a_model_marked_for_it(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    openai_fake: FakeServer,
) -> None:
    await use_model(agent_lsp, openai_fake, {"name": "plain", "capabilities": {"tools": True}})
    err = await agent_lsp.error("byok/chat", agent("no-agent"))
    assert err.data["kind"] == "bad_request" and err.data["field"] == "mode"
    assert "agent off" in err.message and "Ask" in err.message
    assert openai_fake.requests == []


async def test_create_search_and_diagnostics(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    project: Path,  # noqa: F811
    openai_fake: FakeServer,
) -> None:
    await use_agent_model(agent_lsp, openai_fake, "openai")
    app_uri = (project / "src" / "app.py").resolve().as_uri()
    editor.diagnostics = [
        {
            "uri": app_uri,
            "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 9}},
            "severity": 2,
            "message": "print found",
            "source": "lint",
        }
    ]
    openai_fake.script(
        tool_calls=[
            call("search_text", query="HELLO"),
            call("get_diagnostics", path="src/app.py"),
            call("create_file", path="src/new.py", content="x = 1\n"),
            call("create_file", path="src/app.py", content=""),
        ]
    )
    openai_fake.script(text="Done.")
    await agent_lsp.request("byok/chat", agent("misc"))
    found, problems, created, exists = editor.finished("misc")
    assert found["result"] == "src/app.py:2:     print('hello')"
    assert problems["result"] == "src/app.py:2:5: warning: print found (lint)"
    assert created["status"] == "done" and (project / "src" / "new.py").read_text() == "x = 1\n"
    assert exists["status"] == "error" and "already exists" in exists["result"]
    assert [a["tool"] for a in editor.asked] == ["create_file"]
    assert "+x = 1" in editor.asked[0]["diff"]


async def agent_with_fallback(
    lsp: Session, openai_fake: FakeServer, anthropic_fake: FakeServer
) -> tuple[str, str]:
    backup = await use_agent_model(lsp, anthropic_fake, "anthropic", name="claude-backup")
    primary = await use_agent_model(lsp, openai_fake, "openai")
    await lsp.request(
        "byok/active/set", {"task": "chat", "modelId": primary, "fallbacks": [backup]}
    )
    return primary, backup


async def test_each_step_falls_back_on_its_own(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    openai_fake: FakeServer,
    anthropic_fake: FakeServer,
    isolated_dirs: dict[str, Path],
) -> None:
    """Step 1 is served by the active model; step 2 finds it out of credit and the fallback
    takes over with the whole conversation so far, in its own tool format."""
    _, backup = await agent_with_fallback(agent_lsp, openai_fake, anthropic_fake)
    openai_fake.script(tool_calls=[call("list_dir", path=".")])
    openai_fake.queue(presets.openai_insufficient_quota())
    anthropic_fake.script(text="Two entries.")
    result = await agent_lsp.request("byok/chat", agent("fb"))
    assert result["content"] == "Two entries."
    assert (result["modelId"], result["fallback"], result["steps"]) == (backup, True, 2)
    [listing] = [s["result"] for s in editor.finished("fb")]
    assert tool_results("anthropic", anthropic_fake.last.json) == [listing]
    rows = await conversation_rows(isolated_dirs["data"], "fb", 3)
    assert [outcome for _, outcome, *_ in rows] == ["ok", "out_of_credit", "ok"]


async def test_a_step_that_showed_text_never_falls_back(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    openai_fake: FakeServer,
    anthropic_fake: FakeServer,
) -> None:
    await agent_with_fallback(agent_lsp, openai_fake, anthropic_fake)
    openai_fake.script(tool_calls=[call("list_dir", path=".")])
    openai_fake.script(text="Looking at the " + "entries " * 20, chunks=20, cut_after=5)
    err = await agent_lsp.error("byok/chat", agent("no-fb"))
    assert err.data is not None and err.data["kind"] == "bad_response"
    assert err.data["partial"]["content"].startswith("Looking at the")
    assert anthropic_fake.requests == []  # the answer already on screen is not replaced


async def agent_with_unfit_fallback(
    lsp: Session, openai_fake: FakeServer, anthropic_fake: FakeServer
) -> tuple[str, str]:
    """An agent model whose first fallback is a plain chat model (no tools, no agent)."""
    _, _, key = FORMATS["anthropic"]
    plain = await use_model(
        lsp, anthropic_fake, {"name": "claude-plain"}, template="anthropic", key=key
    )
    primary = await use_agent_model(lsp, openai_fake, "openai")
    return primary, plain


async def test_a_fallback_without_tools_is_skipped_for_the_next_capable_one(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    openai_fake: FakeServer,
    anthropic_fake: FakeServer,
    ollama_fake: FakeServer,
) -> None:
    primary, plain = await agent_with_unfit_fallback(agent_lsp, openai_fake, anthropic_fake)
    capable = await use_agent_model(agent_lsp, ollama_fake, "ollama", name="local-agent")
    await agent_lsp.request(
        "byok/active/set", {"task": "chat", "modelId": primary, "fallbacks": [plain, capable]}
    )
    openai_fake.queue(presets.openai_insufficient_quota())
    ollama_fake.script(text="Served by the capable fallback.")
    result = await agent_lsp.request("byok/chat", agent("skip"))
    assert result["content"] == "Served by the capable fallback."
    assert (result["modelId"], result["fallback"]) == (capable, True)
    assert anthropic_fake.requests == []  # nothing was sent to the model without tools
    assert "read_file" in tool_names("ollama", ollama_fake.last.json)


async def test_every_fallback_without_tools_gives_an_error_naming_why(
    agent_lsp: Session,  # noqa: F811
    editor: EditorStandIn,  # noqa: F811
    openai_fake: FakeServer,
    anthropic_fake: FakeServer,
) -> None:
    primary, plain = await agent_with_unfit_fallback(agent_lsp, openai_fake, anthropic_fake)
    await agent_lsp.request(
        "byok/active/set", {"task": "chat", "modelId": primary, "fallbacks": [plain]}
    )
    openai_fake.queue(presets.openai_insufficient_quota())
    err = await agent_lsp.error("byok/chat", agent("all-unfit"))
    assert err.data is not None and err.data["kind"] == "out_of_credit"
    assert f"{plain} was skipped: no tools capability and no agent capability" in err.message
    assert err.data["skipped"] == [
        f"{plain} was skipped: no tools capability and no agent capability"
    ]
    assert anthropic_fake.requests == []
