"""Frames on the wire: encode once, then hand the same text to every client's writer.

Each client has one writer task with two outlets: an ordered queue (stages, metrics, errors —
never dropped; a client that lets it overflow is dropped instead) and a one-slot mailbox for the
latest `state` (a newer one replaces an unsent older one). Every send has a timeout; a client that
stalls is dropped without anyone awaiting it.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import orjson
from pydantic import BaseModel
from starlette.websockets import WebSocket


def encode(msg: BaseModel) -> str:
    # orjson writes NaN/∞ as null, which the browser shows as "—"; model_dump keeps dicts plain
    return orjson.dumps(msg.model_dump(mode="python"), option=orjson.OPT_SERIALIZE_NUMPY).decode()


class Client:
    def __init__(self, ws: WebSocket, send_timeout: float, max_queue: int):
        self.ws = ws
        self.send_timeout = send_timeout
        self.max_queue = max_queue
        self.queue: deque[str] = deque()
        self.mailbox: str | None = None
        self.wake = asyncio.Event()
        self.dropped = asyncio.Event()  # set when this client is cut off (stalled, overflowed or gone)
        self.sent = 0

    def push(self, text: str, latest: bool = False) -> None:
        """Called on the event loop thread. `latest` frames replace each other; others queue."""
        if self.dropped.is_set():
            return
        if latest:
            self.mailbox = text
        elif len(self.queue) >= self.max_queue:
            self.dropped.set()  # it stopped reading long ago: let it go rather than drop a loss
            return
        else:
            self.queue.append(text)
        self.wake.set()

    async def writer(self) -> None:
        try:
            while not self.dropped.is_set():
                await self.wake.wait()
                self.wake.clear()
                while self.queue or self.mailbox is not None:
                    if self.queue:
                        text = self.queue.popleft()
                    else:
                        text, self.mailbox = self.mailbox, None
                    await asyncio.wait_for(self.ws.send_text(text), self.send_timeout)
                    self.sent += 1
        except (asyncio.TimeoutError, RuntimeError, OSError):
            pass
        except Exception:  # a closed socket raises starlette/websockets errors of several kinds
            pass
        finally:
            self.dropped.set()


@contextlib.contextmanager
def writer_task(client: Client):
    task = asyncio.get_running_loop().create_task(client.writer())
    try:
        yield task
    finally:
        client.dropped.set()
        task.cancel()
