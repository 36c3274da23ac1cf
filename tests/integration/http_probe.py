#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Hostile clients for `run --listen`: each case sends raw bytes and prints
# "NAME STATUS" (the HTTP status answered, "closed" when the server hung up
# without one). Usage: http_probe.py PORT CASE...
import socket
import sys
import time

PORT = int(sys.argv[1])
CASES = {
    "get": b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "http10": b"GET /metrics HTTP/1.0\r\n\r\n",
    "garbage": b"\x00\x01\x02 hello\r\n\r\n",
    "nohost": b"GET /metrics HTTP/1.1\r\n\r\n",
    "method": b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "post": b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    "path": b"GET /etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    "version": b"GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n",
    "fold": b"GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
    "oversized": b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
    "binary": bytes(range(256)) * 256,
}


def status_of(data):
    line = data.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return parts[1].decode() if len(parts) > 1 and line.startswith(b"HTTP/1.1 ") else "closed"


def run(name):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=15)
    if name == "slow":
        # Half a request line, then silence: the server must give up on us.
        s.sendall(b"GET /met")
        t0 = time.time()
        data = s.recv(4096)
        return f"{status_of(data)} after {time.time() - t0:.1f}s"
    try:
        s.sendall(CASES[name])
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the server may answer and close before all of a flood is sent
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return status_of(data)


for name in sys.argv[2:]:
    print(name, run(name), flush=True)
