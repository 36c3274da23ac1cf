#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A webhook receiver for the push tests: Alertmanager POSTs each
# notification here; every alert in it becomes one line of OUT,
# "STATUS ALERTNAME key=value..." plus the raw JSON, flushed at once.
# Usage: webhook.py PORTFILE OUT  (binds 127.0.0.1:0, writes its port to PORTFILE)
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            msg = json.loads(body)
            with open(sys.argv[2], "a") as out:
                for a in msg.get("alerts", []):
                    labels = " ".join(f"{k}={v}" for k, v in sorted(a["labels"].items()))
                    out.write(f"{a['status']} {a['labels'].get('alertname', '')} {labels} "
                              f"{json.dumps(a, sort_keys=True)}\n")
        except (ValueError, KeyError) as e:
            with open(sys.argv[2], "a") as out:
                out.write(f"bad {e!r}\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", 0), Hook)
with open(sys.argv[1], "w") as f:
    f.write(f"{srv.server_address[1]}\n")
srv.serve_forever()
