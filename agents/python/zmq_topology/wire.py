"""Protocol value formats shared by the agent: Bin, message-type names, heartbeat patterns.

Mirrors src/protocol/bin.ts so both agents render the same bytes the same way.
"""
import re
from typing import Dict, FrozenSet, Optional

BIN_BYTES = 255
TYPE_BYTES = 64  # a message type is named from at most this many bytes of its frame
DEFAULT_HEARTBEATS = (b"\x02", b"HEARTBEAT", b"PING", b"PONG")

# Printable = valid UTF-8 with no control characters (same set as bin.ts).
_CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]")
_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")


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


def parse_heartbeats(spec: Optional[str]) -> FrozenSet[bytes]:
    """ZMQ_TOPOLOGY_HEARTBEATS: comma-separated patterns, \\xNN escapes for bytes."""
    if not spec:
        return frozenset(DEFAULT_HEARTBEATS)
    patterns = set()
    for part in spec.split(","):
        pieces = _ESCAPE.split(part)
        # split() alternates literal text and captured hex digits
        raw = b"".join(bytes([int(p, 16)]) if i % 2 else p.encode("utf-8") for i, p in enumerate(pieces))
        if raw:
            patterns.add(raw)
    return frozenset(patterns) or frozenset(DEFAULT_HEARTBEATS)
