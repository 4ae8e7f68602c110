"""FakeServer: an HTTP/1.1 server on its own event loop thread, serving one provider flavor."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tests.fakes.http import (
    BadRequest,
    ClientGone,
    CloseConnection,
    Connection,
    Headers,
    RecordedRequest,
    chunk,
    dumps,
    encode_head,
)
from tests.fakes.scripts import Reply, ReplyQueue

if TYPE_CHECKING:
    from types import TracebackType

    from tests.fakes.contract import ContractChecker

Handler = Callable[["Exchange", Reply], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    handler: Handler
    # Generation endpoints take queued replies; listings only take replies aimed at their path.
    generative: bool = True


class Flavor(Protocol):
    name: str
    # What a user would configure as the provider's base URL, relative to the server root.
    api_path: str

    def routes(self) -> dict[tuple[str, str], Route]: ...

    def auth_failure(self, req: RecordedRequest, expect_key: str) -> Reply | None: ...

    def not_found(self, req: RecordedRequest) -> Reply: ...

    def contract_kind(self, req: RecordedRequest) -> str | None: ...

    def response_headers(self, req: RecordedRequest) -> Headers: ...

    def error_frame(self, payload: Any) -> bytes: ...


class Exchange:
    """One request/response on a connection; the flavor's handlers write through it."""

    def __init__(self, server: FakeServer, conn: Connection, req: RecordedRequest) -> None:
        self.server = server
        self.conn = conn
        self.req = req
        self.keep_alive = req.headers.get("connection", "").lower() != "close"

    @property
    def body(self) -> dict[str, Any]:
        return self.req.json if isinstance(self.req.json, dict) else {}

    def base_headers(self, content_type: str) -> Headers:
        headers: Headers = [("content-type", content_type)]
        headers += self.server.flavor.response_headers(self.req)
        return headers

    async def _head(self, status: int, headers: Headers, reply: Reply) -> None:
        self.req.status = status
        merged = {k.lower(): (k, v) for k, v in headers}
        for k, v in reply.headers.items():
            merged[k.lower()] = (k, v)
        merged.setdefault(
            "connection", ("connection", "keep-alive" if self.keep_alive else "close")
        )
        await self.conn.write(encode_head(status, list(merged.values())))
        self.server.notify()

    async def send_body(self, status: int, body: bytes, headers: Headers, reply: Reply) -> None:
        """A complete body with content-length; faults cut it in half."""
        if reply.garbage is not None:
            body = reply.garbage
        await self._head(status, [*headers, ("content-length", str(len(body)))], reply)
        pieces = [body[: len(body) // 2], body[len(body) // 2 :]]
        for i, piece in enumerate(pieces):
            await self._fault_at(i, reply, garbage=False)
            if reply.delay_chunks and i:
                await asyncio.sleep(reply.delay_chunks)
            await self.conn.write(piece)
        self._done()

    async def send_json(
        self,
        status: int,
        obj: Any,
        reply: Reply,
        headers: Headers | None = None,
        prefix: bytes = b"",
    ) -> None:
        hdrs = headers if headers is not None else self.base_headers("application/json")
        await self.send_body(status, prefix + dumps(obj), hdrs, reply)

    async def send_stream(
        self,
        frames: Sequence[bytes],
        reply: Reply,
        content_type: str = "text/event-stream; charset=utf-8",
        terminator: Sequence[bytes] = (),
        status: int = 200,
    ) -> None:
        """Chunked transfer, one HTTP chunk per frame, with the reply's faults applied."""
        headers = self.base_headers(content_type)
        headers += [("transfer-encoding", "chunked"), ("cache-control", "no-cache")]
        await self._head(status, headers, reply)
        written = 0
        errored = False
        for frame in [*frames, *terminator]:
            if reply.stream_error is not None and written == reply.error_after:
                await self.conn.write(chunk(self.server.flavor.error_frame(reply.stream_error)))
                errored = True
                break
            await self._fault_at(written, reply)
            if reply.delay_chunks and written:
                await asyncio.sleep(reply.delay_chunks)
            await self.conn.write(chunk(frame))
            written += 1
        if not errored:
            if reply.stream_error is not None:
                await self.conn.write(chunk(self.server.flavor.error_frame(reply.stream_error)))
            await self._fault_at(written, reply)
        await self.conn.write(b"0\r\n\r\n")
        self._done()

    async def _fault_at(self, index: int, reply: Reply, garbage: bool = True) -> None:
        if garbage and reply.garbage is not None and index == reply.garbage_after:
            await self.conn.write(chunk(reply.garbage))
        if reply.cut_after == index:
            raise CloseConnection(reset=False)
        if reply.reset_after == index:
            raise CloseConnection(reset=True)
        if reply.stall_after == index:
            # Hold the socket open until the client gives up or the fake stops.
            await asyncio.Event().wait()

    def _done(self) -> None:
        self.req.completed = True
        self.server.notify()

    async def prelude(self, reply: Reply) -> bool:
        """Faults before any byte of the response; False when the exchange is over."""
        if reply.delay_headers:
            await asyncio.sleep(reply.delay_headers)
        if reply.close_before_headers:
            raise CloseConnection(reset=False)
        if reply.reset_before_headers:
            raise CloseConnection(reset=True)
        if reply.raw is not None:
            await self.conn.write(reply.raw)
            raise CloseConnection(reset=False)
        if reply.status >= 400 or reply.body is not None:
            body = reply.body
            if isinstance(body, str | bytes):
                raw = body.encode() if isinstance(body, str) else body
                await self.send_body(reply.status, raw, self.base_headers("text/plain"), reply)
            else:
                await self.send_json(reply.status, body, reply)
            return False
        return True


class FakeServer:
    """A fake provider on 127.0.0.1.

    `FakeServer("openai").start()` returns the server root URL; `api_base` is what a user
    would configure as the provider's base URL (e.g. root + "/v1" for OpenAI).
    """

    def __init__(
        self,
        flavor: str | Flavor,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        expect_key: str | None = None,
        contract: ContractChecker | None = None,
        control_api: bool = False,
        **flavor_options: Any,
    ) -> None:
        from tests.fakes.flavors import make_flavor

        self.flavor: Flavor = (
            make_flavor(flavor, **flavor_options) if isinstance(flavor, str) else flavor
        )
        self.host = host
        self.port = port
        self.expect_key = expect_key
        self.contract = contract
        self.control_api = control_api
        self.replies = ReplyQueue()
        self._requests: list[RecordedRequest] = []
        self._changed = threading.Condition()
        self.in_flight = 0
        self.max_in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._conns: set[Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + self.flavor.api_path

    def start(self) -> str:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._on_connection, self.host, self.port)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as e:
                failure.append(e)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name=f"fake-{self.flavor.name}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self.base_url

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for conn in list(self._conns):
                conn.writer.transport.abort()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.sleep(0)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(timeout=5)
        self._loop = None

    def __enter__(self) -> FakeServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- scripting ---------------------------------------------------------------------

    def queue(self, *replies: Reply) -> None:
        self.replies.push(*replies)

    def script(self, **fields: Any) -> Reply:
        """Queue one reply built from keyword fields; returns it."""
        reply = Reply(**fields)
        self.replies.push(reply)
        return reply

    def reset(self) -> None:
        self.replies.clear()
        with self._changed:
            self._requests.clear()
            self.max_in_flight = self.in_flight
            self._changed.notify_all()
        if self.contract is not None:
            self.contract.clear()

    # -- recording ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._changed:
            return list(self._requests)

    def requests_to(self, path_suffix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    @property
    def last(self) -> RecordedRequest:
        reqs = self.requests
        if not reqs:
            raise AssertionError(f"the {self.flavor.name} fake received no request")
        return reqs[-1]

    def wait_for(
        self, predicate: Callable[[list[RecordedRequest]], bool], timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Block until `predicate(requests)` holds; raises TimeoutError with what was seen."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self._requests)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(self._describe())
                self._changed.wait(left)
            return list(self._requests)

    async def wait_for_async(
        self,
        predicate: Callable[[list[RecordedRequest]], bool],
        timeout: float = 5.0,
    ) -> list[RecordedRequest]:
        """Same as wait_for without blocking the caller's event loop (pytest-lsp tests)."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        return self.wait_for(lambda rs: len(rs) >= count, timeout)

    def wait_closed_early(self, timeout: float = 5.0) -> RecordedRequest:
        reqs = self.wait_for(lambda rs: any(r.closed_early for r in rs), timeout)
        return next(r for r in reqs if r.closed_early)

    def wait_idle(self, timeout: float = 5.0) -> list[RecordedRequest]:
        return self.wait_for(lambda rs: all(r.finished for r in rs), timeout)

    def _describe(self) -> str:
        lines = [f"{self.flavor.name} fake saw {len(self._requests)} request(s):"]
        for r in self._requests:
            lines.append(
                f"  {r.method} {r.path} status={r.status} completed={r.completed} "
                f"closed_early={r.closed_early}"
            )
        return "\n".join(lines)

    def notify(self) -> None:
        """Wake waiters after a recorded request changed (status, completion)."""
        with self._changed:
            self._changed.notify_all()

    # -- serving -----------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        conn = Connection(reader, writer)
        self._conns.add(conn)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                try:
                    req = await conn.read_request()
                except BadRequest:
                    await conn.write(encode_head(400, [("content-length", "0")]))
                    return
                if req is None or not await self._serve(conn, req):
                    return
        except (ClientGone, ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._conns.discard(conn)
            if task is not None:
                self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    async def _serve(self, conn: Connection, req: RecordedRequest) -> bool:
        with self._changed:
            self._requests.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
        if self.contract is not None:
            self.contract.check(self.flavor.contract_kind(req), req, self.expect_key)
        ex = Exchange(self, conn, req)
        respond = asyncio.ensure_future(self._respond(ex))
        watch = asyncio.ensure_future(conn.watch_eof())
        keep = False
        try:
            done, _ = await asyncio.wait({respond, watch}, return_when=asyncio.FIRST_COMPLETED)
            if respond in done:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
                try:
                    respond.result()
                    keep = ex.keep_alive and not conn.eof
                except CloseConnection as e:
                    conn.abort(e.reset)
                except ClientGone:
                    req.closed_early = not req.completed
            else:
                req.closed_early = not req.completed
                respond.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await respond
        finally:
            if not respond.done():
                respond.cancel()
            if not watch.done():
                watch.cancel()
            with self._changed:
                req.finished_at = time.monotonic()
                self.in_flight -= 1
                self._changed.notify_all()
        return keep

    async def _respond(self, ex: Exchange) -> None:
        req = ex.req
        if self.control_api and req.path.startswith("/__fake/"):
            from tests.fakes.control import handle_control

            await handle_control(self, ex)
            return
        route = self.flavor.routes().get((req.method, req.path))
        reply: Reply | None = None
        if self.expect_key is not None:
            reply = self.flavor.auth_failure(req, self.expect_key)
        if reply is None and route is None:
            reply = self.flavor.not_found(req)
        if reply is None:
            assert route is not None
            reply = self.replies.pop_for(req.path, route.generative, self.flavor.api_path)
            reply = reply or Reply()
        req.reply = reply
        if not await ex.prelude(reply):
            return
        assert route is not None
        await route.handler(ex, reply)
