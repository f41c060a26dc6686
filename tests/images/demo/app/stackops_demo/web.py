"""A small JSON HTTP server on the standard library's ThreadingHTTPServer."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20


class JSONHandler(BaseHTTPRequestHandler):
    server_version = "stackops-demo"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    routes = {}  # {(method, path): method name}

    def _dispatch(self, method):
        self._body_read = False
        path = self.path.split("?", 1)[0]
        name = self.routes.get((method, path))
        if name is None:
            allowed = any(p == path for (_, p) in self.routes)
            self.send_json(405 if allowed else 404,
                           {"error": "method not allowed" if allowed else "not found"})
            return
        try:
            getattr(self, name)()
        except Exception as exc:  # answer 500 and keep serving
            print(f"error: {method} {path}: {exc.__class__.__name__}: {exc}",
                  file=sys.stderr, flush=True)
            self.send_json(500, {"error": "internal error"})

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _declared_length(self):
        try:
            return int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return -1

    def read_body(self):
        length = self._declared_length()
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad or too large body")
        self._body_read = True
        return self.rfile.read(length) if length else b""

    def read_json(self):
        return json.loads(self.read_body() or b"null")

    def send_json(self, status, payload):
        body = json.dumps(payload, default=str).encode()
        self.send_response(status)
        if self._declared_length() != 0 and not getattr(self, "_body_read", False):
            # A request body we did not read would be parsed as the next request.
            self.close_connection = True
            self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code="-", size="-"):
        # One line per request on stdout.
        print(f'{time.strftime("%Y-%m-%dT%H:%M:%S%z")} {self.client_address[0]} '
              f'"{self.command} {self.path.split("?", 1)[0]}" {code}', flush=True)

    def log_error(self, fmt, *args):
        print("http error: " + (fmt % args), file=sys.stderr, flush=True)


def serve(handler, host, port, name):
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    print(f"{name} listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
