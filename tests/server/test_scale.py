"""One room, 100 viewers on loopback and one that stalls: every other viewer keeps getting frames."""
import asyncio
import json
import threading
import time

from websockets.asyncio.client import connect

from ws_helpers import create, raw_handshake, send

VIEWERS = 100


def run_viewers(url: str, code: str, seconds: float, results: dict) -> None:
    async def viewer(i: int) -> None:
        async with connect(url, max_size=None, open_timeout=10) as ws:
            await ws.send(json.dumps({"type": "join", "session": code}))
            steps, deadline = [], time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                try:
                    raw = await asyncio.wait_for(ws.recv(), left)
                except asyncio.TimeoutError:
                    break
                msg = json.loads(raw)
                if msg["type"] == "state":
                    steps.append(msg["step"])
            results[i] = steps

    async def main() -> None:
        await asyncio.gather(*(viewer(i) for i in range(VIEWERS)))

    asyncio.run(main())


def test_a_hundred_viewers_and_a_stalled_one(server_factory):
    srv = server_factory(sndbuf=32768, send_timeout=0.5, max_clients_per_session=200)
    with srv.connect() as owner:
        # the line's state carries its L(a) curve (~4 KB): the stalled socket's buffers fill in about a second
        session, _, _ = create(owner, "line", {"speed": 200})
        stalled, _ = raw_handshake(srv.port, rcvbuf=4096)
        stalled.sendall(_masked(json.dumps({"type": "join", "session": session["id"]})))
        results: dict = {}
        crowd = threading.Thread(target=run_viewers, args=(srv.ws_url, session["id"], 16.0, results))
        crowd.start()
        room = srv.rooms.by_code[session["id"]]
        deadline = time.monotonic() + 3
        while len(room.clients) < VIEWERS + 2 and time.monotonic() < deadline:  # the owner, the crowd, the stalled
            time.sleep(0.05)
        assert len(room.clients) == VIEWERS + 2
        send(owner, {"type": "play"})
        deadline = time.monotonic() + 12  # about 1 s on a quiet machine; a loaded one plays slower
        while len(room.clients) > VIEWERS + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(room.clients) == VIEWERS + 1, "the stalled viewer was dropped; the crowd is still there"
        crowd.join(30)
        send(owner, {"type": "pause"})
        stalled.close()
    assert len(results) == VIEWERS
    lasts = [steps[-1] for steps in results.values() if steps]
    assert len(lasts) == VIEWERS, "every viewer received states"
    # while playing at 200 steps/s for several seconds, every viewer saw the run move well past its start
    assert min(lasts) > 300, sorted(lasts)[:5]
    assert max(lasts) - min(lasts) < 200, "no viewer fell far behind the others"


def _masked(text: str) -> bytes:
    from ws_helpers import masked_frame

    return masked_frame(text)
