"""ZeroMQ Topology entry point: Python imports this at startup when agents/python is on PYTHONPATH.

It arms the pyzmq agent only when ZMQ_TOPOLOGY_ENDPOINT is set, then runs the sitecustomize this
one shadows (the next one on sys.path), so putting this folder first never hides another's setup.
Nothing here may break interpreter startup: agent failures are swallowed.
"""
import os
import sys


def _chain() -> None:
    """Run the next sitecustomize.py on sys.path after this file's folder, as Python would have."""
    here = os.path.dirname(os.path.realpath(__file__))
    seen_self = False
    for entry in sys.path:
        folder = os.path.realpath(entry or os.curdir)
        if not seen_self:
            seen_self = folder == here
            continue
        candidate = os.path.join(folder, "sitecustomize.py")
        if folder != here and os.path.isfile(candidate):
            import importlib.util

            spec = importlib.util.spec_from_file_location("_zmq_topology_chained_sitecustomize", candidate)
            if spec is None or spec.loader is None:
                return
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as err:  # site.py reports a failing sitecustomize this way and carries on
                print(f"Error in sitecustomize; set PYTHONVERBOSE for traceback:\n{type(err).__name__}: {err}",
                      file=sys.stderr)
            return


def _arm() -> None:
    if not os.environ.get("ZMQ_TOPOLOGY_ENDPOINT"):
        return
    try:
        import zmq_topology

        zmq_topology.start()
    except Exception as err:
        if os.environ.get("ZMQ_TOPOLOGY_DEBUG"):
            print(f"zmq-topology: agent not started: {type(err).__name__}: {err}", file=sys.stderr)


_chain()
_arm()
