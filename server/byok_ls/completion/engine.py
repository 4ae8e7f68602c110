"""One inline completion: privacy checks, cache, superseding, prompt, provider, clean-up."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from byok_ls.completion.cache import CompletionCache
from byok_ls.completion.chat_fill import chat_fill_messages, clean_partial
from byok_ls.completion.cut import Cutter
from byok_ls.completion.document import split_at
from byok_ls.completion.fim import template_for
from byok_ls.completion.postprocess import multiline_for
from byok_ls.completion.privacy import mask_secrets
from byok_ls.completion.streaming import Clean, read_until_cut
from byok_ls.completion.window import LoneSurrogate, cut_context
from byok_ls.counting import count_text, counter_for
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.registry import adapter_for
from byok_ls.providers.retry import NO_RETRY
from byok_ls.providers.types import (
    ChatMessage,
    ChatRequest,
    FimRequest,
    PromptRequest,
)
from byok_ls.routing import Router, Target
from byok_ls.workspace import is_excluded, uri_to_path

log = logging.getLogger(__name__)

if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    # httpcore runs ``import sniffio`` for every request it sends and falls back to asyncio
    # when it is missing; a failed import searches all of sys.path again each time (about a
    # millisecond per completion). Marking it missing makes that import fail at once.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

#: Tokens kept free besides the answer (template markers, chat instructions).
SAFETY_TOKENS = 32
DEFAULT_TEMPERATURE = 0.2
#: Output budget in single-line mode: a long line of code is 40 tokens or so.
SINGLE_LINE_MAX_TOKENS = 64


@dataclass(frozen=True)
class Answer:
    text: str
    model_id: str | None
    #: Served by a fallback model, not the one asked for (or the active one).
    fallback: bool = False


@dataclass
class _Served:
    text: str
    input_tokens: int
    output_tokens: int
    estimated: bool


class CompletionService:
    def __init__(self, router: Router, workspace_roots: Callable[[], Iterable[Path]]) -> None:
        self.router = router
        self.workspace_roots = workspace_roots
        self.cache = CompletionCache()
        self._inflight: dict[str, asyncio.Task[tuple[_Served, Target]]] = {}
        #: Requests per document so far; a waiting request that is no longer the newest gives up.
        self._generation: dict[str, int] = {}

    def primary_model(self, model_id: str | None) -> str:
        return self.router.chain("completion", model_id)[0]

    async def complete(
        self,
        uri: str,
        text: str,
        line: int,
        character: int,
        *,
        language_id: str = "",
        model_id: str | None = None,
        encoding: str = "utf-16",
    ) -> Answer:
        """The completion at (``line``, ``character``); ``character`` counts code units of
        the negotiated position ``encoding``."""
        path = uri_to_path(uri)
        if path is not None and is_excluded(path, self.workspace_roots()):
            log.info("no completion for %s: excluded by .byokignore or as a secret file", path.name)
            return Answer("", None)
        prefix, suffix = split_at(text, line, character, encoding)
        primary = self.primary_model(model_id)
        cached = self.cache.lookup(primary, prefix, suffix)
        if cached is not None:
            self._supersede(uri)
            return Answer(cached, primary)

        generation = self._generation[uri] = self._generation.get(uri, 0) + 1
        previous = self._inflight.get(uri)
        if previous is not None and not previous.done():
            # A newer keystroke makes the older answer useless; waiting for it to unwind keeps
            # at most one upstream request per document and closes its connection.
            previous.cancel()
            await asyncio.wait([previous])
        if self._generation.get(uri) != generation:
            return Answer("", None)  # An even newer request arrived while this one waited.
        task = asyncio.get_running_loop().create_task(
            self.router.run(
                "completion",
                model_id,
                lambda target: self._attempt(target, prefix, suffix, language_id, str(path or uri)),
            )
        )
        self._inflight[uri] = task
        try:
            served, target = await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                task.cancel()  # The client cancelled this request: stop the upstream call too.
                raise
            return Answer("", None)  # Superseded by a newer request for the same document.
        finally:
            if self._inflight.get(uri) is task:
                del self._inflight[uri]
            if self._generation.get(uri) == generation:
                del self._generation[uri]
        if target.model_id == primary and served.text:
            self.cache.put(primary, prefix, suffix, served.text)
        return Answer(served.text, target.model_id, target.fallback)

    def _supersede(self, uri: str) -> None:
        """Drop the request in flight for ``uri``: a newer one was answered without it."""
        previous = self._inflight.get(uri)
        if previous is not None and not previous.done():
            self._generation[uri] = self._generation.get(uri, 0) + 1
            previous.cancel()

    async def _attempt(
        self, target: Target, prefix: str, suffix: str, language_id: str, path: str
    ) -> _Served:
        model = target.model
        settings = self.router.config.config.settings
        multiline = multiline_for(prefix, suffix)
        max_tokens = min(
            settings.completion_max_tokens if multiline else SINGLE_LINE_MAX_TOKENS,
            settings.completion_max_tokens,
            model.max_output_tokens or 10**9,
        )
        fim = model.fim or target.template.default_fim
        counter = await counter_for(model.tokenizer)
        temperature = (
            model.default_temperature
            if model.default_temperature is not None
            else DEFAULT_TEMPERATURE
        )
        # No retries: a completion that failed is stale by the time a retry could answer,
        # and the router's short back-off spares the provider.
        adapter = adapter_for(target.endpoint, NO_RETRY)
        budget = model.n_ctx - max_tokens - SAFETY_TOKENS
        family_stop: tuple[str, ...] = ()
        if fim.startswith("template:"):
            template = template_for(fim)
            family_stop = template.stop
            budget -= count_text(counter, template.build("", ""))
        if budget <= 0:
            raise ByokError(
                ErrorKind.CONTEXT_TOO_LONG,
                f"{target.model_id} has a context window of {model.n_ctx} tokens, too small for "
                f"a {max_tokens}-token completion: raise n_ctx or lower completion_max_tokens.",
                provider_id=target.provider.id,
                model=model.name,
            )
        try:
            window = cut_context(prefix, suffix, counter, budget)
        except LoneSurrogate as exc:
            raise _not_text(prefix, suffix, exc.char) from None
        before, after = mask_secrets(window.prefix), mask_secrets(window.suffix)
        # Single-line mode ends at the line break: the provider may stop there too. The
        # newline goes first since OpenAI-style endpoints take only four stop sequences.
        stop = family_stop if multiline else ("\n", *family_stop)
        clean: Clean | None = None
        if fim == "native":
            stream = adapter.fim(
                FimRequest(model.name, before, after, max_tokens, temperature, stop), stream=True
            )
        elif fim.startswith("template:"):
            prompt = template_for(fim).build(before, after)
            stream = adapter.prompt(
                PromptRequest(model.name, prompt, max_tokens, temperature, stop), stream=True
            )
        else:
            system, user = chat_fill_messages(before, after, language_id, path)
            messages = (ChatMessage("system", system), ChatMessage("user", user))
            # No "\n" stop here: a chat answer may open with a code fence line.
            stream = adapter.chat(ChatRequest(model.name, messages, max_tokens, temperature))

            def clean(raw: str, final: bool) -> str | None:
                return clean_partial(raw, window.prefix, window.suffix, final)

        cutter = Cutter(
            window.prefix,
            window.suffix,
            multiline=multiline,
            stop=family_stop,
            language_id=language_id,
        )
        timeout_s = settings.completion_timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                reading = await read_until_cut(stream, cutter, clean)
        except TimeoutError:
            raise ByokError(
                ErrorKind.TIMEOUT,
                f"{target.provider.name} did not finish the completion within {timeout_s:g} s "
                "(settings.completion_timeout_s): the server may be overloaded or the model "
                "too slow for inline completion.",
                provider_id=target.provider.id,
                model=model.name,
            ) from None
        usage = reading.usage
        if usage is not None and not reading.closed_early:
            return _Served(reading.shown, usage.input_tokens, usage.output_tokens, False)
        # Closed early, or no usage reported: the provider bills what it generated, which
        # is at least what arrived.
        input_tokens = usage.input_tokens if usage is not None and usage.input_tokens else 0
        return _Served(
            reading.shown,
            input_tokens or window.prefix_tokens + window.suffix_tokens,
            count_text(counter, reading.raw),
            True,
        )


def _not_text(prefix: str, suffix: str, char: str) -> ByokError:
    """Bad input, named: the editor sent a document that holds half a UTF-16 pair."""
    at = prefix.find(char)
    if at >= 0:
        line = prefix.count("\n", 0, at) + 1
    else:
        line = prefix.count("\n") + suffix.count("\n", 0, max(0, suffix.find(char))) + 1
    return ByokError(
        ErrorKind.INVALID_PARAMS,
        f"textDocument: the document holds a lone surrogate (U+{ord(char):04X}) at line "
        f"{line}, which is not Unicode text and cannot be sent; remove that character.",
        field="textDocument",
    )
