"""ZeroMQ Topology agent for pyzmq.

`start()` waits for the app to import zmq (so processes that never use ZeroMQ pay nothing), then
instruments it; the telemetry thread starts with the first socket the app creates.
"""
import importlib.abc
import importlib.util
import os
import sys
from types import ModuleType
from typing import Optional, Sequence

AGENT_NAME = "zmq-topology-python"
AGENT_VERSION = "0.1.0"


def debug(what: str, err: BaseException) -> None:
    """One line on stderr for a swallowed failure, only when ZMQ_TOPOLOGY_DEBUG is set."""
    if os.environ.get("ZMQ_TOPOLOGY_DEBUG"):
        try:
            print(f"zmq-topology: {what}: {type(err).__name__}: {err}", file=sys.stderr)
        except Exception:
            pass


def _instrument(zmq: ModuleType) -> None:
    try:
        from . import hooks

        hooks.install(zmq)
    except Exception as err:
        debug("pyzmq not instrumented", err)


class _ZmqImportHook(importlib.abc.MetaPathFinder):
    """Finds `zmq` through the other finders and instruments it right after it has executed."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]], target: Optional[ModuleType] = None):
        if fullname != "zmq":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original_exec = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original_exec(module)
            _instrument(module)

        try:
            loader.exec_module = exec_module  # type: ignore[method-assign]
        except Exception as err:
            debug("cannot hook the zmq import", err)
        return spec


def start() -> None:
    """Instrument pyzmq now if it is already imported, else as soon as it is."""
    if "zmq" in sys.modules:
        _instrument(sys.modules["zmq"])
    elif not any(isinstance(f, _ZmqImportHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _ZmqImportHook())
