"""What the agent knows about one app socket, and the per-message accounting behind `traffic`.

The app thread only bumps counters here (no JSON, no locks, no names per message): a message type
is counted under its raw key bytes and the time kept as `time.time()`; names and milliseconds are
made by the agent thread when it reports. It reads the cumulative counters and sends what changed
since its last flush, so nothing is lost to races: a counter read mid-update is simply picked up by
the next flush.

First messages (protocol `PeerTraffic.first`): ROUTERs log, per peer, the first FIRST_MESSAGES
messages each way as (monotonic time ms, fingerprint); DEALER/REQ/REP sockets log them per connection, starting
afresh (`conn` + 1) when the agent thread reads a `disconnected` monitor event. The app thread only
appends to a log while it has room; after that a message costs one length check. Sockets that log
nothing get a full stand-in log (_NO_LOG), so that check is the only one.
"""
import time
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from .wire import BIN_BYTES, TYPE_BYTES, Heartbeats, fingerprint, fingerprint_heads, frame_head, to_bin, type_name

Msg = Dict[str, Any]

MAX_PEERS = 1024  # per socket; routing ids come from the network, so the table is bounded
MAX_TYPES = 32  # per peer, as the protocol caps it; the last slot collects the rest
OTHER_TYPES = "(other)"
MAX_ENDPOINTS = 256
MAX_FAILURES = 8  # failed endpoint calls kept per socket, as the protocol caps them
MAX_SUBSCRIPTIONS = 10000  # distinct SUB prefixes counted; only none vs some matters
MAX_TYPE_NAMES = 256  # cache of rendered type names per socket
MAX_PEERS_PER_FD = 8  # routing ids kept per connection fd (more than one only while an fd is reused)
FD_FAILURES_KEPT = 64  # messages without an fd (inproc) before a ROUTER that never had one stops tying

# Sockets whose first frame is the peer's routing id (on receive) / the destination (on send).
ROUTER_LIKE = frozenset({"ROUTER", "STREAM"})
# Sockets that log their first messages: per peer (ROUTER) or per connection (the connecting kinds).
FIRST_PER_PEER = frozenset({"ROUTER"})
FIRST_PER_CONNECTION = frozenset({"DEALER", "REQ", "REP"})
# Entries each way in a first-messages log (LIMITS.firstMessages). The hot paths test `len(log) < 4`
# with the literal, which is cheaper than a global lookup: keep them in step.
FIRST_MESSAGES = 4
_NO_LOG: tuple = (None,) * FIRST_MESSAGES  # a log that is always full: sockets that log nothing

_time = time.time
# First-message stamps: the host's one monotonic clock, which a wall-clock step (resume from suspend,
# NTP) does not move; the Node agent stamps on it too (src/agent/clock.ts, docs/PROTOCOL.md `mono`).
_mono = time.monotonic


def now_ms() -> int:
    return int(_time() * 1000)


def mono_ms() -> float:
    return round(_mono() * 1000, 3)


def _ms(t: Optional[float]) -> Optional[int]:
    return None if t is None else int(t * 1000)


def _size(data: Any) -> int:
    return len(data) if isinstance(data, bytes) else memoryview(data).nbytes


def _head(data: Any, limit: int) -> bytes:
    return data[:limit] if isinstance(data, bytes) else memoryview(data)[:limit].tobytes()


class PeerStats:
    """Cumulative traffic with one peer (or the whole socket when it has no per-peer envelope)."""

    __slots__ = ("msgs_in", "msgs_out", "bytes_in", "bytes_out", "types", "other",
                 "last_in", "last_out", "hb_in", "hb_out", "sent", "first_out", "first_in", "conn", "first_sent")

    def __init__(self, logs_first: bool = False, conn: Optional[int] = None) -> None:
        self.msgs_in = self.msgs_out = self.bytes_in = self.bytes_out = 0
        # Type key (first TYPE_BYTES bytes of the type frame) -> messages; past MAX_TYPES - 1 keys
        # the rest are counted in `other`.
        self.types: Dict[bytes, int] = {}
        self.other = 0
        # time.time() of the last message / heartbeat each way
        self.last_in: Optional[float] = None
        self.last_out: Optional[float] = None
        self.hb_in: Optional[float] = None
        self.hb_out: Optional[float] = None
        # The agent thread's copy of what it last reported: (msgs_in, msgs_out, bytes_in, bytes_out, types by name)
        self.sent: tuple = (0, 0, 0, 0, {})
        # First messages each way, (time ms, fingerprint): the app thread appends while len < 4;
        # the agent thread replaces the lists when a connecting socket's connection changes.
        self.first_out: Any = [] if logs_first else _NO_LOG
        self.first_in: Any = [] if logs_first else _NO_LOG
        self.conn = conn  # connecting sockets: the connection the logs are about
        self.first_sent: tuple = (conn, 0, 0)  # the agent thread's (conn, len out, len in) last reported

    def restart_first(self, conn: int) -> None:
        """Agent thread: a new connection; its logs start empty."""
        self.first_out = []
        self.first_in = []
        self.conn = conn


class _Partial:
    """A multipart message being sent or received, frame by frame."""

    __slots__ = ("index", "type_at", "size", "peer", "kind", "heartbeat", "heartbeat_next", "is_disconnect_msg", "stats", "heads")

    def __init__(self, router: bool) -> None:
        self.reset(router)

    def reset(self, router: bool) -> None:
        self.index = 0
        self.type_at = 1 if router else 0  # the envelope: a routing id on ROUTER-like sockets
        self.size = 0
        self.peer: Optional[bytes] = None
        self.kind = b""
        self.heartbeat = False
        # The type frame is a protocol header: the next frame is a heartbeat if among these (Heartbeats.next)
        self.heartbeat_next: Optional[FrozenSet[bytes]] = None
        self.is_disconnect_msg = False
        self.stats: Optional[PeerStats] = None  # looked up at the first frame
        # (length, head) of each frame while the message is to be logged among the first; else None
        self.heads: Optional[List[Tuple[int, bytes]]] = None


class SocketRecord:
    def __init__(self, sid: int, type_: str, site: Optional[Msg], heartbeats: Heartbeats,
                 post: Callable[[Msg], None]) -> None:
        self.id = sid
        self.type = type_
        self.router = type_ in ROUTER_LIKE
        self.stream = type_ == "STREAM"
        # First-messages logs: ROUTERs per peer, DEALER/REQ/REP per connection (`conn`).
        self.per_connection = type_ in FIRST_PER_CONNECTION
        self.logs_first = self.per_connection or type_ in FIRST_PER_PEER
        # Whether a send may still be logged among the first, so the hooks read the clock before it:
        # a ROUTER's next send may go to a new peer; a connecting socket's until its log is full.
        self.stamps_sends = self.logs_first
        self.conn: Optional[int] = 1 if self.per_connection else None
        # How its messages are fingerprinted (wire.fingerprint): the envelope each end drops differs.
        self.fp_side = "router" if self.router else "request" if type_ in ("REQ", "REP") else "dealer"
        self.site = site
        self.created_at = now_ms()
        self.announced = False
        self.proxied = False
        self.closed = False
        self.routing_id: Optional[bytes] = None
        self.options: Msg = {"disconnectMsg": False}
        self.endpoints: List[Msg] = []
        self.failed: List[Msg] = []  # endpoint calls that failed and have not succeeded since
        self.trying_ports = False  # inside bind_to_random_port: a port in use is a try, not a failure
        self.peers: Dict[Optional[bytes], PeerStats] = {}
        self.unattributed = 0  # messages from peers beyond MAX_PEERS
        self.app_disconnect_msg: Optional[bytes] = None
        self.router_handover = False  # the app set ZMQ_ROUTER_HANDOVER (write-only in libzmq: seen, not read)
        # SUB: the prefixes the app subscribed to, with how many times (libzmq counts them too).
        self.subscriptions: Optional[Dict[bytes, int]] = {} if type_ == "SUB" else None
        self.batching = False  # inside send_multipart/recv_multipart: frames are counted as one message
        # Which peer each connection is, so a ROUTER's monitor `disconnected` (which gives only the
        # connection's fd) names the peer that left: libzmq's ZMQ_SRCFD of the peer's messages. The app
        # thread reads it (hooks) for a new peer's first message, and while `wants_fd`: an open
        # connection is not yet tied to a peer.
        # fd -> routing ids seen on it, oldest first (a closed fd's number is reused by a later connection).
        self.tracks_fds = type_ == "ROUTER"
        self.wants_fd = False
        self.fd_peers: Dict[int, List[bytes]] = {}
        self._open_fds: Set[int] = set()  # agent thread only, from the monitor's accepted/connected
        self.fd_failures = 0
        # Connections this socket accepted and still has open: fd -> the bound address (agent thread
        # only). The store holds their count against the edges of instrumented peers: the rest are
        # peers without an agent, which a PUB or PUSH gives no other sign of.
        self.accepted: Dict[int, str] = {}
        self.counts_accepted = True  # until its monitor stops (the app took it over: get_monitor_socket)
        self._heartbeats = heartbeats.single
        self._hb_next = heartbeats.next
        self._hb_max = heartbeats.max_bytes
        self._names: Dict[bytes, str] = {}  # type key -> name, for the agent thread's reports
        # The message each way that plain send/recv are in the middle of (frame(); index 0: none).
        self.partial_in = _Partial(self.router)
        self.partial_out = _Partial(self.router)
        self._post = post

    # --- lifecycle (app thread) -------------------------------------------------------------

    def mark_proxied(self) -> None:
        """The app passed the socket to zmq.proxy (or proxy_steerable, device): its messages move in C,
        past the agent, and the views say so instead of showing no traffic without a reason."""
        if self.proxied:
            return
        self.proxied = True
        if self.announced:
            self._post({"t": "socket", **self.info()})

    def announce(self, options: Msg, routing_id: Optional[bytes]) -> None:
        self.options = self._with_app_options(options)
        self.routing_id = routing_id or None
        self.announced = True
        self._post({"t": "socket", **self.info()})

    def set_router_handover(self, on: bool) -> None:
        """The app set ZMQ_ROUTER_HANDOVER: reported with the options, again if the socket was already
        announced (the collector needs it to tell which of two peers with one routing id the ROUTER reads)."""
        if on == self.router_handover:
            return
        self.router_handover = on
        if self.announced and not self.closed:
            # A new dict, not an update: the agent thread may be reading the old one for a snapshot.
            self.options = self._with_app_options(self.options)
            self._post({"t": "socket", **self.info()})

    def subscribed(self, prefix: bytes, subscribe: bool) -> None:
        """The app subscribed or unsubscribed this SUB (libzmq took it): reported with the options, so
        a SUB that never subscribed, and so receives nothing, can be shown as such."""
        subs = self.subscriptions
        if subs is None:
            return
        before = len(subs)
        count = subs.get(prefix, 0) + (1 if subscribe else -1)
        if count > 0 and (prefix in subs or len(subs) < MAX_SUBSCRIPTIONS):
            subs[prefix] = count
        elif count <= 0:
            subs.pop(prefix, None)
        if len(subs) != before and self.announced and not self.closed:
            self.options = self._with_app_options(self.options)
            self._post({"t": "socket", **self.info()})

    def _with_app_options(self, options: Msg) -> Msg:
        """The options libzmq reads back, plus those only the app's own calls tell."""
        merged = {key: value for key, value in options.items() if key not in ("routerHandover", "subscriptions")}
        merged["disconnectMsg"] = self.app_disconnect_msg is not None
        if self.router_handover:
            merged["routerHandover"] = True
        if self.subscriptions is not None:
            merged["subscriptions"] = len(self.subscriptions)
        return merged

    def endpoint(self, op: str, requested: str, resolved: Optional[str], error: Optional[str]) -> None:
        at = now_ms()
        msg: Msg = {"t": "endpoint", "at": at, "socket": self.id, "op": op, "requested": requested[:512],
                    "ok": error is None}
        if resolved:
            msg["resolved"] = resolved[:512]
        if error is not None:
            msg["error"] = error[:1024]
        self._post(msg)
        # Failures are state too (replaced, never changed in place: the agent thread reads them for
        # snapshots), so one made before the collector listened still reaches it.
        earlier = next((f for f in self.failed if f["op"] == op and f["requested"] == requested[:512]), None)
        kept = [f for f in self.failed if f is not earlier]
        if error is not None:
            times = earlier["times"] + 1 if earlier else 1
            self.failed = (kept + [{"op": op, "requested": requested[:512], "error": error[:1024], "at": at,
                                    "times": times}])[-MAX_FAILURES:]
            return
        if earlier:
            self.failed = kept
        if op in ("bind", "connect"):
            if len(self.endpoints) < MAX_ENDPOINTS:
                state: Msg = {"op": op, "requested": requested[:512], "at": at}
                if resolved:
                    state["resolved"] = resolved[:512]
                self.endpoints.append(state)
        else:
            self.endpoints = [e for e in self.endpoints if requested not in (e["requested"], e.get("resolved"))]

    def connection_lost(self) -> None:
        """Agent thread, on a `disconnected` monitor event: a connecting socket's next messages go to
        its next connection, whose first-messages log starts empty."""
        if not self.per_connection:
            return
        self.stamps_sends = True  # first: a send racing this on the app thread is stamped, not missed
        conn = self.conn = (self.conn or 0) + 1
        stats = self.peers.get(None)
        if stats is not None:
            stats.restart_first(conn)

    def connection_opened(self, fd: int) -> None:
        """Agent thread, on an `accepted` or `connected` monitor event: a connection to tie to its peer."""
        if self.tracks_fds:
            self._open_fds.add(fd)
            self.wants_fd = True

    def connection_accepted(self, fd: int, address: str) -> int:
        """Agent thread, on an `accepted` monitor event: the connections now open on `address`."""
        self.accepted[fd] = address
        return self.open_on(address)

    def accepted_closed(self, fd: int) -> Optional[Tuple[str, int]]:
        """Agent thread, on a `disconnected` monitor event: (address, connections left open on it) when
        the connection was one this socket accepted, else None (one it connected)."""
        address = self.accepted.pop(fd, None)
        return None if address is None else (address, self.open_on(address))

    def monitor_stopped(self) -> None:
        """Agent thread: no more events for this socket (closed, or the app's own monitor replaced the
        agent's): what it accepts or closes from now on is unknown, so it reports no count, and no
        connect as up."""
        self.accepted.clear()
        self.counts_accepted = False
        for e in self.endpoints:
            e.pop("up", None)

    def connect_event(self, name: str, address: str, at: float) -> None:
        """Agent thread, on a monitor event: whether a connect's connection is up now, and since when.
        It goes in snapshots (`up`), for a collector that was not there for the `handshake` event."""
        for e in self.endpoints:
            if e["op"] == "connect" and address in (e["requested"], e.get("resolved")):
                if name == "handshake":
                    e["up"] = at
                elif name in ("disconnect", "close", "connect:retry") or name.startswith("handshake:error"):
                    e.pop("up", None)
                return

    def open_on(self, address: str) -> int:
        return sum(1 for a in self.accepted.values() if a == address)

    def accepted_counts(self) -> List[Msg]:
        counts: Dict[str, int] = {}
        for address in self.accepted.values():
            counts[address] = counts.get(address, 0) + 1
        return [{"address": a[:512], "open": n} for a, n in counts.items()]

    def peer_of_lost_connection(self, fd: int) -> Optional[bytes]:
        """Agent thread, on a `disconnected` monitor event: the routing id of the peer whose connection
        closed, if known. The oldest id seen on the fd is the closed connection's: connections on one fd
        follow each other, and the monitor reports them in order."""
        if not self.tracks_fds:
            return None
        self._open_fds.discard(fd)
        peers = self.fd_peers.get(fd)
        if not peers:
            return None
        peer = peers.pop(0)
        # The same routing id seen on another connection (ZMQ_ROUTER_HANDOVER, or a peer back with its
        # fixed id, maybe before its `accepted` is read here): the peer is still there.
        for other, seen in list(self.fd_peers.items()):
            if other != fd and peer in seen:
                return None
        return peer

    def check_fds(self) -> None:
        """Agent thread, each flush: stop reading ZMQ_SRCFD once every open connection is tied to a peer."""
        if self.wants_fd:
            fd_peers = self.fd_peers
            self.wants_fd = any(not fd_peers.get(fd) for fd in list(self._open_fds))

    def close(self) -> None:
        self.closed = True
        if self.announced:
            self._post({"t": "close", "socket": self.id})

    # --- traffic (app thread) ---------------------------------------------------------------

    def inbound_peer(self) -> Optional[bytes]:
        """Frame-by-frame recv on a ROUTER: the routing id of the message being received when the next
        frame is the one after it and the connection is to be tied (tying, or the peer's first message)."""
        p = self.partial_in
        return p.peer if p.index == 1 and (self.wants_fd or p.stats is None) else None

    def fd_unknown(self) -> None:
        """A message that came with no fd (an inproc peer's). Tying stops only when none ever came with
        one, after FD_FAILURES_KEPT such messages (a libzmq that does not answer ZMQ_SRCFD at all)."""
        self.fd_failures += 1
        if self.fd_failures >= FD_FAILURES_KEPT and not self.fd_peers:
            self.tracks_fds = self.wants_fd = False

    def peer_fd(self, fd: int, peer: bytes) -> None:
        """A message from `peer` came in on connection `fd` (ZMQ_SRCFD)."""
        peers = self.fd_peers.get(fd)
        if peers is None:
            self.fd_peers[fd] = [peer]
        elif peer not in peers:
            peers.append(peer)
            if len(peers) > MAX_PEERS_PER_FD:
                del peers[0]

    def message(self, inbound: bool, frames: Any, sent_at: Optional[float] = None) -> None:
        """A whole multipart message (send_multipart / recv_multipart): one pass, as few Python
        operations as possible — this runs for every message the app sends or receives, so the
        counting of _commit is repeated here inline rather than paid as one more call. `sent_at`: the
        monotonic time read before the send, for the first-messages log (read after, a thread switch in between
        can stamp a send later than the peer's arrival, and the pairing then rules the pair out)."""
        count = len(frames)
        if not count:
            return
        if inbound:
            size = sum(map(len, frames))  # bytes or zmq.Frame: len() is the byte count
        else:
            size = 0
            for f in frames:
                size += len(f) if type(f) is bytes else memoryview(f).nbytes
        if self.router:
            peer = frames[0]
            if type(peer) is not bytes:
                peer = _head(peer, BIN_BYTES)
            if self.stream and inbound and count == 2 and not _size(frames[1]) and peer in self.peers:
                self._post_stream_closed(peer)
                return
            at = 1
        else:
            peer = None
            at = 0
        if at < count - 1 and not _size(frames[at]):
            at += 1  # an empty delimiter (REQ-style envelope): the type is the next frame
        heartbeat = False
        if at < count:
            data = frames[at]
            if type(data) is bytes:
                length = len(data)
                kind = data if length <= TYPE_BYTES else data[:TYPE_BYTES]
            else:
                length = memoryview(data).nbytes
                kind = _head(data, TYPE_BYTES)
            if length <= self._hb_max:
                key = kind if length <= TYPE_BYTES else _head(data, length)
                heartbeat = key in self._heartbeats
                if not heartbeat and at + 1 < count:
                    after = self._hb_next.get(key)
                    if after is not None:
                        following = frames[at + 1]
                        heartbeat = (following if type(following) is bytes else _head(following, _size(following))) in after
            if self.app_disconnect_msg is not None and inbound and count == 2 and peer is not None:
                self._check_disconnect_msg(peer, data)
        else:
            kind = b""
        stats = self.peers.get(peer)
        if stats is None:
            stats = self._new_peer(peer)
            if stats is None:
                return
        types = stats.types
        n = types.get(kind)
        if n is not None:
            types[kind] = n + 1
        elif len(types) < MAX_TYPES - 1:
            types[kind] = 1
        else:
            stats.other += 1
        if inbound:
            stats.msgs_in += 1
            stats.bytes_in += size
            stats.last_in = now = _time()
            if heartbeat:
                stats.hb_in = now
            log = stats.first_in
        else:
            stats.msgs_out += 1
            stats.bytes_out += size
            stats.last_out = now = _time()
            if heartbeat:
                stats.hb_out = now
            log = stats.first_out
        if len(log) < 4:  # FIRST_MESSAGES: after the first few, this check is all a message costs
            log.append((round((_mono() if sent_at is None else sent_at) * 1000, 3), fingerprint(frames, self.fp_side)))
            if not inbound and self.per_connection and len(log) == 4:
                self.stamps_sends = False

    def frame(self, inbound: bool, data: Any, more: bool) -> None:
        """One frame from a plain send/recv; the message is counted at its last frame."""
        p = self.partial_in if inbound else self.partial_out
        size = _size(data)
        p.size += size
        i = p.index
        if i == 0:
            if self.router:
                p.peer = _head(data, BIN_BYTES)
            stats = p.stats = self.peers.get(p.peer)
            # Keep the frames' heads only while this message goes into a first-messages log.
            if stats is None:
                p.heads = [] if self.logs_first else None
            elif len(stats.first_in if inbound else stats.first_out) < 4:  # FIRST_MESSAGES
                p.heads = []
        if i == p.type_at:  # never 0 on ROUTER-likes: the routing id comes first
            if size == 0 and more and i == (1 if self.router else 0):
                p.type_at += 1  # an empty delimiter: the type is the next frame
            else:
                p.kind = _head(data, TYPE_BYTES)
                if size <= self._hb_max:
                    key = _head(data, size)
                    p.heartbeat = key in self._heartbeats
                    p.heartbeat_next = None if p.heartbeat else self._hb_next.get(key)
                dmsg = self.app_disconnect_msg
                p.is_disconnect_msg = inbound and dmsg is not None and size == len(dmsg) and _head(data, size) == dmsg
        elif i == p.type_at + 1 and p.heartbeat_next is not None:
            p.heartbeat = _head(data, size) in p.heartbeat_next
        p.index = i + 1
        heads = p.heads
        if heads is not None:
            heads.append(frame_head(data))
        if not more:
            if self.stream and inbound and p.index == 2 and size == 0 and p.stats is not None:
                self._post_stream_closed(p.peer)
                p.reset(self.router)
                return
            if p.is_disconnect_msg and p.index == 2 and p.peer is not None:
                self._post_disconnect_msg(p.peer)
            self._commit(inbound, p.stats, p.peer, p.kind, p.size, p.heartbeat, heads)
            p.reset(self.router)

    def _check_disconnect_msg(self, peer: bytes, data: Any) -> None:
        dmsg = self.app_disconnect_msg or b""
        if _size(data) == len(dmsg) and _head(data, len(dmsg)) == dmsg:
            self._post_disconnect_msg(peer)

    def _post_disconnect_msg(self, peer: bytes) -> None:
        self._post({"t": "disconnect-msg", "socket": self.id, "peer": to_bin(peer),
                    "text": to_bin(self.app_disconnect_msg or b"", 1024)})

    def _post_stream_closed(self, peer: Any) -> None:
        """A STREAM socket's empty message from a peer it has heard from: libzmq's notice that the
        connection closed (ZMQ_STREAM_NOTIFY; the first such notice, that it opened, counts as the
        peer's first message; TCP carries no empty data and STREAM ids are never reused)."""
        self._post({"t": "disconnect-msg", "socket": self.id, "peer": to_bin(peer)})

    def _new_peer(self, peer: Optional[bytes]) -> Optional[PeerStats]:
        """A peer's first message: its stats (None past MAX_PEERS: the message is unattributed)."""
        if len(self.peers) >= MAX_PEERS:
            self.unattributed += 1
            return None
        stats = self.peers[peer] = PeerStats(self.logs_first, self.conn)
        return stats

    def _commit(self, inbound: bool, stats: Optional[PeerStats], peer: Optional[bytes], kind: bytes, size: int,
                heartbeat: bool, heads: Optional[List[Tuple[int, bytes]]]) -> None:
        if stats is None:
            stats = self.peers.get(peer) or self._new_peer(peer)
            if stats is None:
                return
        types = stats.types
        n = types.get(kind)
        if n is not None:
            types[kind] = n + 1
        elif len(types) < MAX_TYPES - 1:
            types[kind] = 1
        else:
            stats.other += 1
        at = _time()
        if inbound:
            stats.msgs_in += 1
            stats.bytes_in += size
            stats.last_in = at
            if heartbeat:
                stats.hb_in = at
            log = stats.first_in
        else:
            stats.msgs_out += 1
            stats.bytes_out += size
            stats.last_out = at
            if heartbeat:
                stats.hb_out = at
            log = stats.first_out
        if heads is not None and len(log) < 4:  # FIRST_MESSAGES
            log.append((round(_mono() * 1000, 3), fingerprint_heads(heads, self.fp_side)))
            if not inbound and self.per_connection and len(log) == 4:
                self.stamps_sends = False

    # --- reports (agent thread) -------------------------------------------------------------

    def info(self) -> Msg:
        msg: Msg = {"socket": self.id, "type": self.type, "options": self.options, "createdAt": self.created_at}
        if self.routing_id:
            msg["routingId"] = to_bin(self.routing_id)
        if self.site:
            msg["site"] = self.site
        if self.proxied:
            msg["proxied"] = True
        return msg

    def _name(self, kind: bytes) -> str:
        name = self._names.get(kind)
        if name is None:
            name = type_name(kind)
            if len(self._names) < MAX_TYPE_NAMES:
                self._names[kind] = name
        return name

    def _named_types(self, stats: PeerStats) -> Dict[str, int]:
        """The peer's counts by type name (two keys with the same name add up)."""
        named: Dict[str, int] = {}
        for kind, n in list(stats.types.items()):
            name = self._name(kind)
            named[name] = named.get(name, 0) + n
        if stats.other:
            named[OTHER_TYPES] = named.get(OTHER_TYPES, 0) + stats.other
        return named

    def _peer_entry(self, key: Optional[bytes], stats: PeerStats, counts: tuple, first: Optional[Msg]) -> Msg:
        msgs_in, msgs_out, bytes_in, bytes_out, types = counts
        entry: Msg = {"socket": self.id, "msgsIn": msgs_in, "msgsOut": msgs_out,
                      "bytesIn": bytes_in, "bytesOut": bytes_out, "types": types}
        if key is not None:
            entry["peer"] = to_bin(key)
        for field, value in (("lastMessageIn", stats.last_in), ("lastMessageOut", stats.last_out),
                             ("lastHeartbeatIn", stats.hb_in), ("lastHeartbeatOut", stats.hb_out)):
            if value is not None:
                entry[field] = _ms(value)
        if first is not None:
            entry["first"] = first
        return entry

    def _first(self, stats: PeerStats, cumulative: bool) -> Optional[Msg]:
        """The peer's first-messages log (protocol FirstMessages) when it is to be reported: in a
        snapshot while it is non-empty, in a delta when it changed since the last report."""
        if self.per_connection and stats.conn != self.conn:
            stats.restart_first(self.conn or 1)  # a connection lost while the stats were being made
        conn = stats.conn
        out = list(stats.first_out)  # copies: the app thread may be appending
        in_ = list(stats.first_in)
        if not out and not in_:
            return None  # nothing logged (yet) on this connection: nothing to say
        state = (conn, len(out), len(in_))
        if not cumulative and state == stats.first_sent:
            return None
        stats.first_sent = state
        first: Msg = {"out": out[:FIRST_MESSAGES], "in": in_[:FIRST_MESSAGES]}
        if conn is not None:
            first["conn"] = conn
        return first

    def traffic(self, cumulative: bool) -> List[Msg]:
        """Peers with traffic since the last report (deltas), or all of them (cumulative, for a snapshot).

        Either way the reported totals become the base for the next deltas.
        """
        out = []
        logs = self.logs_first
        for key, stats in list(self.peers.items()):
            before = stats.sent
            first = self._first(stats, cumulative) if logs else None
            if not cumulative and first is None and stats.msgs_in == before[0] and stats.msgs_out == before[1]:
                continue
            now = (stats.msgs_in, stats.msgs_out, stats.bytes_in, stats.bytes_out, self._named_types(stats))
            if cumulative:
                out.append(self._peer_entry(key, stats, now, first))
            else:
                old_types = before[4]
                types = {k: v - old_types.get(k, 0) for k, v in now[4].items() if v != old_types.get(k, 0)}
                delta = (now[0] - before[0], now[1] - before[1], now[2] - before[2], now[3] - before[3], types)
                out.append(self._peer_entry(key, stats, delta, first))
            stats.sent = now
        return out

    def snapshot(self) -> Msg:
        out = {**self.info(), "endpoints": list(self.endpoints), "peers": self.traffic(cumulative=True),
               "closed": self.closed}
        failed = self.failed
        if failed:
            out["failed"] = [dict(f) for f in failed]
        if self.counts_accepted and any(e["op"] == "bind" for e in self.endpoints):
            out["accepted"] = self.accepted_counts()
        return out
