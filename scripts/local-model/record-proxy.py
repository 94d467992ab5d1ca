#!/usr/bin/env python3
"""Loopback HTTP proxy for the end-to-end test: forwards every request to the local model
server unchanged and appends what was sent and received to a JSON-lines file, so the test can
check what the model was actually given (for example that a tool's result reached it).

Usage: record-proxy.py UPSTREAM_BASE LOG_FILE PORT_FILE
  UPSTREAM_BASE  e.g. http://127.0.0.1:8765 (loopback only)
  LOG_FILE       one JSON object per request: method, path, request body, status, response
                 body text (a stream is kept as its raw server-sent events)
  PORT_FILE      the proxy listens on an ephemeral 127.0.0.1 port and writes it here

Responses are passed through as they arrive (streams included) and then the connection is
closed, so a client never waits on the proxy. It stops on SIGTERM.
"""
import http.client
import http.server
import json
import sys
import threading
import urllib.parse

UPSTREAM, LOG_FILE, PORT_FILE = sys.argv[1:4]
upstream = urllib.parse.urlsplit(UPSTREAM)
if upstream.hostname not in ("127.0.0.1", "localhost"):
    sys.exit(f"record-proxy: refusing non-loopback upstream {UPSTREAM}")
log_lock = threading.Lock()
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=3600)
        received = bytearray()
        status = 0
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            status = response.status
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Connection", "close")
            self.end_headers()
            while True:
                chunk = response.read1(65536)
                if not chunk:
                    break
                received += chunk
                self.wfile.write(chunk)
                self.wfile.flush()
        except (OSError, http.client.HTTPException) as error:
            if status == 0:
                self.send_error(502, f"record-proxy: upstream failed: {error}")
            received += f"\n[record-proxy: {error}]".encode()
        finally:
            connection.close()
            self.close_connection = True
            try:
                request = json.loads(body) if body else None
            except ValueError:
                request = body.decode(errors="replace")
            entry = {"method": self.command, "path": self.path, "request": request,
                     "status": status, "response": received.decode(errors="replace")}
            with log_lock, open(LOG_FILE, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")

    do_GET = forward
    do_POST = forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE, "w", encoding="utf-8") as port_file:
    port_file.write(f"{server.server_address[1]}\n")
server.serve_forever()
