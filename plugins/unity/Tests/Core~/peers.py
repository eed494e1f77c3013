"""Real libzmq peers (pyzmq) for the C# core's ZMTP tests. One scenario per run; prints
"PORT <n>" once bound, then progress lines; exits when stdin closes or the scenario ends.

  peers.py xpub [--port P]   XPUB: reports each subscription ("SUB <hex>"), then on "go" publishes
                             frames and poses for npc-1 and npc-10 with facecast.bridge.wire, then "SENT"
  peers.py router            ROUTER with a 100 ms heartbeat: answers requests (see handle()) and
                             counts accepted connections
"""

from __future__ import annotations

import sys
import threading
import time

import msgpack
import numpy as np
import zmq
from zmq.utils.monitor import recv_monitor_message

from facecast.bridge import wire


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def bind(sock: zmq.Socket, port: int) -> None:
    if port:
        sock.bind(f"tcp://127.0.0.1:{port}")
        say(f"PORT {port}")
    else:
        say(f"PORT {sock.bind_to_random_port('tcp://127.0.0.1')}")


def frame_pixels(seq: int, w: int = 64, h: int = 32) -> np.ndarray:
    """A frame whose pixel (x, y) is (x, y, seq % 256, 255): the receiver can check every byte."""
    img = np.zeros((h, w, 4), np.uint8)
    img[..., 0] = np.arange(w)[None, :]
    img[..., 1] = np.arange(h)[:, None]
    img[..., 2] = seq % 256
    img[..., 3] = 255
    return img


def xpub(port: int) -> None:
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.XPUB)
    s.setsockopt(zmq.SNDHWM, 1000)
    s.setsockopt(zmq.LINGER, 1000)
    bind(s, port)
    stop = threading.Event()

    def read_subs() -> None:
        while not stop.is_set():
            if s.poll(50):
                msg = s.recv()
                say(f"SUB {msg.hex()}")

    lines = iter(sys.stdin.readline, "")
    t = threading.Thread(target=read_subs, daemon=True)
    t.start()
    for line in lines:
        cmd = line.strip()
        # A zmq socket is not thread-safe: the subscription reader stops while this thread sends.
        stop.set()
        t.join()
        if cmd == "go":
            for seq in range(30):
                for sid in ("npc-1", "npc-10"):
                    s.send_multipart(wire.encode_frame(sid, seq, seq * 0.04, frame_pixels(seq)))
                    m = {"t": seq * 0.04, "blendshapes": {"jawOpen": seq / 100}, "head": {"yaw": float(seq)}}
                    s.send_multipart(wire.encode_pose(sid, seq, seq * 0.04, m))
                s.send_multipart(wire.encode_status(time.time(), [{"session": "npc-1", "state": "speaking"}]))
                time.sleep(0.005)
            # Garbage on a subscribed topic must cost one message, not the connection.
            s.send_multipart([b"pose/npc-1/", b"\xc1\xc1\xc1"])
            s.send_multipart(wire.encode_pose("npc-1", 999, 9.99, {"t": 9.99, "head": {"yaw": -7.5}}))
            say("SENT")
        elif cmd.startswith("poses"):
            # poses N: N full poses for npc-1 at 100 Hz, pts = the wall clock when sent (latency).
            from facecast.runtime.facemotion import FaceMotion

            body = FaceMotion().to_dict()
            for seq in range(int(cmd.split()[1])):
                s.send_multipart(wire.encode_pose("npc-1", seq, time.time(), body))
                time.sleep(0.01)
            say("POSED")
        elif cmd.startswith("blast"):
            # blast N SIZE: N frames of SIZExSIZE for npc-1 as fast as the socket takes them.
            _, n, size = cmd.split()
            img = frame_pixels(0, int(size), int(size))
            t0 = time.perf_counter()
            for seq in range(int(n)):
                s.send_multipart(wire.encode_frame("npc-1", seq, seq / 25, img))
            say(f"BLASTED {int(n)} {time.perf_counter() - t0:.4f}")
        elif cmd == "quit":
            break
        stop.clear()
        t = threading.Thread(target=read_subs, daemon=True)
        t.start()
    stop.set()
    s.close(0)


def curve_pub() -> None:
    """A PUB that requires CurveZMQ (as `facecast serve` does beyond loopback)."""
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.PUB)
    _public, secret = zmq.curve_keypair()
    s.curve_secretkey = secret
    s.curve_server = True
    s.setsockopt(zmq.LINGER, 0)
    bind(s, 0)
    sys.stdin.readline()
    s.close(0)


def router() -> None:
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.ROUTER)
    s.setsockopt(zmq.HEARTBEAT_IVL, 100)  # libzmq PINGs us every 100 ms ...
    s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 400)  # ... and drops us if we do not answer within 400 ms
    s.setsockopt(zmq.LINGER, 0)
    mon = s.get_monitor_socket(zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED)
    bind(s, 0)
    accepted = disconnected = 0
    delayed: list[tuple[float, list[bytes]]] = []
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    poller.register(mon, zmq.POLLIN)
    poller.register(sys.stdin, zmq.POLLIN)
    while True:
        events = dict(poller.poll(10))
        if mon in events:
            ev = recv_monitor_message(mon)
            if ev["event"] == zmq.EVENT_ACCEPTED:
                accepted += 1
            elif ev["event"] == zmq.EVENT_DISCONNECTED:
                disconnected += 1
        if sys.stdin.fileno() in events or sys.stdin in events:
            if not sys.stdin.readline():
                break
        now = time.monotonic()
        for item in [d for d in delayed if d[0] <= now]:
            delayed.remove(item)
            s.send_multipart(item[1])
        if s in events:
            parts = s.recv_multipart()
            ident, body = parts[0], parts[1:]
            req = msgpack.unpackb(body[0])
            reply = {
                "v": 1,
                "id": req["id"],
                "ok": True,
                "op": req["op"],
                "routing_id": ident.decode("latin-1"),
                "accepted": accepted,
                "disconnected": disconnected,
                "parts": len(body),
                "payload_len": len(body[1]) if len(body) > 1 else 0,
                "raw": body[0].hex(),
                "payload_hex": body[1].hex() if len(body) > 1 and len(body[1]) <= 64 else "",
                "payload_sum": int(np.frombuffer(body[1], np.uint8).sum(dtype=np.int64))
                if len(body) > 1
                else 0,
            }
            if req["op"] == "fail":
                reply = {
                    "v": 1,
                    "id": req["id"],
                    "ok": False,
                    "error": {"code": "busy", "message": "go away"},
                }
            if req["op"] == "open":
                reply["session"] = req.get("session", "generated")
            if req["op"] == "never":
                continue
            out = [ident, msgpack.packb(reply)]
            if req["op"] == "slow":
                delayed.append((now + req["delay_ms"] / 1000, out))
            else:
                s.send_multipart(out)
    s.close(0)


if __name__ == "__main__":
    mode = sys.argv[1]
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    if mode == "xpub":
        xpub(port)
    elif mode == "curvepub":
        curve_pub()
    elif mode == "router":
        router()
    else:
        sys.exit(f"unknown mode {mode}")
