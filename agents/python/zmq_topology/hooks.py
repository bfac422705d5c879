"""How pyzmq is instrumented.

`Context.socket` is wrapped; each socket it returns gets its class swapped for a cached subclass of
its own class (zmq.Socket, zmq.asyncio.Socket, a user subclass, ...) that adds accounting around
send/recv (everything else — send_multipart, send_string, recv_json, ... — funnels through those),
bind/connect/unbind/disconnect, set/setsockopt and close. The app keeps the very object it got;
isinstance, repr, pollers and the socket's behaviour are unchanged.
"""
import os
import sys
import threading
from types import ModuleType
from typing import Any, Callable, Dict, Optional, Tuple

from . import debug
from .agent import Agent
from .record import SocketRecord, _mono

SOCKET_TYPES = ("PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB",
                "STREAM", "SERVER", "CLIENT", "RADIO", "DISH", "GATHER", "SCATTER", "DGRAM", "PEER", "CHANNEL")
DISCONNECT_MSG = 111  # ZMQ_DISCONNECT_MSG (draft)
_ROUTER_HANDOVER: Optional[int] = None  # zmq.ROUTER_HANDOVER, when this pyzmq has it (set by install)
_SUBSCRIBE, _UNSUBSCRIBE = 6, 7  # ZMQ_SUBSCRIBE, ZMQ_UNSUBSCRIBE (zmq.h; pyzmq passes them as int enums)

_zmq: Any = None
_agent: Optional[Agent] = None
_agent_lock = threading.Lock()
_classes: Dict[Tuple[type, str], type] = {}
_skip_dirs: Tuple[str, ...] = ()


def _get_agent() -> Agent:
    global _agent
    with _agent_lock:
        if _agent is None:
            _agent = Agent(_zmq)
            _agent.start()
        return _agent


def _forget_agent() -> None:
    """After fork the child has the parent's agent state but not its thread: start afresh."""
    global _agent, _agent_lock
    _agent = None
    _agent_lock = threading.Lock()


def _creation_site() -> Optional[Dict[str, Any]]:
    """The first stack frame outside pyzmq and this agent: where the app created the socket."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if not path.startswith(_skip_dirs):
            return {"file": os.path.abspath(path)[:4096], "line": max(frame.f_lineno or 0, 0)}
        frame = frame.f_back
    return None


def _text(addr: Any) -> str:
    return addr.decode("utf-8", "replace") if isinstance(addr, bytes) else str(addr)


def _endpoint_op(sock: Any, op: str, addr: Any, call: Callable[[Any], Any]) -> Any:
    rec: Optional[SocketRecord] = sock._zt_rec
    if rec is None:
        return call(addr)
    if not rec.announced:
        _announce(sock, rec)
    try:
        result = call(addr)
    except Exception as err:
        if rec.trying_ports and getattr(err, "errno", None) == _zmq.EADDRINUSE:
            raise
        try:
            rec.endpoint(op, _text(addr), None, str(err) or type(err).__name__)
        except Exception as inner:
            debug("endpoint report failed", inner)
        raise
    try:
        resolved = None
        if op in ("bind", "connect"):
            resolved = _text(_zmq.Socket.get(sock, _zmq.LAST_ENDPOINT)).rstrip("\0") or None
        rec.endpoint(op, _text(addr), resolved, None)
    except Exception as err:
        debug("endpoint report failed", err)
    return result


def _announce(sock: Any, rec: SocketRecord) -> None:
    """Report the socket with the options it has when it first binds or connects (Python apps set
    them after creating the socket, and libzmq applies most of them to connections made later)."""
    try:
        get = _zmq.Socket.get
        options: Dict[str, Any] = {}
        for key, name in (("heartbeatIvl", "HEARTBEAT_IVL"), ("heartbeatTtl", "HEARTBEAT_TTL"),
                          ("heartbeatTimeout", "HEARTBEAT_TIMEOUT"), ("linger", "LINGER"),
                          ("sndhwm", "SNDHWM"), ("rcvhwm", "RCVHWM")):
            try:
                options[key] = int(get(sock, getattr(_zmq, name)))
            except Exception:
                pass  # option unknown to this libzmq
        routing_id = get(sock, _zmq.ROUTING_ID if hasattr(_zmq, "ROUTING_ID") else _zmq.IDENTITY)
        rec.announce(options, bytes(routing_id) if routing_id else None)
    except Exception as err:
        debug("socket report failed", err)


class _Lifecycle:
    """Endpoint operations, options and close: on the object the app holds."""

    _zt_rec: Optional[SocketRecord] = None

    def bind(self, addr):
        return _endpoint_op(self, "bind", addr, super().bind)  # type: ignore[misc]

    def connect(self, addr):
        return _endpoint_op(self, "connect", addr, super().connect)  # type: ignore[misc]

    def bind_to_random_port(self, addr, min_port=49152, max_port=65536, max_tries=100):
        # pyzmq binds random ports of the range until one is free: a port in use is one more try,
        # not the app's failure. When none was free the helper's own error is the failure, on the range.
        rec = self._zt_rec
        if rec is None:
            return super().bind_to_random_port(addr, min_port, max_port, max_tries)  # type: ignore[misc]
        rec.trying_ports = True
        try:
            return super().bind_to_random_port(addr, min_port, max_port, max_tries)  # type: ignore[misc]
        except _zmq.ZMQBindError as err:
            try:
                rec.endpoint("bind", "%s:%d-%d" % (_text(addr), min_port, max_port - 1), None, str(err) or type(err).__name__)
            except Exception as inner:
                debug("endpoint report failed", inner)
            raise
        finally:
            rec.trying_ports = False

    def unbind(self, addr):
        return _endpoint_op(self, "unbind", addr, super().unbind)  # type: ignore[misc]

    def disconnect(self, addr):
        return _endpoint_op(self, "disconnect", addr, super().disconnect)  # type: ignore[misc]

    def set(self, option, optval):
        super().set(option, optval)  # type: ignore[misc]
        rec = self._zt_rec
        if rec is not None and option == DISCONNECT_MSG:
            # Only the app's own text counts; peers' messages carrying it are reported as disconnect-msg.
            rec.app_disconnect_msg = optval.encode("utf-8") if isinstance(optval, str) else bytes(optval)
        elif rec is not None and rec.subscriptions is not None and option in (_SUBSCRIBE, _UNSUBSCRIBE):
            try:
                prefix = optval.encode("utf-8") if isinstance(optval, str) else bytes(optval)
                rec.subscribed(prefix, option == _SUBSCRIBE)
            except Exception as err:
                debug("subscription report failed", err)
        elif rec is not None and option == _ROUTER_HANDOVER:
            # Write-only in libzmq: the app's call is the only way to know (libzmq took it, so optval is an int).
            try:
                rec.set_router_handover(bool(optval))
            except Exception as err:
                debug("router handover report failed", err)

    setsockopt = set

    def close(self, linger=None):
        rec = self._zt_rec
        was_open = not self.closed  # type: ignore[attr-defined]
        super().close(linger=linger)  # type: ignore[misc]
        if rec is not None and was_open:
            try:
                rec.close()
            except Exception as err:
                debug("close report failed", err)


class _Traffic:
    """Accounting on the object that really sends and receives. Whole messages are counted once in
    send_multipart/recv_multipart (the common path, cheapest); lone send/recv frame by frame."""

    _zt_rec: Optional[SocketRecord] = None

    def send(self, data, *args, **kwargs):
        result = super().send(data, *args, **kwargs)  # type: ignore[misc]
        rec = self._zt_rec
        if rec is not None and not rec.batching:
            try:
                flags = args[0] if args else kwargs.get("flags", 0)
                rec.frame(False, data, bool(flags & _zmq.SNDMORE))
            except Exception as err:
                debug("send accounting failed", err)
        return result

    def recv(self, *args, **kwargs):
        frame = super().recv(*args, **kwargs)  # type: ignore[misc]
        rec = self._zt_rec
        if rec is not None and not rec.batching:
            try:
                more = _zmq.Socket.get(self, _zmq.RCVMORE) if isinstance(frame, bytes) else frame.more
                rec.frame(True, frame, bool(more))
            except Exception as err:
                debug("recv accounting failed", err)
        return frame

    def send_multipart(self, msg_parts, *args, **kwargs):
        rec = self._zt_rec
        if rec is None or rec.batching:
            return super().send_multipart(msg_parts, *args, **kwargs)  # type: ignore[misc]
        sent_at = _mono() if rec.stamps_sends else None
        rec.batching = True
        try:
            result = super().send_multipart(msg_parts, *args, **kwargs)  # type: ignore[misc]
        finally:
            rec.batching = False
        try:
            rec.message(False, msg_parts, sent_at)
        except Exception as err:
            debug("send accounting failed", err)
        return result

    def recv_multipart(self, *args, **kwargs):
        rec = self._zt_rec
        if rec is None or rec.batching:
            return super().recv_multipart(*args, **kwargs)  # type: ignore[misc]
        rec.batching = True
        try:
            parts = super().recv_multipart(*args, **kwargs)  # type: ignore[misc]
        finally:
            rec.batching = False
        try:
            rec.message(True, parts)
        except Exception as err:
            debug("recv accounting failed", err)
        return parts


class _DirectTraffic(_Traffic):
    """Whole messages on a socket whose class keeps pyzmq's own send/recv and multipart methods (the
    usual case): the message goes straight to pyzmq's C-level send/recv, as pyzmq's multipart
    methods would call them, so each message costs one Python frame of the agent's plus the
    counting, instead of a wrapper around every frame. Anything unusual (other part types, extra
    arguments) takes pyzmq's own path through `_Traffic`."""

    def send_multipart(self, msg_parts, flags=0, copy=True, track=False, **kwargs):
        rec = self._zt_rec
        if rec is None or kwargs or rec.batching or type(msg_parts) is not list or not msg_parts:
            return _Traffic.send_multipart(self, msg_parts, flags, copy, track, **kwargs)
        for part in msg_parts:
            if type(part) is not bytes:
                return _Traffic.send_multipart(self, msg_parts, flags, copy, track)
        send = _c_send
        sent_at = _mono() if rec.stamps_sends else None
        last = len(msg_parts) - 1
        if last:
            more = flags | _SNDMORE
            for i in range(last):
                send(self, msg_parts[i], more, copy=copy, track=track)
        result = send(self, msg_parts[last], flags, copy=copy, track=track)
        try:
            rec.message(False, msg_parts, sent_at)
        except Exception as err:
            debug("send accounting failed", err)
        return result

    def recv_multipart(self, flags=0, copy=True, track=False):
        rec = self._zt_rec
        if rec is None or rec.batching:
            return _Traffic.recv_multipart(self, flags, copy, track)
        recv = _c_recv
        first = recv(self, flags, copy=copy, track=track)
        parts = [first]
        # A peer's first message is tied whether or not the agent thread has read its `accepted` yet:
        # a client that sends once and then idles gives no second chance.
        if rec.tracks_fds and (rec.wants_fd or (copy and first not in rec.peers)) and _c_get(self, _RCVMORE):
            parts.append(_recv_tying_fd(self, rec, first, flags, copy, track))
        while _c_get(self, _RCVMORE):
            parts.append(recv(self, flags, copy=copy, track=track))
        try:
            rec.message(True, parts)
        except Exception as err:
            debug("recv accounting failed", err)
        return parts

    def send(self, data, flags=0, copy=True, track=False, **kwargs):
        # A whole message in one frame, the commonest send (zguide's clients, publishers): counted as a
        # message, past pyzmq's Python-level send, as send_multipart([data]) is; it cost the app 3.8 ×
        # plain's instructions through the frame-by-frame path (docs/PERFORMANCE.md).
        rec = self._zt_rec
        if (rec is None or kwargs or rec.batching or rec.router or flags & _SNDMORE or type(data) is not bytes
                or rec.partial_out.index):
            return _Traffic.send(self, data, flags, copy, track, **kwargs)
        sent_at = _mono() if rec.stamps_sends else None
        result = _c_send(self, data, flags, copy, track)
        try:
            rec.message(False, (data,), sent_at)
        except Exception as err:
            debug("send accounting failed", err)
        return result

    def recv(self, flags=0, copy=True, track=False):
        rec = self._zt_rec
        if rec is None or rec.batching:
            return _Traffic.recv(self, flags, copy, track)
        if rec.router:
            peer = rec.inbound_peer() if rec.tracks_fds else None
            if peer is None:
                return _Traffic.recv(self, flags, copy, track)
            data = _recv_tying_fd(self, rec, peer, flags, copy, track)
            try:
                rec.frame(True, data, bool(_c_get(self, _RCVMORE)))
            except Exception as err:
                debug("recv accounting failed", err)
            return data
        data = _c_recv(self, flags, copy=copy, track=track)
        try:
            more = _c_get(self, _RCVMORE)
            # A whole message in one frame: counted as recv_multipart counts one.
            if not more and not rec.partial_in.index:
                rec.message(True, (data,))
            else:
                rec.frame(True, data, bool(more))
        except Exception as err:
            debug("recv accounting failed", err)
        return data


def _recv_tying_fd(sock: Any, rec: SocketRecord, peer: Any, flags: int, copy: bool, track: bool) -> Any:
    """The frame after a ROUTER message's routing id `peer`, read as a zmq.Frame for the ZMQ_SRCFD of the
    connection it came in on, and returned as the app asked for it (bytes unless copy=False). Not the
    routing-id frame itself: libzmq builds that one without the connection's metadata when the app
    polled before receiving (zmq.Poller, zmq.asyncio), so it has no fd to tell."""
    frame = _c_recv(sock, flags, copy=False, track=track)
    try:
        rec.peer_fd(frame.get(_SRCFD), peer if type(peer) is bytes else peer.bytes)
    except Exception as err:
        rec.fd_unknown()  # an inproc peer has no fd; a ROUTER may have tcp peers besides
        debug("ZMQ_SRCFD not read", err)
    return frame.bytes if copy else frame


_c_send: Any = None
_c_recv: Any = None
_c_get: Any = None
_SNDMORE = 2
_RCVMORE: Any = 13
_SRCFD = 2  # ZMQ_SRCFD, a message property for zmq_msg_get (deprecated in libzmq 4.3, still answered)


def _direct_ok(cls: type) -> bool:
    """Whether the class sends and receives exactly as pyzmq's own Socket (no app override)."""
    base = _zmq.Socket
    return _c_send is not None and all(getattr(cls, name, None) is getattr(base, name, None)
                                       for name in ("send", "recv", "send_multipart", "recv_multipart", "get", "getsockopt"))


def _traced(cls: type, role: str) -> type:
    key = (cls, role)
    traced = _classes.get(key)
    if traced is None:
        traffic = _DirectTraffic if _direct_ok(cls) else _Traffic
        mixins = {"both": (traffic, _Lifecycle), "lifecycle": (_Lifecycle,), "traffic": (traffic,)}[role]
        # Same name, module and repr as the class it stands in for, so logs read as before.
        namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        if "_repr_cls" in cls.__dict__:  # pyzmq's __repr__ reads it from the exact class only
            namespace["_repr_cls"] = cls.__dict__["_repr_cls"]
        traced = _classes[key] = type(cls.__name__, mixins + (cls,), namespace)
    return traced


def _trace(sock: Any, socket_type: int) -> None:
    agent = _get_agent()
    type_name = SOCKET_TYPES[socket_type] if 0 <= socket_type < len(SOCKET_TYPES) else "UNKNOWN"
    rec = agent.add_socket(type_name, _creation_site())
    shadow = sock.__dict__.get("_shadow_sock")
    if shadow is not None:
        # Async sockets (zmq.asyncio, zmq.eventloop.future) do their real I/O on a shadow socket.
        shadow.__class__ = _traced(type(shadow), "traffic")
        shadow._zt_rec = rec
        sock.__class__ = _traced(type(sock), "lifecycle")
    else:
        sock.__class__ = _traced(type(sock), "both")
    sock._zt_rec = rec
    agent.watch(sock, rec)
    if type_name == "ROUTER" and _ROUTER_HANDOVER is not None:
        _context_handover(sock, rec)
    if type_name == "SUB":
        _context_subscription(sock, rec)


def _context_handover(sock: Any, rec: SocketRecord) -> None:
    """Context.socket applies the context's default options (ctx.setsockopt) before the agent sees
    the socket: a ROUTER_HANDOVER among them was set on this ROUTER too."""
    try:
        if getattr(sock.context, "sockopts", {}).get(_ROUTER_HANDOVER):
            rec.set_router_handover(True)
    except Exception as err:
        debug("context default options not read", err)


def _context_subscription(sock: Any, rec: SocketRecord) -> None:
    """A SUBSCRIBE among the context's default options was applied to this SUB before the agent saw it."""
    try:
        prefix = getattr(sock.context, "sockopts", {}).get(_SUBSCRIBE)
        if prefix is not None:
            rec.subscribed(prefix.encode("utf-8") if isinstance(prefix, str) else bytes(prefix), True)
    except Exception as err:
        debug("context default options not read", err)


def _find_c_methods(zmq: ModuleType) -> None:
    """pyzmq's compiled send/recv/get, below its Python-level Socket: what its multipart methods
    end up calling for every frame (its Python `send` only adds routing_id/group handling)."""
    global _c_send, _c_recv, _c_get, _SNDMORE, _RCVMORE
    found: Dict[str, Any] = {}
    for klass in zmq.Socket.__mro__[1:]:
        for name in ("send", "recv", "get"):
            if name not in found and name in klass.__dict__:
                found[name] = klass.__dict__[name]
    if len(found) == 3 and zmq.Socket.recv is found["recv"] and zmq.Socket.getsockopt is found["get"]:
        _c_send, _c_recv, _c_get = found["send"], found["recv"], found["get"]
        _SNDMORE, _RCVMORE = int(zmq.SNDMORE), zmq.RCVMORE  # RCVMORE as pyzmq passes it (an enum member)


def _wrap_proxy(zmq: ModuleType, name: str) -> None:
    """zmq.proxy and its kin move messages in C, past the agent: the sockets passed are marked proxied."""
    original = getattr(zmq, name, None)
    if original is None or getattr(original, "_zmq_topology", False):
        return

    def proxy(*args, **kwargs):
        for sock in (*args, *kwargs.values()):
            rec = getattr(sock, "_zt_rec", None)
            if rec is not None:
                try:
                    rec.mark_proxied()
                except Exception as err:
                    debug("proxied socket not marked", err)
        return original(*args, **kwargs)

    proxy._zmq_topology = True  # type: ignore[attr-defined]
    proxy.__wrapped__ = original  # type: ignore[attr-defined]
    proxy.__doc__ = original.__doc__
    proxy.__name__ = name
    setattr(zmq, name, proxy)


def install(zmq: ModuleType) -> None:
    global _zmq, _skip_dirs, _ROUTER_HANDOVER
    context_class = zmq.Context
    if getattr(context_class.socket, "_zmq_topology", False):
        return
    _zmq = zmq
    if hasattr(zmq, "ROUTER_HANDOVER"):
        _ROUTER_HANDOVER = int(zmq.ROUTER_HANDOVER)
    try:
        _find_c_methods(zmq)
    except Exception as err:
        debug("pyzmq's own methods not found: every message takes the wrapped path", err)
    _skip_dirs = (os.path.dirname(zmq.__file__) + os.sep, os.path.dirname(__file__) + os.sep)
    original = context_class.socket

    def socket(self, socket_type, *args, **kwargs):
        sock = original(self, socket_type, *args, **kwargs)
        if not getattr(self, "_zmq_topology_private", False):
            try:
                _trace(sock, int(socket_type))
            except Exception as err:
                debug("socket not instrumented", err)
        return sock

    socket._zmq_topology = True  # type: ignore[attr-defined]
    socket.__wrapped__ = original  # type: ignore[attr-defined]
    socket.__doc__ = original.__doc__
    context_class.socket = socket
    for name in ("proxy", "proxy_steerable", "device"):
        _wrap_proxy(zmq, name)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_forget_agent)
