"""The instruction-count benchmark's pyzmq program (bench/instructions.ts): as count-app.js.

    python3 count_app.py router <N>              binds, prints {"endpoint"}, receives N messages
    python3 count_app.py dealer <N> <endpoint>   sends N messages
"""
import json
import os
import sys

import zmq


def main() -> None:
    role, n = sys.argv[1], int(sys.argv[2])
    context = zmq.Context()
    if role == 'router':
        socket = context.socket(zmq.ROUTER)
        socket.linger = 0
        port = socket.bind_to_random_port('tcp://127.0.0.1')
        print(json.dumps({'endpoint': f'tcp://127.0.0.1:{port}'}), flush=True)
        i = 0
        while n == 0 or i < n:
            socket.recv_multipart()
            i += 1
    else:
        socket = context.socket(zmq.DEALER)
        socket.linger = 0
        socket.connect(sys.argv[3])
        payload = b'a' * 64
        i = 0
        while n == 0 or i < n:
            socket.send(payload)
            i += 1
    # No context teardown: the count is of the messages, and term() may wait on the peer.
    os._exit(0)


main()
