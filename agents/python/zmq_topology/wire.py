"""Protocol value formats shared by the agent: Bin, message-type names, heartbeat patterns, message
fingerprints.

Mirrors src/protocol/bin.ts and src/protocol/fingerprint.ts so both agents render the same bytes the
same way.
"""
import re
from typing import Any, Callable, Dict, FrozenSet, NamedTuple, Optional, Sequence, Tuple

BIN_BYTES = 255
TYPE_BYTES = 64  # a message type is named from at most this many bytes of its frame
DEFAULT_HEARTBEATS = r"\x02,HEARTBEAT,PING,PONG,HUGZ,MDPW01|\x04"


class Heartbeats(NamedTuple):
    """Heartbeat patterns: type frames that are one by themselves, and type frames (a protocol header
    such as Majordomo's b"MDPW01") that are one when the next frame is among theirs."""
    single: FrozenSet[bytes]
    next: Dict[bytes, FrozenSet[bytes]]
    max_bytes: int


# Printable = valid UTF-8 with no control characters (same set as bin.ts).
_CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]")
_HEX2 = re.compile(r"[0-9a-fA-F]{2}")


def printable(data: bytes) -> Optional[str]:
    """The bytes as text when they are non-empty printable UTF-8, else None."""
    if not data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _CONTROL.search(text) else text


def to_bin(data: bytes, limit: int = BIN_BYTES) -> Dict[str, str]:
    capped = data[:limit]
    text = printable(capped)
    return {"hex": capped.hex()} if text is None else {"hex": capped.hex(), "text": text}


def type_name(prefix: bytes) -> str:
    """How a message type is counted: its text when printable, else 0x + hex."""
    text = printable(prefix)
    return text if text is not None else "0x" + prefix.hex()


def parse_heartbeats(spec: Optional[str]) -> Heartbeats:
    """ZMQ_TOPOLOGY_HEARTBEATS: comma-separated patterns, | between the type frame and the next one,
    \\xNN escapes for bytes (\\x2c a comma, \\x7c a bar). Same rules as src/agent/frames.ts."""
    single = set()
    after: Dict[bytes, set] = {}
    for part in (spec if spec and spec.strip() else DEFAULT_HEARTBEATS).split(","):
        frames = [_unescape(f) for f in part.split("|")]
        # Three frames or an empty one is no pattern.
        if len(frames) > 2 or not all(frames):
            continue
        if len(frames) == 1:
            single.add(frames[0])
        else:
            after.setdefault(frames[0], set()).add(frames[1])
    if not single and not after:
        return parse_heartbeats(None)
    heads = list(single) + list(after)
    return Heartbeats(frozenset(single), {k: frozenset(v) for k, v in after.items()}, max(len(h) for h in heads))


def _unescape(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        if text.startswith("\\x", i) and _HEX2.match(text, i + 2):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif text.startswith("\\\\", i):
            out.append(0x5C)
            i += 2
        else:
            out += text[i].encode("utf-8")
            i += 1
    return bytes(out)


# --- first-messages fingerprints (src/protocol/fingerprint.ts; docs/PROTOCOL.md, "Attribution evidence")

FINGERPRINT_FRAMES = 4  # frames mixed in, after the envelope
FINGERPRINT_BYTES = 16  # bytes mixed in per frame, after its length
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MASK = 0xFFFFFFFF


def frame_head(frame: Any) -> Tuple[int, bytes]:
    """(length, first FINGERPRINT_BYTES bytes) of a frame as pyzmq sends it: bytes, zmq.Frame,
    memoryview or any buffer (its raw bytes), str as UTF-8 (what send_string sends)."""
    if type(frame) is bytes:
        return len(frame), frame[:FINGERPRINT_BYTES]
    if isinstance(frame, str):
        data = frame.encode("utf-8")
        return len(data), data[:FINGERPRINT_BYTES]
    view = memoryview(frame)
    if view.ndim == 1 and view.itemsize == 1:
        return view.nbytes, view[:FINGERPRINT_BYTES].tobytes()
    return view.nbytes, view.tobytes()[:FINGERPRINT_BYTES]


def _fnv(items: Sequence[Any], side: str, head: Callable[[Any], Tuple[int, bytes]]) -> str:
    count = len(items)
    start = 1 if side == "router" else 0
    if side != "request":
        if start < count and head(items[start])[0] == 0:
            start += 1
        elif start + 1 < count and head(items[start + 1])[0] == 0:
            start += 2
    prime = _FNV_PRIME
    h = ((_FNV_OFFSET ^ min(count - start, 255)) * prime) & _MASK
    for item in items[start:start + FINGERPRINT_FRAMES]:
        length, data = head(item)
        h = ((h ^ (length & 0xFF)) * prime) & _MASK
        h = ((h ^ ((length >> 8) & 0xFF)) * prime) & _MASK
        h = ((h ^ ((length >> 16) & 0xFF)) * prime) & _MASK
        h = ((h ^ ((length >> 24) & 0xFF)) * prime) & _MASK
        for byte in data[:FINGERPRINT_BYTES]:
            h = ((h ^ byte) * prime) & _MASK
    return format(h, "08x")


def fingerprint(frames: Sequence[Any], side: str) -> str:
    """The fingerprint of one message as both ends of its connection see it (8 lowercase hex digits),
    exactly as src/protocol/fingerprint.ts computes it.

    `frames`: the message as the app sent or received it; `side`: "router" (its first frame is a
    routing id, dropped), "dealer", or "request" (REQ/REP: no envelope left to drop). A ROUTER or
    DEALER then drops everything up to and including the first empty frame when one of the first two
    frames is empty (a REQ delimiter, a ZMQ_REQ_CORRELATE request id before it, a hop's address).
    Then FNV-1a (32 bit) over the number of frames left (one byte, at most 255) and, for each of the
    first FINGERPRINT_FRAMES of them, its length as 4 bytes little-endian and its first
    FINGERPRINT_BYTES bytes. Shared test vectors (test/integration/python-agent.test.ts checks them):
        [b"hello"], "dealer"                                      -> "dce96df7"
        [b"\x00\x6b\x8b\x45\x67", b"", b"hello"], "router"         -> "dce96df7"
        [b"", b"MDPW01", b"\x02", b"a much longer frame than sixteen bytes"], "dealer" -> "49710501"
        [], "dealer"                                              -> "050c5d1f"
        [b"\x00\x6b\x8b\x45\x67", b"\x00\x00\x00\x01", b"", b"hello"], "router" -> "dce96df7"
        [b"hello"], "request"                                     -> "dce96df7"
    """
    return _fnv(frames, side, frame_head)


def _pair(item: Tuple[int, bytes]) -> Tuple[int, bytes]:
    return item


def fingerprint_heads(heads: Sequence[Tuple[int, bytes]], side: str) -> str:
    """fingerprint() of a message kept as (length, frame_head bytes) pairs (frame-by-frame send/recv)."""
    return _fnv(heads, side, _pair)
