"""The agent loop: ask the model, run the tools it calls, give it the results, repeat.

Each step is one routed chat request (its own usage record under the conversation's id, its
own budget check and fallback; a fallback never happens after the step showed text). The
loop ends when the model answers without calling a tool, after ``maxSteps`` requests, when
the conversation's token budget is spent, or when the request is cancelled (Stop), which
closes the upstream request at once.
"""

from __future__ import annotations

from collections.abc import Callable

from byok_ls import api
from byok_ls.agent.executor import Executor
from byok_ls.agent.host import Editor
from byok_ls.agent.tools import definitions
from byok_ls.chat import ChatListener, ChatService, ChatState
from byok_ls.config.schema import AgentSettings
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.types import ChatMessage, Tool, ToolCall
from byok_ls.workspace import Workspace

INSTRUCTIONS = (
    "You are working in the user's code workspace through tools. Paths are relative to the "
    "workspace folder. Look before you change: list folders, search and read files first. "
    "Change files only with propose_edit (oldText copied exactly from the file) or "
    "create_file; the user sees each change as a diff and accepts or rejects it. If a change "
    "is rejected, do not repeat it: ask or try something else.{commands} When the task is "
    "done, answer with a short summary and no tool call."
)
COMMANDS = (
    " You may run shell commands with run_command; the user approves each one, so run only "
    "what the task needs."
)


def _tool_params(tools: tuple[Tool, ...]) -> list[api.ToolParams]:
    return [
        api.ToolParams(
            function=api.ToolFunction(
                name=t.name, description=t.description, parameters=t.parameters
            )
        )
        for t in tools
    ]


def _reset(state: ChatState) -> None:
    """Start a new step on the same state: the chat id and the delta index go on."""
    state.content, state.reasoning, state.tool_calls = "", "", {}
    state.finish_reason, state.delivered = "stop", False


class AgentService:
    def __init__(
        self,
        chat: ChatService,
        workspace: Workspace,
        settings: Callable[[], AgentSettings],
    ) -> None:
        self.chat = chat
        self.workspace = workspace
        self.settings = settings

    def check_model(self, model_id: str | None) -> None:
        """Agent mode needs a model marked for tools and agent work."""
        router = self.chat.router
        target = router.target(router.chain("chat", model_id)[0], "chat")
        capabilities = target.model.capabilities
        if not (capabilities.tools and capabilities.agent):
            missing = " and ".join(
                name
                for name, on in (("tools", capabilities.tools), ("agent", capabilities.agent))
                if not on
            )
            raise ByokError(
                ErrorKind.BAD_REQUEST,
                f"mode: {target.model_id} is not set up for agent mode ({missing} off in its "
                "capabilities): turn them on for the model (Configure Providers) or use Ask.",
                provider_id=target.provider.id,
                model=target.model.name,
                field="mode",
            )

    async def run(
        self,
        params: api.ChatParams,
        messages: tuple[ChatMessage, ...],
        state: ChatState,
        listener: ChatListener,
        editor: Editor,
    ) -> api.ChatResult:
        self.check_model(params.model_id)
        settings = self.settings()
        allow = editor.allow_commands
        allow_commands = settings.allow_commands if allow is None else allow
        tools = definitions(allow_commands)
        executor = Executor(
            self.workspace, editor, state.chat_id, allow_commands, settings.command_timeout_s
        )
        max_steps = params.max_steps or settings.max_steps
        budget = params.token_budget or settings.token_budget
        step_params = params.model_copy(
            update={"tools": _tool_params(tools), "context": None, "mode": "ask"}
        )
        system = ChatMessage(
            "system", INSTRUCTIONS.format(commands=COMMANDS if allow_commands else "")
        )
        conversation = [system, *messages]
        added: list[api.ChatMessageParams] = []
        used_in = used_out = 0
        # None until a step had a price: local models stay without a cost.
        cost: float | None = None
        step = 0
        finish: str | None = None
        while True:
            if step == max_steps:
                finish = "max_steps"
                break
            if used_in + used_out >= budget:
                finish = "token_budget"
                break
            step += 1
            _reset(state)
            answer = await self.chat.run(
                step_params, state, listener, tuple(conversation), needs=("tools", "agent")
            )
            used_in += answer.usage.input_tokens
            used_out += answer.usage.output_tokens
            if answer.cost_usd is not None:
                cost = (cost or 0.0) + answer.cost_usd
            if not answer.tool_calls:
                break
            calls = tuple(ToolCall(c.id, c.name, c.arguments) for c in answer.tool_calls)
            conversation.append(ChatMessage("assistant", answer.content, tool_calls=calls))
            added.append(
                api.ChatMessageParams(
                    role="assistant", content=answer.content, tool_calls=answer.tool_calls
                )
            )
            for call in calls:
                outcome = await executor.run(step, call)
                conversation.append(
                    ChatMessage("tool", outcome.result, tool_call_id=call.id, name=call.name)
                )
                added.append(
                    api.ChatMessageParams(role="tool", content=outcome.result, tool_call_id=call.id)
                )
        return answer.model_copy(
            update={
                "finish_reason": finish or answer.finish_reason,
                "usage": api.UsageView(input_tokens=used_in, output_tokens=used_out),
                "cost_usd": cost,
                "steps": step,
                # Every call was run here; none is left for the client to run.
                "tool_calls": None,
                "messages": added or None,
            }
        )
