"""A data mirror for the tests: a folder served over HTTP on 127.0.0.1, as
``GANBOOK_MIRROR`` expects, optionally misbehaving as real networks do. Shared by the
download, Colab and WikiText-2 tests."""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from helpers import config

SOURCE = config.data_root()  # the data the tests serve (CI: ../shared/data)


class _Handler(SimpleHTTPRequestHandler):
    """Serves a folder; ``mode`` makes it misbehave as real networks do."""

    mode = (
        "good"  # or "truncated" (half the bytes, then the connection drops), "corrupt"
    )

    def log_message(self, *args) -> None:
        pass

    def copyfile(self, source, outputfile) -> None:
        body = source.read()
        if self.mode == "truncated":
            outputfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        if self.mode == "corrupt":
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        outputfile.write(body)


@contextmanager
def mirror(folder: Path, mode: str = "good"):
    """``folder`` served on 127.0.0.1; yields the base URL and the paths asked for."""
    requested: list[str] = []

    class Handler(_Handler):
        def do_GET(self) -> None:
            requested.append(self.path)
            super().do_GET()

    Handler.mode = mode
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()
