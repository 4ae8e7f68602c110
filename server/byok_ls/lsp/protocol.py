"""pygls' protocol: one answer for every cancelled request and for late requests, and no
per-notification leak.

A request cancelled before its handler started (request and ``$/cancelRequest`` arrive in the
same read) never reaches the handler's own ``except CancelledError``; pygls then answers a bare
-32800. This answers it like every other cancelled ``byok/*`` request: ``data.kind: cancelled``.

pygls files the future of every handler it runs under a message id in ``_request_futures`` so
``$/cancelRequest`` can find it. A request's entry is removed when its answer is sent, but a
notification served by a generator or coroutine handler (pygls' own ``didChange``,
``didOpen``, ``didClose`` are generators) gets a fresh uuid entry that nothing removed: one
``concurrent.futures.Future`` with its lock and condition, about 2 KB, per keystroke, for as
long as the server runs. Entries are now removed when their future is done.

After ``shutdown`` pygls drops every request unanswered, so a client that sends one waits
forever; LSP says to answer it with InvalidRequest.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol


class _Futures(dict[Any, Any]):
    """``_request_futures`` whose ``items()`` is a snapshot: pygls' ``shutdown`` cancels the
    pending futures while iterating, and each cancel now removes its own entry."""

    def items(self) -> Any:
        return list(super().items())


class ByokProtocol(LanguageServerProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_futures = _Futures()

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        if future.cancelled():
            # Imported here: lsp/errors.py loads pydantic, which start-up does without.
            from byok_ls.lsp.errors import cancelled

            self._request_futures.pop(msg_id, None)
            self._send_response(msg_id, error=cancelled().to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Callable[..., Any],
        callback: Callable[[Future[Any]], None],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is None:
            return
        futures = self._request_futures

        def forget(done: Any) -> None:
            # Only this handler's own entry: a client may reuse a finished request's id.
            if futures.get(msg_id) is done:
                del futures[msg_id]

        future.add_done_callback(forget)

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        if self._shutdown and method is not None and method != types.EXIT:
            msg_id = getattr(message, "id", None)
            if msg_id is not None:  # a request; notifications are dropped, as before
                refused = JsonRpcInvalidRequest(
                    message=f"{method}: the server is shutting down (shutdown was received); "
                    "only exit is accepted now."
                )
                self._send_response(msg_id, error=refused.to_response_error())
                return
        super().handle_message(message)
