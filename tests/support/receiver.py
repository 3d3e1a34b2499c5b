"""A real HTTP server that receives webhooks, as a merchant's back end would: it records every request and answers
as each path is told to (a list of statuses to give in turn, optionally holding each answer until released)."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    answered: int | None = None


@dataclass
class Script:
    statuses: list[int] = field(default_factory=list)  # given in turn; 200 once they run out
    hold: threading.Event | None = None  # set: answer; unset: keep the request waiting
    redirect_to: str | None = None


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.scripts: dict[str, Script] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server interface
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver.lock:
                    receiver.requests.append(received)
                    script = receiver.scripts.setdefault(self.path, Script())
                    status = script.statuses.pop(0) if script.statuses else 200
                if script.hold is not None:
                    script.hold.wait(timeout=60)
                received.answered = status
                self.send_response(status)
                if script.redirect_to:
                    self.send_header("Location", script.redirect_to)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.server_port}{path}"

    def script(self, path: str, **how) -> Script:
        with self.lock:
            self.scripts[path] = Script(**how)
            return self.scripts[path]

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [received for received in self.requests if received.path == path]

    def wait_for(self, path: str, count: int, *, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.at(path)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: {len(self.at(path))} request(s), not {count}, within {timeout} s")
            time.sleep(0.05)
        return self.at(path)

    def stop(self) -> None:
        for script in self.scripts.values():
            if script.hold is not None:
                script.hold.set()
        self.server.shutdown()
        self.server.server_close()
