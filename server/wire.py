"""Frames on the wire: encode once, then hand the same text to every client's writer.

Each client has one writer task with two outlets: an ordered queue (stages, metrics, errors —
never dropped; a client that lets it overflow is dropped instead) and one-slot mailboxes for the
latest snapshots, by name (`state`, the binary `field`): a newer one replaces an unsent older one.
Every send has a timeout; a client that stalls is dropped without anyone awaiting it.

Binary frames (large tensors): b"FSB1", a uint32 (little-endian) header length H, H bytes of UTF-8
JSON {"type": …, "tensors": [{"name", "dtype", "shape", "offset", "nbytes"}], …}, zero padding to
the next multiple of 8 (the data section), then the tensors, little-endian, each at `offset` bytes
into the data section (a multiple of 8).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import struct
from collections import deque

import numpy as np
import orjson
from pydantic import BaseModel
from starlette.websockets import WebSocket


def encode(msg: BaseModel) -> str:
    # orjson writes NaN/∞ as null, which the browser shows as "—"; model_dump keeps dicts plain
    return orjson.dumps(msg.model_dump(mode="python"), option=orjson.OPT_SERIALIZE_NUMPY).decode()


MAGIC = b"FSB1"


def _align(n: int) -> int:
    return -(-n // 8) * 8


def encode_tensors(header: dict, tensors: dict[str, np.ndarray], dtype: str = "float16") -> bytes:
    """One binary frame: the JSON header indexes the tensors that follow (see the module docstring)."""
    arrays = [np.ascontiguousarray(a, dtype=np.dtype(dtype).newbyteorder("<")) for a in tensors.values()]
    index, offset = [], 0
    for name, a in zip(tensors, arrays):
        index.append({"name": name, "dtype": dtype, "shape": list(a.shape), "offset": offset, "nbytes": a.nbytes})
        offset += _align(a.nbytes)
    head = orjson.dumps({**header, "tensors": index})
    data = _align(8 + len(head))
    out = bytearray(data + offset)
    out[:8] = MAGIC + struct.pack("<I", len(head))
    out[8:8 + len(head)] = head
    for entry, a in zip(index, arrays):
        out[data + entry["offset"]:data + entry["offset"] + a.nbytes] = a.tobytes()
    return bytes(out)


def decode_tensors(frame: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The inverse of encode_tensors (for tests and Python clients)."""
    if frame[:4] != MAGIC:
        raise ValueError("not a Flowscope binary frame")
    (size,) = struct.unpack("<I", frame[4:8])
    header = orjson.loads(frame[8:8 + size])
    data = _align(8 + size)
    tensors = {t["name"]: np.frombuffer(frame, dtype=np.dtype(t["dtype"]).newbyteorder("<"),
                                        count=int(np.prod(t["shape"])), offset=data + t["offset"]).reshape(t["shape"])
               for t in header["tensors"]}
    return header, tensors


_SERIALS = itertools.count(1)


class Client:
    def __init__(self, ws: WebSocket, send_timeout: float, max_queue: int):
        self.ws = ws
        self.send_timeout = send_timeout
        self.max_queue = max_queue
        self.queue: deque[str | bytes] = deque()
        self.mailboxes: dict[str, str | bytes] = {}
        self.wake = asyncio.Event()
        self.dropped = asyncio.Event()  # set when this client is cut off (stalled, overflowed or gone)
        self.sent = 0
        self.id = secrets.token_hex(3)  # how the room names this connection (hand-over, roster)
        self.serial = next(_SERIALS)  # unique in this process: how room processes name it (pool.py)
        self.address = ws.client.host if getattr(ws, "client", None) else None  # for per-client limits
        self.name: str | None = None

    def push(self, payload: str | bytes, latest: bool | str = False) -> None:
        """Called on the event loop thread. `latest` names a mailbox (True: "state") whose frames replace
        each other; other frames queue in order. bytes go out as binary frames."""
        if self.dropped.is_set():
            return
        if latest:
            self.mailboxes["state" if latest is True else latest] = payload
        elif len(self.queue) >= self.max_queue:
            self.dropped.set()  # it stopped reading long ago: let it go rather than drop a loss
            return
        else:
            self.queue.append(payload)
        self.wake.set()

    async def writer(self) -> None:
        try:
            while not self.dropped.is_set():
                await self.wake.wait()
                self.wake.clear()
                while self.queue or self.mailboxes:
                    if self.queue:
                        payload = self.queue.popleft()
                    else:
                        payload = self.mailboxes.pop(next(iter(self.mailboxes)))
                    send = self.ws.send_bytes if isinstance(payload, bytes) else self.ws.send_text
                    await asyncio.wait_for(send(payload), self.send_timeout)
                    self.sent += 1
        except Exception:  # a timeout, or a closed socket (starlette/websockets raise several kinds)
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
