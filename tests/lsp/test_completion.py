"""Inline completion through the real server: every FIM mode and native endpoint, the window
cut with a real tokenizer, UTF-16 positions, post-processing, privacy and usage.

One server process serves the whole module (start-up dominates an LSP test's time); every
test adds its own provider (fresh fake, fresh id) and opens its own documents, so nothing a
test leaves behind (cache entries, cool-downs, notices) can reach another one.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from tokenizers import Tokenizer

from tests.fakes import FakeServer
from tests.fakes import Usage as FakeUsage
from tests.lsp.editor import Session, start_session, stop_session

pytestmark = pytest.mark.asyncio(loop_scope="module")

KEY = "sk-test-Cq7Zr2Lx9Wm4Tn-0123456789abcdWXYZ"
ANTHROPIC_KEY = "sk-ant-test.Cq7Zr2Lx9Wm4Tn.0123456789abcd"
KEY_ENV, ANTHROPIC_KEY_ENV = "BYOK_TEST_COMPLETION_KEY", "BYOK_TEST_ANTHROPIC_KEY"
#: Keys the server finds in its environment (providers name them with api_key_env).
SERVER_KEYS = {KEY_ENV: KEY, ANTHROPIC_KEY_ENV: ANTHROPIC_KEY}
ROOT = Path(__file__).resolve().parents[2]
TOKENIZER = ROOT / "tests" / "data" / "tokenizers" / "code-bpe" / "tokenizer.json"
MAX_TOKENS = 128  # the default completion_max_tokens
SAFETY_TOKENS = 32  # kept free besides the answer (server/byok_ls/completion/engine.py)


@dataclass
class Editor:
    """A shared server session driven the way an editor drives it."""

    session: Session
    workspace: Path
    config_dir: Path
    data_dir: Path
    providers: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    active: str | None = None
    revision: int = 0
    versions: dict[str, int] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    #: The provider the last ``use`` added.
    provider_id: str = ""

    @property
    def messages(self) -> list[Any]:
        return list(self.session.client.messages)

    async def use(
        self,
        fake: FakeServer | None,
        model: dict[str, Any],
        *,
        template: str = "custom",
        base_url: str | None = None,
        key_env: str | None = KEY_ENV,
        active: bool = True,
    ) -> str:
        """A new provider at ``fake`` with one completion model, made active.

        Written into config.yaml by hand (the server reloads it on the next request): a
        user's edit, and far quicker than the CRUD requests with their locked, synced saves.
        """
        pid = f"{template.replace('_', '-')}-{next(self.ids)}"
        url = base_url or (fake.api_base if fake is not None else "http://127.0.0.1:9/v1")
        provider: dict[str, Any] = {
            "id": pid,
            "template": template,
            "name": f"Provider {pid}",
            "base_url": url,
            "models": [{"task": "completion", **model}],
        }
        if key_env is not None:
            provider["api_key_env"] = key_env
            if fake is not None:
                fake.expect_key = SERVER_KEYS[key_env]
        self.providers.append(provider)
        model_id = f"{pid}/{model['name']}"
        if active:
            self.active = model_id
            self.provider_id = pid
        await self.write_config()
        return model_id

    async def write_config(self) -> None:
        """Save config.yaml and wait until the server announces that it has loaded it."""
        self.revision += 1
        doc = {
            "version": 1,
            "revision": self.revision,
            "settings": self.settings,
            "providers": self.providers,
            "active": {"completion": self.active},
        }
        tmp = self.config_dir / "config.yaml.tmp"
        tmp.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        tmp.replace(self.config_dir / "config.yaml")
        changed = self.session.received("byok/config/changed")
        for _ in range(200):
            if any(n["revision"] >= self.revision for n in changed):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"the server did not load config revision {self.revision}: {self.messages[-3:]}"
        )

    def reset(self) -> None:
        """Forget the previous test's providers and settings."""
        self.providers, self.settings, self.active = [], {}, None

    def open(self, text: str, name: str | None = None, language: str = "python") -> str:
        path = self.workspace / (name or f"doc{next(self.ids)}.py")
        uri = path.as_uri()
        self.versions[uri] = 1
        self.session.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
            )
        )
        return uri

    def edit(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        """One incremental change; positions are (line, UTF-16 column)."""
        self.versions[uri] += 1
        rng = types.Range(types.Position(*start), types.Position(*end))
        self.session.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=self.versions[uri], uri=uri),
                [types.TextDocumentContentChangePartial(range=rng, text=text)],
            )
        )

    async def complete(self, uri: str, line: int, character: int, **extra: Any) -> Any:
        return await self.session.request(
            "byok/complete",
            {
                "textDocument": {"uri": uri},
                "position": {"line": line, "character": character},
                **extra,
            },
        )

    async def inline(self, uri: str, line: int, character: int) -> types.InlineCompletionList:
        result = await self.session.request(
            "textDocument/inlineCompletion", inline_params(uri, line, character)
        )
        assert isinstance(result, types.InlineCompletionList)
        return result

    async def inline_texts(self, uri: str, line: int, character: int) -> list[str]:
        """The ghost texts textDocument/inlineCompletion offers at a position."""
        result = await self.inline(uri, line, character)
        for item in result.items:
            assert item.range == types.Range(
                types.Position(line, character), types.Position(line, character)
            )
        return [str(item.insert_text) for item in result.items]

    async def texts(self, uri: str, line: int, character: int) -> list[str]:
        """The suggestions byok/complete offers at a position."""
        result = await self.complete(uri, line, character)
        return [item["insertText"] for item in result["items"]]

    async def complete_error(self, uri: str, line: int, character: int) -> JsonRpcException:
        with pytest.raises(JsonRpcException) as info:
            await self.complete(uri, line, character)
        return info.value

    async def inline_error(self, uri: str, line: int, character: int) -> JsonRpcException:
        with pytest.raises(JsonRpcException) as info:
            await self.inline(uri, line, character)
        return info.value

    async def usage_rows(self) -> list[dict[str, Any]]:
        return list((await self.session.request("byok/usage", {}))["rows"])


def inline_params(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
    )


def server_dirs(base: Path) -> dict[str, str]:
    dirs = {name: base / name for name in ("config", "data", "cache")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return {
        "BYOK_LS_CONFIG_DIR": str(dirs["config"]),
        "BYOK_LS_DATA_DIR": str(dirs["data"]),
        "BYOK_LS_CACHE_DIR": str(dirs["cache"]),
        "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.MemoryKeyring",
        "HF_HUB_OFFLINE": "1",
        **SERVER_KEYS,
    }


async def start_editor(base: Path) -> Editor:
    """A server with its own config/data dirs and a workspace folder holding .byokignore."""
    env = server_dirs(base / "server")
    workspace = base / "workspace"
    workspace.mkdir()
    (workspace / ".byokignore").write_text("# private notes\nprivate/\n*.secret.py\n")
    session = await start_session(env, workspace=workspace)
    return Editor(
        session, workspace, Path(env["BYOK_LS_CONFIG_DIR"]), Path(env["BYOK_LS_DATA_DIR"])
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def editor(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    ed = await start_editor(tmp_path_factory.mktemp("completion"))
    yield ed
    await stop_session(ed.session)


@pytest.fixture(autouse=True)
def fresh_config(editor: Editor) -> None:
    editor.reset()


def body(fake: FakeServer, path: str) -> dict[str, Any]:
    """The JSON body of the one request ``fake`` received, which must have gone to ``path``."""
    requests = fake.requests
    assert [r.path for r in requests] == [path]
    json = requests[0].json
    assert isinstance(json, dict)
    return json


DOC = "def add(a, b):\n    \n\nprint(add(1, 2))\n"
PREFIX, SUFFIX = "def add(a, b):\n    ", "\n\nprint(add(1, 2))\n"


# ---- native FIM endpoints ----------------------------------------------------------------


async def test_openai_style_completions_with_suffix(
    editor: Editor, openai_fake: FakeServer
) -> None:
    model_id = await editor.use(openai_fake, {"name": "inst", "fim": "native"})
    uri = editor.open(DOC)
    result = await editor.complete(uri, 1, 4)
    assert result["items"] == [
        {
            "insertText": "return a + b",
            "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}},
        }
    ]
    assert result["modelId"] == model_id
    sent = body(openai_fake, "/v1/completions")
    assert sent["model"] == "inst"
    assert (sent["prompt"], sent["suffix"]) == (PREFIX, SUFFIX)
    assert sent["max_tokens"] == MAX_TOKENS
    assert openai_fake.last.header("authorization") == f"Bearer {KEY}"

    assert await editor.inline_texts(uri, 1, 4) == ["return a + b"]


async def test_deepseek_beta_completions(editor: Editor, deepseek_fake: FakeServer) -> None:
    await editor.use(
        deepseek_fake,
        {"name": "deepseek-chat"},
        template="deepseek",
        base_url=deepseek_fake.base_url,
    )
    uri = editor.open(DOC)
    assert await editor.texts(uri, 1, 4) == ["return a + b"]
    sent = body(deepseek_fake, "/beta/completions")
    assert (sent["model"], sent["prompt"], sent["suffix"]) == ("deepseek-chat", PREFIX, SUFFIX)


async def test_mistral_fim_completions(editor: Editor, mistral_fake: FakeServer) -> None:
    await editor.use(mistral_fake, {"name": "codestral-latest"}, template="mistral")
    uri = editor.open(DOC)
    assert await editor.texts(uri, 1, 4) == ["return a + b"]
    sent = body(mistral_fake, "/v1/fim/completions")
    assert (sent["model"], sent["prompt"], sent["suffix"]) == ("codestral-latest", PREFIX, SUFFIX)


async def test_ollama_generate_with_suffix(editor: Editor, ollama_fake: FakeServer) -> None:
    await editor.use(
        ollama_fake,
        {"name": "qwen2.5-coder:1.5b"},
        template="ollama",
        base_url=ollama_fake.base_url,
        key_env=None,
    )
    uri = editor.open(DOC)
    assert await editor.texts(uri, 1, 4) == ["return a + b"]
    sent = body(ollama_fake, "/api/generate")
    assert (sent["model"], sent["prompt"], sent["suffix"]) == ("qwen2.5-coder:1.5b", PREFIX, SUFFIX)
    assert sent["options"]["num_predict"] == MAX_TOKENS
    assert not sent.get("raw")


async def test_llamacpp_infill(editor: Editor, llamacpp_fake: FakeServer) -> None:
    await editor.use(
        llamacpp_fake,
        {"name": "default"},
        template="llamacpp",
        base_url=llamacpp_fake.base_url,
        key_env=None,
    )
    uri = editor.open(DOC)
    assert await editor.texts(uri, 1, 4) == ["return a + b"]
    sent = body(llamacpp_fake, "/infill")
    assert (sent["input_prefix"], sent["input_suffix"]) == (PREFIX, SUFFIX)
    assert sent["n_predict"] == MAX_TOKENS


# ---- template:<family> on plain completions endpoints ------------------------------------

# Written out by hand from each family's published format, not taken from the server code.
FAMILY_PROMPTS: dict[str, tuple[str, list[str]]] = {
    "starcoder": (
        f"<fim_prefix>{PREFIX}<fim_suffix>{SUFFIX}<fim_middle>",
        ["<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"],
    ),
    "codellama": (f"<PRE> {PREFIX} <SUF>{SUFFIX} <MID>", ["<EOT>", "<PRE>", "<SUF>", "<MID>"]),
    "deepseek-coder": (
        f"<｜fim▁begin｜>{PREFIX}<｜fim▁hole｜>{SUFFIX}<｜fim▁end｜>",
        ["<｜end▁of▁sentence｜>", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<|EOT|>"],
    ),
    "qwen2.5-coder": (
        f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>",
        [
            "<|endoftext|>",
            "<|file_sep|>",
            "<|im_end|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|im_start|>",
        ],
    ),
    "codestral": (f"[SUFFIX]{SUFFIX}[PREFIX]{PREFIX}", ["[PREFIX]", "[SUFFIX]", "</s>"]),
    "codegemma": (
        f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>",
        [
            "<|file_separator|>",
            "<eos>",
            "<end_of_turn>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
        ],
    ),
}


@pytest.mark.parametrize("family", list(FAMILY_PROMPTS))
async def test_template_family_prompt_and_stops_at_vllm(
    editor: Editor, vllm_fake: FakeServer, family: str
) -> None:
    prompt, stop = FAMILY_PROMPTS[family]
    # The model ends its middle with the family's end token and rambles on past it.
    vllm_fake.script(text=f"return a + b{stop[0]}\n# another file")
    await editor.use(
        vllm_fake, {"name": f"coder-{family}", "fim": f"template:{family}"}, template="vllm"
    )
    uri = editor.open(DOC)
    assert await editor.inline_texts(uri, 1, 4) == ["return a + b"]
    sent = body(vllm_fake, "/v1/completions")
    assert sent["prompt"] == prompt
    assert "suffix" not in sent
    # OpenAI-style endpoints take at most four stop sequences; all of them are applied to the
    # answer by the server itself.
    assert sent["stop"] == stop[:4]
    assert sent["max_tokens"] == MAX_TOKENS


async def test_template_at_llamacpp_completion_sends_every_stop(
    editor: Editor, llamacpp_fake: FakeServer
) -> None:
    prompt, stop = FAMILY_PROMPTS["qwen2.5-coder"]
    llamacpp_fake.script(text="return a + b<|file_sep|>other.py")
    await editor.use(
        llamacpp_fake,
        {"name": "default", "fim": "template:qwen2.5-coder"},
        template="llamacpp",
        base_url=llamacpp_fake.base_url,
        key_env=None,
    )
    uri = editor.open(DOC)
    assert await editor.inline_texts(uri, 1, 4) == ["return a + b"]
    sent = body(llamacpp_fake, "/completion")
    assert (sent["prompt"], sent["stop"], sent["n_predict"]) == (prompt, stop, MAX_TOKENS)


async def test_template_at_ollama_is_a_raw_prompt(editor: Editor, ollama_fake: FakeServer) -> None:
    prompt, stop = FAMILY_PROMPTS["codegemma"]
    await editor.use(
        ollama_fake,
        {"name": "codegemma:2b", "fim": "template:codegemma"},
        template="ollama",
        base_url=ollama_fake.base_url,
        key_env=None,
    )
    uri = editor.open(DOC)
    assert await editor.inline_texts(uri, 1, 4) == ["return a + b"]
    sent = body(ollama_fake, "/api/generate")
    assert (sent["prompt"], sent["raw"], sent["options"]["stop"]) == (prompt, True, stop)
    assert "suffix" not in sent


# ---- chat mode -----------------------------------------------------------------------------

CHATTY = "Sure! Here is the completion:\n```python\nreturn a + b\n```\nThis adds the numbers."


async def test_chat_mode_through_anthropic(editor: Editor, anthropic_fake: FakeServer) -> None:
    anthropic_fake.script(text=CHATTY)
    await editor.use(
        anthropic_fake,
        {"name": "claude-haiku-4-5", "fim": "chat"},
        template="anthropic",
        base_url=anthropic_fake.base_url,
        key_env=ANTHROPIC_KEY_ENV,
    )
    uri = editor.open(DOC)
    assert await editor.inline_texts(uri, 1, 4) == ["return a + b"]
    sent = body(anthropic_fake, "/v1/messages")
    assert sent["model"] == "claude-haiku-4-5"
    assert "{{FILL_HERE}}" in sent["system"]
    [message] = sent["messages"]
    user = message["content"] if isinstance(message["content"], str) else message["content"][0]
    text = user if isinstance(user, str) else user["text"]
    assert f"{PREFIX}{{{{FILL_HERE}}}}{SUFFIX}" in text
    assert sent["max_tokens"] == MAX_TOKENS
    assert anthropic_fake.last.header("x-api-key") == ANTHROPIC_KEY


async def test_chat_mode_through_openai_compatible_chat(
    editor: Editor, openai_fake: FakeServer
) -> None:
    # A chat model that repeats the line before the hole and the line after it.
    openai_fake.script(text="```\ndef add(a, b):\n    return a + b\n\nprint(add(1, 2))\n```")
    await editor.use(openai_fake, {"name": "gpt-4o-mini", "fim": "chat"})
    uri = editor.open(DOC)
    assert await editor.inline_texts(uri, 1, 4) == ["return a + b"]
    sent = body(openai_fake, "/v1/chat/completions")
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "user"]
    assert f"{PREFIX}{{{{FILL_HERE}}}}{SUFFIX}" in sent["messages"][1]["content"]
    assert sent["stream"] is True


# ---- post-processing, seen through the server --------------------------------------------


async def test_stop_tokens_mid_line_and_suffix_overlap(
    editor: Editor, vllm_fake: FakeServer
) -> None:
    await editor.use(vllm_fake, {"name": "sc", "fim": "template:starcoder"}, template="vllm")
    # Stop token: everything from the first one on is dropped.
    vllm_fake.script(text="total = a + b\n    return total<file_sep>import os\n")
    uri = editor.open("def add(a, b):\n    \n")
    assert await editor.inline_texts(uri, 1, 4) == ["total = a + b\n    return total"]

    # Mid-line cursor (text after it on the line): only the rest of that line is offered.
    vllm_fake.script(text="a + b\n    return total\n")
    uri = editor.open("def add(a, b):\n    total =   # running sum\n")
    assert await editor.inline_texts(uri, 1, 12) == ["a + b"]

    # Overlap with the text after the cursor is trimmed: accepting must not double ")".
    vllm_fake.script(text="1, 2))")
    uri = editor.open("print(add())\n")
    assert await editor.inline_texts(uri, 0, 10) == ["1, 2"]

    # A completion that only repeats the text after the cursor: nothing, and not an error.
    vllm_fake.script(text="return a + b")
    uri = editor.open("def add(a, b):\n    \n    return a + b\n")
    assert (await editor.complete(uri, 1, 4))["items"] == []
    assert len(vllm_fake.requests) == 4


# ---- the context window, measured with the real tokenizer ---------------------------------


def big_file(n_lines: int) -> str:
    out: list[str] = []
    i = 0
    while len(out) < n_lines:
        out += [
            f"class Handler{i}(BaseHandler):",
            f'    """Handle request kind {i}."""',
            f"    def process_{i}(self, request: Request) -> Response:",
            f"        if request.size > self.limits[{i % 13}]:",
            f'            raise ValueError(f"request {{request.id}} too large for {i}")',
            "        return Response(status=200)",
            "",
        ]
        i += 1
    return "\n".join(out[:n_lines]) + "\n"


async def test_window_cut_with_the_real_tokenizer(editor: Editor, vllm_fake: FakeServer) -> None:
    n_ctx = 1024
    await editor.use(
        vllm_fake,
        {
            "name": "sc-big",
            "fim": "template:starcoder",
            "n_ctx": n_ctx,
            "tokenizer": str(TOKENIZER),
        },
        template="vllm",
    )
    text = big_file(6000)
    line = 3003
    cursor_line = text.split("\n")[line]
    column = len(cursor_line) // 2
    uri = editor.open(text)
    assert await editor.inline_texts(uri, line, column) == ["return a + b"]

    prompt = body(vllm_fake, "/v1/completions")["prompt"]
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokens = len(tokenizer.encode(prompt, add_special_tokens=False).ids)
    assert tokens <= n_ctx - MAX_TOKENS
    # Not cut needlessly short either: within a few lines of the budget.
    assert tokens >= n_ctx - MAX_TOKENS - SAFETY_TOKENS - 80
    assert prompt.startswith("<fim_prefix>") and prompt.endswith("<fim_middle>")
    prefix, suffix = (
        prompt.removeprefix("<fim_prefix>").removesuffix("<fim_middle>").split("<fim_suffix>")
    )
    doc_prefix = "\n".join(text.split("\n")[:line]) + "\n" + cursor_line[:column]
    doc_suffix = text[len(doc_prefix) :]
    # Cut on line boundaries, both sides shorter than the document, cursor line whole.
    assert doc_prefix.endswith(prefix) and len(prefix) < len(doc_prefix)
    assert doc_prefix[: len(doc_prefix) - len(prefix)].endswith("\n")
    assert doc_suffix.startswith(suffix) and len(suffix) < len(doc_suffix)
    assert suffix.endswith("\n")
    assert prefix.endswith("\n" + cursor_line[:column])
    assert suffix.startswith(cursor_line[column:] + "\n")
    # The prefix gets the larger share of the window.
    assert len(prefix) > len(suffix)


# ---- UTF-16 positions and incremental edits ----------------------------------------------


async def test_non_ascii_positions_with_incremental_edits(
    editor: Editor, openai_fake: FakeServer
) -> None:
    await editor.use(openai_fake, {"name": "inst-utf16", "fim": "native"})
    uri = editor.open("name = 'é中😀'\nx = \n")
    # "é" and "中" are one UTF-16 unit each, "😀" two: the closing quote is at column 12.
    editor.edit(uri, (0, 9), (0, 10), "文字")  # 中 -> 文字
    editor.edit(uri, (1, 4), (1, 4), "😀 + 'ü'")
    editor.edit(uri, (1, 6), (1, 6), "é")  # right after the emoji (two units)
    # The document is now: name = 'é文字😀'\nx = 😀é + 'ü'\n
    await editor.texts(uri, 0, 13)
    await editor.texts(uri, 1, 7)
    first, second = (r.json for r in openai_fake.requests)
    assert (first["prompt"], first["suffix"]) == ("name = 'é文字😀", "'\nx = 😀é + 'ü'\n")
    assert (second["prompt"], second["suffix"]) == ("name = 'é文字😀'\nx = 😀é", " + 'ü'\n")


# ---- cache -----------------------------------------------------------------------------


async def test_identical_request_and_typing_into_the_suggestion_hit_the_cache(
    editor: Editor, openai_fake: FakeServer
) -> None:
    await editor.use(openai_fake, {"name": "inst-cache", "fim": "native"})
    openai_fake.script(text="return a * b")
    uri = editor.open("def mul(a, b):\n    \n")
    assert await editor.inline_texts(uri, 1, 4) == ["return a * b"]
    assert await editor.inline_texts(uri, 1, 4) == ["return a * b"]
    assert await editor.texts(uri, 1, 4) == ["return a * b"]
    assert len(openai_fake.requests) == 1
    # The user types the first characters of the suggestion: the rest is still offered.
    editor.edit(uri, (1, 4), (1, 4), "ret")
    assert await editor.inline_texts(uri, 1, 7) == ["urn a * b"]
    editor.edit(uri, (1, 7), (1, 7), "urn a")
    assert await editor.inline_texts(uri, 1, 12) == [" * b"]
    assert len(openai_fake.requests) == 1
    # Typing something else is a new position: a new request.
    editor.edit(uri, (1, 12), (1, 12), " +")
    await editor.inline_texts(uri, 1, 14)
    assert len(openai_fake.requests) == 2


# ---- privacy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["private/notes.py", "tool.secret.py", ".env", "certs/server.pem", "id_rsa"]
)
async def test_ignored_and_secret_files_are_never_sent(
    editor: Editor, openai_fake: FakeServer, name: str
) -> None:
    await editor.use(openai_fake, {"name": f"inst-{name.replace('/', '-')}", "fim": "native"})
    uri = editor.open("API_TOKEN = 'abc'\n", name=name)
    assert (await editor.complete(uri, 1, 0))["items"] == []
    assert await editor.inline_texts(uri, 1, 0) == []
    # The same text in an ordinary file is completed: the provider works.
    other = editor.open("API_TOKEN = 'abc'\n")
    assert await editor.inline_texts(other, 1, 0) == ["return a + b"]
    assert len(openai_fake.requests) == 1
    assert "API_TOKEN" in openai_fake.last.json["prompt"]


OPENAI_SECRET = "sk-proj-Zx81Qw27Lm64Np93Rt05Vb48Kc12"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"


async def test_secrets_in_the_context_are_masked(editor: Editor, openai_fake: FakeServer) -> None:
    await editor.use(openai_fake, {"name": "inst-mask", "fim": "native"})
    text = (
        f'OPENAI_API_KEY = "{OPENAI_SECRET}"\n'
        "def connect():\n"
        "    \n"
        'KEY = """-----BEGIN PRIVATE KEY-----\n'
        f"{PEM_BODY}\n"
        '-----END PRIVATE KEY-----"""\n'
    )
    uri = editor.open(text)
    assert await editor.inline_texts(uri, 2, 4) == ["return a + b"]
    raw = openai_fake.last.body.decode()
    assert OPENAI_SECRET not in raw and OPENAI_SECRET[8:] not in raw
    assert PEM_BODY not in raw
    sent = openai_fake.last.json
    assert "def connect():" in sent["prompt"] and "-----BEGIN PRIVATE KEY-----" in sent["suffix"]


# ---- usage -----------------------------------------------------------------------------


async def test_every_completion_lands_in_the_usage_ledger(
    editor: Editor, openai_fake: FakeServer
) -> None:
    openai_fake.script(text="return a - b", usage=FakeUsage(21, 5))
    await editor.use(openai_fake, {"name": "inst-usage", "fim": "native"})
    uri = editor.open("def sub(a, b):\n    \n")
    assert await editor.inline_texts(uri, 1, 4) == ["return a - b"]
    editor.edit(uri, (1, 4), (1, 4), "x")
    openai_fake.script(text=" = 1", usage=FakeUsage(23, 2))
    assert await editor.texts(uri, 1, 5) == [" = 1"]
    pid = editor.provider_id

    async def rows() -> list[dict[str, Any]]:
        return [r for r in await editor.usage_rows() if r["providerId"] == pid]

    for _ in range(100):
        found = await rows()
        if found and found[0]["requests"] == 2:
            break
        await asyncio.sleep(0.05)
    [row] = await rows()
    assert (row["model"], row["task"], row["requests"], row["errors"]) == (
        "inst-usage",
        "completion",
        2,
        0,
    )
    assert (row["inputTokens"], row["outputTokens"], row["estimated"]) == (44, 7, False)
    with sqlite3.connect(editor.data_dir / "usage.sqlite3") as db:
        latencies = [
            v
            for (v,) in db.execute(
                "SELECT latency_ms FROM usage_records WHERE provider_id = ?", (pid,)
            )
        ]
    assert len(latencies) == 2 and all(v > 0 for v in latencies)
