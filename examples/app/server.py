"""shopfront: a tiny HTTP service for the agentctl demo.

GET /healthz answers {"status": "ok", "version": ...}; GET / answers a greeting.
Run it with `python3 app/server.py` (port from $PORT, default 8080).
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "1.2.0"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            self._reply(200, {"status": "ok", "version": VERSION})
        elif self.path == "/":
            self._reply(200, {"service": "shopfront", "message": "welcome"})
        else:
            self._reply(404, {"error": "not found", "path": self.path})

    def _reply(self, status, body):
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        pass  # keep test output quiet; the platform's access logs cover requests


def make_server(port=0):
    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    make_server(int(os.environ.get("PORT", "8080"))).serve_forever()
