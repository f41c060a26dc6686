# Test only: a loopback HTTP upstream that names itself and echoes what nginx passed on.
import http.server
import json
import sys

NAME, PORT = sys.argv[1], int(sys.argv[2])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({'upstream': NAME, 'method': self.command, 'path': self.path,
                           'request_id': self.headers.get('X-Request-ID'),
                           'forwarded_proto': self.headers.get('X-Forwarded-Proto'),
                           'token_header': bool(self.headers.get('X-Telegram-Bot-Api-Secret-Token'))}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = answer

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(('127.0.0.1', PORT), Handler).serve_forever()
