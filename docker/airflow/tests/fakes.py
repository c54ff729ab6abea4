"""Test helpers: an in-process HTTP server with scripted answers, and the path to the DAG folder."""

import json
import logging
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DAGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dags")
if DAGS not in sys.path:
    sys.path.insert(0, DAGS)

# The task module logs retries and progress; keep that out of the test report (Airflow shows it in task logs).
logging.getLogger("cryptoetl.airflow").addHandler(logging.NullHandler())

SCHEDULE_FILE = os.path.join(DAGS, "crypto_etl_schedule.json")


class Answer:
    """One scripted answer: status, body (dict/list -> JSON, str -> text), content type, delay before answering."""

    def __init__(self, status, body=None, content_type=None, delay=0.0):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.delay = delay


def problem(status, title, detail, **extensions):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update(extensions)
    return Answer(status, body, "application/problem+json")


class FakeService:
    """A real HTTP server on 127.0.0.1:<random port>. `script(method, path, *answers)` queues answers for a route;
    each request takes the next one and the last one repeats. Unscripted routes answer 404. `requests` records
    (method, path, headers) of every request."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                answer = service._next(self.command, self.path, dict(self.headers))
                if answer.delay:
                    time.sleep(answer.delay)
                if isinstance(answer.body, (dict, list)):
                    payload = json.dumps(answer.body).encode()
                    content_type = answer.content_type or "application/json"
                else:
                    payload = (answer.body or "").encode()
                    content_type = answer.content_type or "text/plain"
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = _handle
            do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:{}".format(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def script(self, method, path, *answers):
        with self._lock:
            self.routes[(method, path)] = list(answers)

    def count(self, method, path):
        with self._lock:
            return sum(1 for m, p, _ in self.requests if m == method and p == path)

    def _next(self, method, path, headers):
        with self._lock:
            self.requests.append((method, path, headers))
            answers = self.routes.get((method, path))
            if not answers:
                return problem(404, "Not Found", "no route {} {}".format(method, path))
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port_url():
    """A URL on which nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return "http://127.0.0.1:{}".format(port)


def run(run_id="20240101T000000Z-abc", status="running", error=None, published=0, key="manual__1"):
    """A run as the Ingest API returns it."""
    finished = status != "running"
    return {"runId": run_id, "status": status, "idempotencyKey": key, "source": "simulator",
            "requestedAt": "2024-01-01T00:00:00+00:00", "startedAt": "2024-01-01T00:00:00+00:00",
            "finishedAt": "2024-01-01T00:00:07+00:00" if finished else None,
            "durationSeconds": 7.25 if finished else None, "fetched": 250 if finished else 0,
            "published": published, "duplicates": 0, "rejected": 1 if finished else 0, "error": error}


def freshness(ticks_age=12.5, candles_age=40.0, latest_age=12.5, alerts_age=None):
    def stage(age):
        return {"newestEventTime": None if age is None else "2024-01-01T00:00:00+00:00", "ageSeconds": age}
    return {"checkedAt": "2024-01-01T00:05:00+00:00",
            "stages": {"ticks": stage(ticks_age), "candles": stage(candles_age), "latest": stage(latest_age),
                       "alerts": stage(alerts_age)},
            "consumerLag": {"transform": 0, "load": 3}}
