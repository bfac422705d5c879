"""The pyzmq program the agent benchmark runs plain and with the Python agent (PYTHONPATH).

Same shape as zmq-app.js: a ROUTER process and a DEALER process (one DEALER, or 50) on tcp
loopback; time.monotonic_ns() is CLOCK_MONOTONIC, shared by both, so one-way latency is one
difference.

  python3 pyzmq_app.py router <stream|reqrep|fanin> <warmup_ms> <measure_ms> [memory_sample_ms]
  python3 pyzmq_app.py dealer <stream|reqrep|fanin> <endpoint> <warmup_ms> <measure_ms> [memory_sample_ms]
"""
import array
import gc
import json
import resource
import struct
import sys
import time

import zmq

PAYLOAD_BYTES = 64
FANIN_DEALERS = 50
LATENCY_EVERY = 4
LATENCY_KEPT = 1 << 18


def stamped_payload():
    return struct.pack('<Q', time.monotonic_ns()) + b'a' * (PAYLOAD_BYTES - 8)


def rss_kib():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Window:
    """The measured window: warmup after start, then measure_ms; latencies in a bounded ring."""

    def __init__(self, warmup_ms, measure_ms, memory_sample_ms):
        self.started = time.monotonic()
        self.opens = self.started + warmup_ms / 1000
        self.closes = self.opens + measure_ms / 1000
        self.memory_every = memory_sample_ms / 1000 if memory_sample_ms else 0
        self.next_memory = self.started
        self.count = 0
        # Preallocated, so the workload's own memory stays flat in the memory run.
        self.latencies = array.array('d', bytes(8 * LATENCY_KEPT))
        self.latency_count = 0
        self.memory = []

    def record_latency(self, sent_ns):
        self.latencies[self.latency_count % LATENCY_KEPT] = (time.monotonic_ns() - sent_ns) / 1000
        self.latency_count += 1

    def sample_memory(self, now):
        gc.collect()
        self.memory.append({'atMs': round((now - self.started) * 1000), 'rssKiB': rss_kib(), 'heapUsedKiB': None})

    def tick(self):
        """Returns 'warmup', 'measure' or 'done' for now; samples memory when due."""
        now = time.monotonic()
        if self.memory_every and now >= self.next_memory:
            self.sample_memory(now)
            self.next_memory = now + self.memory_every
        if now < self.opens:
            return 'warmup'
        return 'measure' if now < self.closes else 'done'

    def report(self, role, scenario):
        seconds = time.monotonic() - self.opens
        if self.memory_every:
            self.sample_memory(time.monotonic())
        ordered = sorted(self.latencies[:min(self.latency_count, LATENCY_KEPT)])

        def pct(p):
            if not ordered:
                return None
            return ordered[min(len(ordered) - 1, max(0, -(-p * len(ordered) // 100) - 1))]

        measured = min(seconds, (self.closes - self.opens))
        print(json.dumps({
            'role': role, 'scenario': scenario, 'instrumented': 'zmq_topology' in sys.modules,
            'messages': self.count, 'seconds': measured, 'msgsPerSec': self.count / measured,
            'p50Us': pct(50), 'p99Us': pct(99), 'memory': self.memory,
        }), flush=True)


def router(scenario, warmup_ms, measure_ms, memory_ms):
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.linger = 0
    sock.bind('tcp://127.0.0.1:*')
    print(json.dumps({'endpoint': sock.getsockopt_string(zmq.LAST_ENDPOINT)}), flush=True)
    if scenario == 'reqrep':
        while True:
            sock.send_multipart(sock.recv_multipart())
    sock.recv_multipart()
    window = Window(warmup_ms, measure_ms, memory_ms)
    checked = 0
    state = 'warmup'
    while True:
        _, payload = sock.recv_multipart()
        checked += 1
        # Reading the clock per message would dominate a Python loop: look every 64 messages.
        if checked % 64 == 0:
            state = window.tick()
            if state == 'done':
                break
        if state == 'measure':
            window.count += 1
            if window.count % LATENCY_EVERY == 0:
                window.record_latency(struct.unpack_from('<Q', payload)[0])
    window.report('router', scenario)


def dealer(scenario, endpoint, warmup_ms, measure_ms, memory_ms):
    ctx = zmq.Context()
    socks = []
    for _ in range(FANIN_DEALERS if scenario == 'fanin' else 1):
        sock = ctx.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(endpoint)
        socks.append(sock)
    if scenario != 'reqrep':
        while True:
            for sock in socks:
                sock.send_multipart([stamped_payload()])
    sock = socks[0]
    window = Window(warmup_ms, measure_ms, memory_ms)
    while True:
        state = window.tick()
        if state == 'done':
            break
        sent = time.monotonic_ns()
        sock.send_multipart([stamped_payload()])
        sock.recv_multipart()
        if state == 'measure':
            window.count += 1
            window.record_latency(sent)
    window.report('dealer', scenario)


def main():
    role, scenario, *rest = sys.argv[1:]
    if role == 'router':
        router(scenario, *[int(x) for x in rest])
    else:
        dealer(scenario, rest[0], *[int(x) for x in rest[1:]])


if __name__ == '__main__':
    main()
