"""The agent's own thread: telemetry DEALER, monitors of the app's sockets, flushes and beats.

App threads only put small dicts on a bounded queue (or bump counters in a SocketRecord); this
thread turns them into frames and sends them without ever waiting. Everything it owns is daemonic
and lingers 0, so it never keeps the process alive.
"""
import atexit
import collections
import itertools
import json
import os
import platform
import queue
import re
import socket as netsocket
import struct
import sys
import threading
import time
from typing import Any, Deque, Dict, List, Optional, Tuple

from . import AGENT_NAME, AGENT_VERSION, debug
from .record import Msg, SocketRecord, mono_ms, now_ms
from .rendezvous import find_collector
from .wire import parse_heartbeats, to_bin

PROTOCOL_VERSION = 1
QUEUE_MAX = 10_000
SEND_HWM = 1000
FRAME_MAX = 1024 * 1024
PEERS_PER_TRAFFIC = 512
CLOSED_KEPT = 256  # closed sockets still listed in snapshots
POLL_MS = 100
FLUSH_S = 0.2
LOST_S = 2.0  # without a collector this long, look for a rendezvous note (rendezvous.py)
BEAT_S = 1.0
EXIT_WAIT_S = 0.25

# libzmq monitor event bits → the protocol's names (zeromq.js v6 naming).
EVENTS = {
    0x0001: "connect", 0x0002: "connect:delay", 0x0004: "connect:retry", 0x0008: "bind",
    0x0010: "bind:error", 0x0020: "accept", 0x0040: "accept:error", 0x0080: "close",
    0x0100: "close:error", 0x0200: "disconnect", 0x0400: "end", 0x0800: "handshake:error:other",
    0x1000: "handshake", 0x2000: "handshake:error:protocol", 0x4000: "handshake:error:auth",
}
MONITOR_STOPPED = 0x0400
DISCONNECTED = 0x0200  # ZMQ_EVENT_DISCONNECTED: a connecting socket's first-messages log starts anew
ACCEPTED = 0x0020
OPENED = frozenset({0x0001, ACCEPTED})  # ZMQ_EVENT_CONNECTED, ZMQ_EVENT_ACCEPTED: the value is the connection's fd
_Z85_KEY = re.compile(r"^[0-9a-zA-Z.\-:+=^!/*?&<>()\[\]{}@%$#]{40}\Z")


def _read_event(zmq: Any, pair: Any) -> Tuple[int, int, str]:
    """(event, value, address) from a libzmq 4 monitor message: [uint16 event + uint32 value, address]."""
    first = pair.recv(zmq.NOBLOCK)
    address = pair.recv(zmq.NOBLOCK) if pair.get(zmq.RCVMORE) else b""
    event, value = struct.unpack("=HI", first[:6])
    return event, value, address.decode("utf-8", "replace")


def _restorable(msg: Msg) -> bool:
    """Whether a snapshot restores what the message said: state (a socket, an endpoint, a close, a
    snapshot), and an event's count of accepted connections (a stale count was drawn as peers without
    an agent that had gone). Timeline messages are lost with it; traffic and beats come again."""
    t = msg.get("t")
    if t == "event":
        return "accepted" in msg
    return t in ("socket", "close", "snapshot") or (t == "endpoint" and bool(msg.get("ok")))


class Agent:
    def __init__(self, zmq: Any) -> None:
        self._zmq = zmq
        self.endpoint = os.environ.get("ZMQ_TOPOLOGY_ENDPOINT") or "tcp://127.0.0.1:5599"
        self.node = (os.environ.get("ZMQ_TOPOLOGY_NODE") or "")[:256] or None
        self.heartbeats = parse_heartbeats(os.environ.get("ZMQ_TOPOLOGY_HEARTBEATS"))
        self.instance = os.urandom(8).hex()
        self.started_at = now_ms()
        self.dropped = 0  # lost while a collector listened (queue full, send failed): a problem
        self.missed = 0  # not sent because no collector listened: normal before one starts
        # Something a snapshot restores was dropped (_restorable): one is sent once the queue has
        # drained. The Node agent also resyncs on lost traffic; here a lost traffic delta stays lost
        # (counted in `dropped`), so a collector that cannot keep up is not sent snapshots on top.
        self._resync = False
        self._connected = False  # the agent thread's view, read by post() on app threads
        self._queue: "queue.Queue[Msg]" = queue.Queue(maxsize=QUEUE_MAX)
        self._records: List[SocketRecord] = []
        self._records_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._new_monitors: Deque[Tuple[Any, SocketRecord]] = collections.deque()
        self._stopping = threading.Event()
        self._done = threading.Event()

        class PrivateContext(zmq.Context):  # its sockets are never instrumented
            _zmq_topology_private = True

        self._ctx = PrivateContext(io_threads=1)
        self._ctx.linger = 0
        # Lets atexit wake the thread at once instead of waiting for its poll timeout.
        self._wake_rx = self._ctx.socket(zmq.PAIR)
        self._wake_rx.bind(f"inproc://zmq-topology-wake-{self.instance}")
        self._wake_tx = self._ctx.socket(zmq.PAIR)
        self._wake_tx.connect(f"inproc://zmq-topology-wake-{self.instance}")
        self._thread = threading.Thread(target=self._run_safely, name="zmq-topology-agent", daemon=True)

    def start(self) -> None:
        self._thread.start()
        atexit.register(self.stop)

    # --- called from app threads ------------------------------------------------------------

    def post(self, msg: Msg) -> None:
        msg.setdefault("at", now_ms())
        try:
            self._queue.put_nowait(msg)
        except queue.Full:
            if self._connected:
                self.dropped += 1
                if _restorable(msg):
                    self._resync = True
            else:
                self.missed += 1

    def add_socket(self, type_name: str, site: Optional[Msg]) -> SocketRecord:
        rec = SocketRecord(next(self._ids), type_name, site, self.heartbeats, self.post)
        with self._records_lock:
            self._records.append(rec)
        return rec

    def watch(self, sock: Any, rec: SocketRecord) -> None:
        """Own the socket's monitor: a PAIR on its context, read by the agent thread.

        The PAIR is built directly (not with ctx.socket) so ctx.destroy() never closes it under
        this thread; when the app terminates its context, the thread sees ETERM and closes it.
        """
        zmq = self._zmq
        address = f"inproc://zmq-topology-monitor-{self.instance}-{rec.id}"
        zmq.Socket.monitor(sock, address, zmq.EVENT_ALL)
        pair = zmq.Socket(sock.context, zmq.PAIR)
        pair.linger = 0
        pair.connect(address)
        self._new_monitors.append((pair, rec))

    def stop(self) -> None:
        """atexit: say bye if we can, in a bounded time; never delays exit by more than EXIT_WAIT_S."""
        if not self._thread.is_alive():
            return
        self._stopping.set()
        try:
            self._wake_tx.send(b"", self._zmq.NOBLOCK)
        except Exception:
            pass
        self._done.wait(EXIT_WAIT_S)

    # --- the agent thread -------------------------------------------------------------------

    def _run_safely(self) -> None:
        try:
            self._run()
        except Exception as err:
            debug("agent stopped", err)
        finally:
            self._done.set()

    def _run(self) -> None:
        zmq = self._zmq
        self._disconnect_msg_supported = self._probe_disconnect_msg()
        out = self._ctx.socket(zmq.DEALER)
        out.linger = 0
        out.immediate = 1
        out.sndhwm = SEND_HWM
        self._curve(out)
        own_monitor = f"inproc://zmq-topology-telemetry-{self.instance}"
        zmq.Socket.monitor(out, own_monitor, zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
        telemetry_events = self._ctx.socket(zmq.PAIR)
        telemetry_events.connect(own_monitor)
        out.connect(self.endpoint)
        current = self.endpoint  # where `out` is connected: the configured endpoint or a rendezvous note's
        lost_since: Optional[float] = time.monotonic()  # no collector since then (None while connected)
        self._out = out

        poller = zmq.Poller()
        poller.register(telemetry_events, zmq.POLLIN)
        poller.register(self._wake_rx, zmq.POLLIN)
        monitors: Dict[Any, SocketRecord] = {}
        connected = False
        next_flush = next_beat = next_fd_check = time.monotonic()
        try:
            while not self._stopping.is_set():
                while self._new_monitors:
                    pair, rec = self._new_monitors.popleft()
                    poller.register(pair, zmq.POLLIN)
                    monitors[pair] = rec
                try:
                    ready = dict(poller.poll(POLL_MS))
                except zmq.ZMQError as err:
                    if err.errno != zmq.ETERM:
                        raise
                    self._close_terminated(poller, monitors)  # the app terminated a context
                    continue
                if telemetry_events in ready:
                    while True:
                        try:
                            event, _, _ = _read_event(zmq, telemetry_events)
                        except zmq.Again:
                            break
                        if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                            connected = self._connected = True
                            lost_since = None
                            self._greet()
                        elif event == zmq.EVENT_DISCONNECTED:
                            connected = self._connected = False
                            lost_since = time.monotonic()
                for pair in [p for p in ready if p in monitors]:
                    self._read_monitor(pair, monitors, poller)
                if not connected and lost_since is not None and time.monotonic() - lost_since >= LOST_S:
                    # No collector for a while: follow a note of one that serves our endpoint from
                    # another port (a reloaded window's), or go back when the note is gone.
                    target = find_collector(self.endpoint) or self.endpoint
                    lost_since = time.monotonic()
                    if target != current:
                        try:
                            out.disconnect(current)
                        except zmq.ZMQError:
                            pass
                        out.connect(target)
                        current = target
                if time.monotonic() >= next_fd_check:  # with or without a collector: it is the app's cost
                    next_fd_check = time.monotonic() + FLUSH_S
                    with self._records_lock:
                        records = list(self._records)
                    for rec in records:
                        rec.check_fds()
                if connected:
                    self._drain()
                    if self._resync and self._queue.empty():
                        self._resync = False
                        self._send_snapshot()
                    now = time.monotonic()
                    if now >= next_flush:
                        next_flush = now + FLUSH_S
                        self._flush()
                        self._prune()
                    if now >= next_beat:
                        next_beat = now + BEAT_S
                        self._send({"t": "beat", "at": now_ms(), "mono": mono_ms(), "dropped": self.dropped, "missed": self.missed,
                                    "queued": self._queue.qsize()})
            if connected:
                self._drain()
                self._flush()
                self._send({"t": "bye", "at": now_ms(), "reason": "exit"})
        finally:
            for pair in monitors:
                pair.close(0)
            for sock in (out, telemetry_events, self._wake_rx, self._wake_tx):
                sock.close(0)
            self._ctx.term()

    def _curve(self, out: Any) -> None:
        """CURVE client when ZMQ_TOPOLOGY_SERVER_KEY is set (a remote or CURVE collector).

        Our keys come from ZMQ_TOPOLOGY_CLIENT_PUBLIC/SECRET or are generated per process. Keys are
        checked before the socket is touched: without CURVE in this libzmq, or with a malformed key,
        the socket stays plain and the collector counts this agent as refused, where the user looks.
        """
        server_key = os.environ.get("ZMQ_TOPOLOGY_SERVER_KEY") or ""
        if not server_key:
            return
        zmq = self._zmq
        if not zmq.has("curve") or not _Z85_KEY.match(server_key):
            debug("CURVE not used", ValueError("no CURVE in this libzmq, or ZMQ_TOPOLOGY_SERVER_KEY is not a Z85 key"))
            return
        public = os.environ.get("ZMQ_TOPOLOGY_CLIENT_PUBLIC") or ""
        secret = os.environ.get("ZMQ_TOPOLOGY_CLIENT_SECRET") or ""
        if _Z85_KEY.match(public) and _Z85_KEY.match(secret):
            pair = (public.encode("ascii"), secret.encode("ascii"))
        else:
            pair = zmq.curve_keypair()
        out.curve_publickey, out.curve_secretkey = pair
        out.curve_serverkey = server_key.encode("ascii")

    def _probe_disconnect_msg(self) -> bool:
        """Whether this libzmq has ZMQ_DISCONNECT_MSG (a draft option): try it on a private ROUTER."""
        probe = self._ctx.socket(self._zmq.ROUTER)
        try:
            probe.setsockopt(111, b"x")
            return True
        except Exception:
            return False
        finally:
            probe.close(0)

    def _send(self, msg: Msg) -> None:
        msg["v"] = PROTOCOL_VERSION
        msg["seq"] = next(self._seq)
        try:
            frame = json.dumps(msg, separators=(",", ":")).encode("ascii")
            if len(frame) > FRAME_MAX:
                raise ValueError(f"{msg['t']} of {len(frame)} bytes")
            self._out.send(frame, self._zmq.NOBLOCK)
        except self._zmq.Again:
            self.dropped += 1
            if _restorable(msg):
                self._resync = True
        except (ValueError, TypeError) as err:
            self.dropped += 1
            debug("telemetry message dropped", err)

    def _drain(self) -> None:
        while True:
            try:
                msg = self._queue.get_nowait()
            except queue.Empty:
                return
            self._send(msg)

    def _greet(self) -> None:
        """hello + snapshot on every (re)connect. The snapshot supersedes queued state messages."""
        superseded = ("socket", "endpoint", "close")
        kept = []
        while True:
            try:
                msg = self._queue.get_nowait()
            except queue.Empty:
                break
            if msg["t"] not in superseded:
                kept.append(msg)
        self._resync = False
        self._send(self._hello())
        self._send_snapshot()
        for msg in kept:
            self._send(msg)

    def _send_snapshot(self) -> None:
        with self._records_lock:
            records = [r for r in self._records if r.announced]
        self._send({"t": "snapshot", "at": now_ms(), "mono": mono_ms(), "sockets": [r.snapshot() for r in records],
                    "dropped": self.dropped, "missed": self.missed})

    def _hello(self) -> Msg:
        zmq = self._zmq
        argv = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])
        msg: Msg = {
            "t": "hello", "at": now_ms(), "instance": self.instance, "pid": os.getpid(),
            "host": netsocket.gethostname()[:256], "title": os.path.basename(sys.executable or "python")[:256],
            "argv": [str(a)[:1024] for a in argv[:64]],
            "runtime": {"name": "python", "version": platform.python_version(),
                        "binding": f"pyzmq {zmq.pyzmq_version()}", "libzmq": zmq.zmq_version(),
                        "disconnectMsg": self._disconnect_msg_supported},
            "agent": {"name": AGENT_NAME, "version": AGENT_VERSION},
            "startedAt": self.started_at,
        }
        if self.node:
            msg["node"] = self.node
        return msg

    def _flush(self) -> None:
        with self._records_lock:
            records = list(self._records)
        peers: List[Msg] = []
        for rec in records:
            peers.extend(rec.traffic(cumulative=False))
        for start in range(0, len(peers), PEERS_PER_TRAFFIC):
            self._send({"t": "traffic", "at": now_ms(), "mono": mono_ms(), "peers": peers[start:start + PEERS_PER_TRAFFIC]})

    def _prune(self) -> None:
        """Keep only the most recent CLOSED_KEPT closed sockets (after their last traffic went out)."""
        with self._records_lock:
            closed = [r for r in self._records if r.closed]
            if len(closed) > CLOSED_KEPT:
                gone = set(id(r) for r in closed[:-CLOSED_KEPT])
                self._records = [r for r in self._records if id(r) not in gone]

    def _read_monitor(self, pair: Any, monitors: Dict[Any, SocketRecord], poller: Any) -> None:
        zmq = self._zmq
        rec = monitors[pair]
        while True:
            try:
                event, value, address = _read_event(zmq, pair)
            except zmq.Again:
                return
            except zmq.ZMQError as err:
                if err.errno == zmq.ETERM:
                    self._forget_monitor(pair, monitors, poller)
                    return
                raise
            name = EVENTS.get(event, "unknown")
            msg: Msg = {"t": "event", "socket": rec.id, "event": name}
            if address:
                msg["address"] = address[:512]
                rec.connect_event(name, address, msg.setdefault("at", now_ms()))
            if name == "connect:retry":
                msg["interval"] = value
            elif name.endswith(":error") or name.startswith("handshake:error"):
                msg["error"] = os.strerror(value)[:1024] if value else name
            if event in OPENED:
                rec.connection_opened(value)
                if event == ACCEPTED:
                    msg["accepted"] = rec.connection_accepted(value, address)
            elif event == DISCONNECTED:
                closed = rec.accepted_closed(value)
                if closed is not None and closed[0] == address:
                    msg["accepted"] = closed[1]
                lost = rec.peer_of_lost_connection(value)
                if lost is not None:
                    msg["peer"] = to_bin(lost)
                if rec.per_connection or lost is not None:
                    # The connection's traffic goes out first: it may not have been flushed yet (a peer
                    # gone within a flush interval of connecting), and it ties the peer to its edge.
                    self._flush()
                    rec.connection_lost()  # before the event is queued: messages sent from now on are logged anew
            if rec.announced:
                self.post(msg)
            if event == MONITOR_STOPPED:
                rec.monitor_stopped()
                self._forget_monitor(pair, monitors, poller)
                return

    def _forget_monitor(self, pair: Any, monitors: Dict[Any, SocketRecord], poller: Any) -> None:
        poller.unregister(pair)
        del monitors[pair]
        pair.close(0)

    def _close_terminated(self, poller: Any, monitors: Dict[Any, SocketRecord]) -> None:
        zmq = self._zmq
        for pair in list(monitors):
            try:
                pair.poll(0)
            except zmq.ZMQError as err:
                if err.errno == zmq.ETERM:
                    self._forget_monitor(pair, monitors, poller)
