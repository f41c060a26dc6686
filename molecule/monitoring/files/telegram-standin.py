"""A stand-in of Telegram's Bot API on 127.0.0.1:18098: records every sendMessage as one JSON line."""
import json
import http.server
import time
import urllib.parse

LOG = '/var/log/telegram-standin.jsonl'


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0)).decode()
        if self.headers.get('Content-Type', '').startswith('application/json'):
            fields = json.loads(body or '{}')
        else:
            fields = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
        method = self.path.rsplit('/', 1)[-1]
        token_ok = self.path.startswith('/bot') and ':' in self.path.split('/')[1]
        with open(LOG, 'a') as handle:
            handle.write(json.dumps({'time': round(time.time(), 3), 'method': method, 'token_ok': token_ok, 'chat_id': str(fields.get('chat_id')),
                                     'text': fields.get('text', '')}) + '\n')
        answer = {'ok': True, 'result': {'message_id': 1, 'date': 0,
                                         'chat': {'id': int(fields.get('chat_id') or 0), 'type': 'group'},
                                         'text': fields.get('text', '')}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


http.server.HTTPServer(('127.0.0.1', 18098), Handler).serve_forever()
