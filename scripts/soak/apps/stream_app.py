"""The pyzmq twin of stream-app.js: a DEALER -> ROUTER stream of 64-byte messages in one process.

Prints {"type":"ready"}; each stdin line "run MS" streams for MS ms (batches of 100 sent, then
received: one thread) and prints {"type":"run",msgs,ms,memory:{rss},agent}; memory after
gc.collect(); agent = the pyzmq agent's queue length and drop count when it runs here. Twice a second
(checked between batches and lines) a short-lived DEALER connects and closes: monitor events that an
agent without a collector must drop and count. Ends at EOF.
"""
import gc
import json
import sys
import time

import zmq

PAYLOAD = b"a" * 64
BATCH = 100
CHURN_S = 0.5


def rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def agent_state():
    """The agent's own counters (observation only), or None when it does not run here."""
    hooks = sys.modules.get("zmq_topology.hooks")
    agent = getattr(hooks, "_agent", None) if hooks else None
    if agent is None:
        return None
    return {"queued": agent._queue.qsize(), "dropped": agent.dropped}


def main():
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.linger = 0
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    # Routing ids, so the ROUTER's peers resolve to these sockets (see stream-app.js).
    dealer.setsockopt(zmq.ROUTING_ID, b"stream")
    dealer.connect(f"tcp://127.0.0.1:{port}")
    dealer.send(PAYLOAD)
    router.recv_multipart()
    endpoint = f"tcp://127.0.0.1:{port}"
    churn = {"next": time.monotonic() + CHURN_S, "open": None, "count": 0}

    def churn_tick():
        now = time.monotonic()
        if churn["open"] is not None and now >= churn["next"] - CHURN_S + 0.2:
            churn["open"].close()
            churn["open"] = None
        if now >= churn["next"]:
            churn["count"] += 1
            d = ctx.socket(zmq.DEALER)
            d.linger = 0
            d.setsockopt(zmq.ROUTING_ID, b"churn-%d" % churn["count"])
            d.connect(endpoint)
            churn["open"] = d
            churn["next"] = now + CHURN_S

    print(json.dumps({"type": "ready"}), flush=True)
    for line in sys.stdin:
        churn_tick()
        parts = line.split()
        if len(parts) != 2 or parts[0] != "run":
            continue
        t0 = time.monotonic()
        until = t0 + int(parts[1]) / 1000
        msgs = 0
        while time.monotonic() < until:
            for _ in range(BATCH):
                dealer.send(PAYLOAD)
            for _ in range(BATCH):
                router.recv_multipart()
            msgs += BATCH
            churn_tick()
        ms = (time.monotonic() - t0) * 1000
        gc.collect()
        print(json.dumps({"type": "run", "msgs": msgs, "ms": ms, "memory": {"rss": rss()}, "agent": agent_state()}), flush=True)
    if churn["open"] is not None:
        churn["open"].close()
    dealer.close()
    router.close()
    ctx.term()


if __name__ == "__main__":
    main()
