"""Finding a collector that had to bind another port than the one this agent was given.

The same convention as src/protocol/rendezvous.ts (docs/PROTOCOL.md, "Finding the collector again"):
a collector that serves a loopback endpoint from another port leaves a note in a per-user folder;
an agent whose collector has not answered for a while reads it and moves. The note is trusted only in
a folder that is this user's and that no one else can write to, naming a loopback endpoint and a
live process.
"""
import json
import os
import re
import tempfile
from typing import Optional

_LOOPBACK_TCP = re.compile(r"^tcp://(127\.\d+\.\d+\.\d+|localhost|\[::1\]):(\d{1,5})$")


def loopback_port(endpoint: str) -> Optional[int]:
    match = _LOOPBACK_TCP.match(endpoint.strip())
    if not match:
        return None
    port = int(match.group(2))
    return port if 0 < port <= 65535 else None


def _uid() -> Optional[int]:
    return os.getuid() if hasattr(os, "getuid") else None


def rendezvous_dir() -> Optional[str]:
    me = _uid()
    runtime = os.environ.get("XDG_RUNTIME_DIR") or ""
    base = runtime if os.path.isabs(runtime) else tempfile.gettempdir()
    path = os.path.join(base, "zmq-topology" if me is None else "zmq-topology-%d" % me)
    try:
        st = os.lstat(path)
    except OSError:
        return None
    import stat as _stat
    if not _stat.S_ISDIR(st.st_mode):
        return None
    if me is not None and (st.st_uid != me or st.st_mode & 0o022):
        return None
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


def find_collector(requested: str) -> Optional[str]:
    """Where the collector for `requested` listens now, per a live collector's note; else None."""
    port = loopback_port(requested)
    folder = rendezvous_dir() if port is not None else None
    if folder is None:
        return None
    path = os.path.join(folder, "collector-%d.json" % port)
    try:
        st = os.lstat(path)
        me = _uid()
        import stat as _stat
        if not _stat.S_ISREG(st.st_mode) or st.st_size > 4096 or (me is not None and st.st_uid != me):
            return None
        with open(path, "r", encoding="utf-8") as f:
            note = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict):
        return None
    endpoint, noted, pid = note.get("endpoint"), note.get("requested"), note.get("pid")
    if not isinstance(endpoint, str) or not isinstance(noted, str) or not isinstance(pid, int):
        return None
    if loopback_port(noted) != port or loopback_port(endpoint) is None or not _alive(pid):
        return None
    return endpoint
