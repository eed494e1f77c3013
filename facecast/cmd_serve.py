"""`facecast serve`: the ZeroMQ service many clients use at once (docs/service.md, docs/protocol.md).
Loopback only unless CurveZMQ keys are given."""

from __future__ import annotations

import argparse
import logging
import signal
from pathlib import Path

from .bridge import wire
from .runtime.errors import ConfigError

log = logging.getLogger("facecast")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--control",
        default=wire.DEFAULT_CONTROL,
        help=f"control endpoint (ROUTER), default {wire.DEFAULT_CONTROL}",
    )
    p.add_argument(
        "--data", default=wire.DEFAULT_DATA, help=f"data endpoint (PUB), default {wire.DEFAULT_DATA}"
    )
    p.add_argument(
        "--curve-keys",
        type=Path,
        metavar="DIR",
        help="CurveZMQ keys (server.key_secret; optional DIR/clients/*.key allow-list): required beyond loopback",
    )
    p.add_argument(
        "--make-keys", type=Path, metavar="DIR", help="write a new server key pair to DIR and exit"
    )
    p.add_argument("--max-sessions", type=int, default=64, help="sessions open at once (default 64)")
    p.add_argument(
        "--idle-timeout", type=float, metavar="S", help="close sessions no request touched for S seconds"
    )
    p.add_argument(
        "--pose-step-ms",
        type=float,
        default=50.0,
        metavar="MS",
        help="motion step of speaking pose-only sessions (default 50): larger serves more NPCs, later",
    )
    p.add_argument(
        "--render-threads",
        type=int,
        default=0,
        metavar="N",
        help="CPU threads per session's renderer (default 0: automatic, 1 on the CPU)",
    )
    p.add_argument(
        "--overlay-port", type=int, metavar="PORT", help="also serve the browser overlay page on this port"
    )


def make_keys(directory: Path) -> None:
    import zmq.auth

    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "server.key_secret").exists():
        raise ConfigError(f"{directory / 'server.key_secret'} already exists; remove it to make new keys")
    public, secret = zmq.auth.create_certificates(str(directory), "server")
    Path(secret).chmod(0o600)
    print(
        f"wrote {secret} (keep it on the server) and {public} (give it to clients).\n"
        f"start the service with: facecast serve --curve-keys {directory} --control tcp://0.0.0.0:5555 "
        "--data tcp://0.0.0.0:5556\n"
        f"to allow only some clients, put their public .key files in {directory / 'clients'}/"
    )


def run(args: argparse.Namespace) -> int:
    if args.make_keys is not None:
        make_keys(args.make_keys)
        return 0
    if not 10 <= args.pose_step_ms <= 500:
        raise ConfigError(f"--pose-step-ms must be 10..500, got {args.pose_step_ms}")
    if not 0 <= args.render_threads <= 64:
        raise ConfigError(f"--render-threads must be 0..64, got {args.render_threads}")
    if args.max_sessions < 1:
        raise ConfigError(f"--max-sessions must be at least 1, got {args.max_sessions}")
    from .bridge.server import Server, ServerOptions

    server = Server(
        ServerOptions(
            control=args.control,
            data=args.data,
            curve_keys=args.curve_keys,
            max_sessions=args.max_sessions,
            idle_timeout_s=args.idle_timeout,
            pose_step_s=args.pose_step_ms / 1000.0,
            render_threads=args.render_threads,
        )
    )
    overlay = None
    if args.overlay_port is not None:
        from .bridge.client import load_server_key
        from .bridge.overlay import OverlayServer

        overlay = OverlayServer(args.overlay_port).start()
        key = load_server_key(args.curve_keys / "server.key") if args.curve_keys else None
        overlay.follow(server.data_endpoint.replace("0.0.0.0", "127.0.0.1"), server_key=key)
        print(f"overlay page: {overlay.url}?session=<id>", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    print(
        f"facecast serve: control {server.control_endpoint}, data {server.data_endpoint} (Ctrl-C stops)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if overlay is not None:
            overlay.stop()
    return 0
