"""`flowscope`: start the server and (unless told not to) open the browser."""
from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import time
import webbrowser

import uvicorn

from .lan import host_names, lan_address
from .settings import Settings


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="flowscope", description="Watch a neural network learn, stage by stage.")
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1: this computer only; "
                   "0.0.0.0 inside a container)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000)")
    p.add_argument("--no-browser", action="store_true", help="don't open a browser tab")
    p.add_argument("--classroom", action="store_true", help="serve the whole LAN (binds 0.0.0.0): students join "
                   "with the room code, the link or the QR code the teacher's page shows")
    p.add_argument("--data-dir", default=None, help="where saved runs are kept (a SQLite file; default "
                   "$XDG_DATA_HOME/flowscope or ~/.local/share/flowscope)")
    p.add_argument("--max-width", type=int, default=None, help="most units per hidden layer a network may have "
                   "(default 8, as TensorFlow Playground; up to 64)")
    p.add_argument("--max-workers", type=int, default=None, help="most data-parallel worker processes one "
                   "transformer run may start (default: the core count)")
    p.add_argument("--max-model-mb", type=float, default=None, help="most memory one model may need to train "
                   "(an estimate made before it is built; default 2048)")
    p.add_argument("--max-step-gflop", type=float, default=None, help="most work one step or loss estimate may "
                   "take, in GFLOP (default 2000, about 30 s on a 2-core CPU)")
    p.add_argument("--max-models-mb", type=float, default=None, help="most memory all the rooms' models together may "
                   "need to train (default: a third of this machine's memory)")
    p.add_argument("--max-worker-processes", type=int, default=None, help="most data-parallel worker processes on "
                   "the whole server (default: the usable cores, at least 2)")
    p.add_argument("--room-processes", type=int, default=None, help="processes the rooms train in (default: "
                   "one per usable core, at most 8; 0: threads of the server's own process)")
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="a Host name to answer besides loopback and this machine's LAN names (repeatable), "
                   "e.g. the name a reverse proxy forwards")
    p.add_argument("--forwarded-allow-ips", default=None, metavar="ADDRS",
                   help="addresses of reverse proxies whose X-Forwarded-For is trusted (comma-separated, e.g. "
                   "127.0.0.1 for nginx on this machine); default none: the socket's own address counts "
                   "for the per-address limits")
    p.add_argument("--allow-any-host", action="store_true", help="answer any Host header: turns off the "
                   "DNS-rebinding guard (only behind a proxy that checks Host itself)")
    return p.parse_args(argv)


def _interrupt(signum, frame):
    """SIGTERM as Ctrl+C: uvicorn shuts down gracefully, then re-raises the signal it caught into this
    handler, and KeyboardInterrupt ends uvicorn.run quietly."""
    raise KeyboardInterrupt


def main(argv=None) -> None:
    args = parse(argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port), ("max_width", args.max_width),
                                   ("data_dir", args.data_dir), ("max_workers", args.max_workers),
                                   ("max_model_mb", args.max_model_mb), ("max_step_gflop", args.max_step_gflop),
                                   ("room_processes", args.room_processes), ("max_models_mb", args.max_models_mb),
                                   ("max_worker_processes", args.max_worker_processes),
                                   ("forwarded_allow_ips", args.forwarded_allow_ips))
                 if v is not None}
    if args.no_browser:
        overrides["open_browser"] = False
    if args.allow_any_host:
        overrides["allow_any_host"] = True
    hosts = list(args.allowed_host)
    if args.classroom:
        ip = lan_address()
        port = overrides.get("port", 8000)
        overrides.update(classroom=True, host=overrides.get("host", "0.0.0.0"), public_url=f"http://{ip}:{port}",
                         max_sessions_per_client=10)
        hosts += host_names(ip)
    elif overrides.get("host", "127.0.0.1") not in ("127.0.0.1", "localhost", "::1"):
        # reachable from elsewhere (a container's 0.0.0.0, a LAN address): this machine's own names answer,
        # other names don't (DNS rebinding) unless --allowed-host or --allow-any-host says so
        hosts += host_names(lan_address())
        if overrides["host"] not in ("0.0.0.0", "::"):
            hosts.append(overrides["host"])
    settings = Settings(**overrides)
    settings.allowed_hosts = sorted({*settings.allowed_hosts, *hosts})  # FLOWSCOPE_ALLOWED_HOSTS, then these
    before = signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve(settings)
    finally:
        signal.signal(signal.SIGTERM, before)


def serve(settings: Settings) -> None:
    """Build the app, run uvicorn until Ctrl+C or SIGTERM, and end without an abort."""
    from .app import create_app  # after parsing, so --help is instant

    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:  # say so at once, not after the app has started (it exited 3 after 23 s)
        print(f"Flowscope cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}. "
              f"Is another Flowscope running there? Choose another port with --port.", file=sys.stderr, flush=True)
        sys.exit(2)
    app = create_app(settings)
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = f"http://{shown}:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, **uvicorn_options(settings)))
    # "running at" only once the port accepts connections (uvicorn's `started`), never before
    threading.Thread(target=announce, args=(server, settings, url), name="announce", daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    # The lifespan has stopped the runners (app.state.stopped: all of them within shutdown_seconds) and
    # closed the store, so everything worth keeping is written. Leave now rather than finalize the
    # interpreter: a training thread still inside one long torch call makes finalization abort the
    # process ("terminate called without an active exception", exit −6), and unloading torch alone
    # took 1.5–3 s on a busy 2-core machine after every thread had stopped.
    if hasattr(app.state, "stopped"):  # the lifespan ran its shutdown (a real server, not a test's stand-in)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a port in use is reported before anything starts."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_options(settings: Settings) -> dict:
    """How uvicorn runs Flowscope (the CLI's server and the tests' are the same). Proxy headers are
    trusted only from the addresses `forwarded_allow_ips` names: uvicorn's default trusts 127.0.0.1,
    so any local client could claim another address and slip past the per-address limits. The HTTP and
    websocket protocols are uvicorn's own inside the socket-level guard (conns.py: slowloris)."""
    from .conns import edge_protocols

    proxies = settings.forwarded_allow_ips
    return dict(**edge_protocols(settings), ws_max_size=settings.ws_max_size, ws_per_message_deflate=False, log_level="warning",
                timeout_graceful_shutdown=1, proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
                timeout_keep_alive=5)


def announce(server: uvicorn.Server, settings: Settings, url: str) -> None:
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.01)
    print(f"Flowscope is running at {url}  (Ctrl+C to stop)", flush=True)
    if settings.classroom:
        print(f"Classroom mode: students open {settings.public_url}/join and type the room code your page shows,\n"
              f"or scan its QR code. Only machines on this network can reach it.", flush=True)
    if settings.open_browser:
        webbrowser.open(url)


if __name__ == "__main__":
    main()
