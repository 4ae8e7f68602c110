"""Control API of a standalone fake (`/__fake/*`), for tests that drive it from outside."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.scripts import Reply

if TYPE_CHECKING:
    from tests.fakes.server import Exchange, FakeServer


async def handle_control(server: FakeServer, ex: Exchange) -> None:
    req = ex.req
    ok = Reply()
    headers = [("content-type", "application/json")]
    route = (req.method, req.path)
    body: Any
    if route == ("GET", "/__fake/requests"):
        body = [r.to_public_json() for r in server.requests if not r.path.startswith("/__fake/")]
    elif route == ("GET", "/__fake/violations"):
        body = server.contract.violations if server.contract is not None else []
    elif route == ("POST", "/__fake/script"):
        items = req.json if isinstance(req.json, list) else [req.json]
        try:
            replies = [Reply.from_json(item) for item in items]
        except (TypeError, ValueError, KeyError) as e:
            await ex.send_json(400, {"error": str(e)}, ok, headers=headers)
            return
        server.queue(*replies)
        body = {"queued": len(replies)}
    elif route == ("POST", "/__fake/reset"):
        server.reset()
        body = {"reset": True}
    else:
        await ex.send_json(
            404, {"error": f"no control route {req.method} {req.path}"}, ok, headers=headers
        )
        return
    await ex.send_json(200, body, ok, headers=headers)
