"""A fault-injecting HTTP proxy in front of a real model server: the next requests can be dropped, delayed,
answered with 500, with a body that is not JSON, or with a V2 response of the wrong shape."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import httpx

Fault = Literal["down", "slow", "500", "malformed", "wrong-shape"]


class FaultProxy:
    """Forwards every request to ``upstream`` unless a fault is armed for it (``arm``); counts what it did.

    ``slow_s`` is how long a ``slow`` request is held before it is forwarded (longer than the client's read
    timeout). Use as a context manager; ``base_url`` is the proxy's address.
    """

    def __init__(self, upstream: str, *, slow_s: float = 2.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.slow_s = slow_s
        self.injected: Counter[str] = Counter()
        self.forwarded = 0
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=60.0)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._handle(self, "GET")

            def do_POST(self) -> None:
                proxy._handle(self, "POST")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def arm(self, fault: Fault, requests: int) -> None:
        """Inject ``fault`` into each of the next ``requests`` requests."""
        with self._lock:
            self._faults.extend([fault] * requests)

    def pending(self) -> int:
        with self._lock:
            return len(self._faults)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
            if fault is not None:
                self.injected[fault] += 1
        if fault == "down":
            handler.close_connection = True
            handler.connection.close()
            return
        if fault == "500":
            self._reply(handler, 500, b'{"error": "injected"}')
            return
        if fault == "malformed":
            self._reply(handler, 200, b'{"model_name": "x", "outputs": [{"name": ')
            return
        if fault == "slow":
            time.sleep(self.slow_s)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        response = self._http.request(method, self.upstream + handler.path, content=body, headers=headers)
        content = response.content
        if fault == "wrong-shape" and response.status_code == 200 and handler.path.endswith("/infer"):
            payload = json.loads(content)
            tensor = payload["outputs"][0]
            rows, columns = tensor["shape"]
            tensor["shape"] = [rows, columns - 1]
            tensor["data"] = tensor["data"][: rows * (columns - 1)]
            content = json.dumps(payload).encode()
        with self._lock:
            self.forwarded += 1
        self._reply(handler, response.status_code, content)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, content: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)
