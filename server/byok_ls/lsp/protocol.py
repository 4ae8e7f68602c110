"""pygls' protocol, with one answer for every cancelled request.

A request cancelled before its handler started (request and ``$/cancelRequest`` arrive in the
same read) never reaches the handler's own ``except CancelledError``; pygls then answers a bare
-32800. This answers it like every other cancelled ``byok/*`` request: ``data.kind: cancelled``.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from pygls.protocol import LanguageServerProtocol

from byok_ls.lsp.errors import cancelled


class ByokProtocol(LanguageServerProtocol):
    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        if future.cancelled():
            self._request_futures.pop(msg_id, None)
            self._send_response(msg_id, error=cancelled().to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)
