"""moto in server mode on loopback, with an optional WSGI layer in front to make AWS fail.

Every boto3 client the CLI creates reaches it through AWS_ENDPOINT_URL, so a command runs as in
production, over HTTP. The backends are process-wide: the server is reset when it starts.
"""

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
Middleware = Callable[[WsgiApp], WsgiApp]


@contextmanager
def moto_server(
    monkeypatch: pytest.MonkeyPatch, middleware: Middleware | None = None
) -> Iterator[str]:
    """Serve moto on 127.0.0.1 (behind `middleware`), point boto3 at it; yields the endpoint."""
    # One log line per request would drown a failing test's output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app: WsgiApp = DomainDispatcherApplication(create_backend_app)
    if middleware is not None:
        app = middleware(app)
    server = make_server("127.0.0.1", 0, app, True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for name, value in {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
        yield endpoint
    finally:
        server.shutdown()
        thread.join()


def failing_call(
    target: str, nth: int, code: str = "ConcurrentModificationException"
) -> Middleware:
    """A layer that answers the `nth` call of an Organizations operation with an AWS error."""

    def wrap(app: WsgiApp) -> WsgiApp:
        seen = 0

        def layer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            nonlocal seen
            if environ.get("HTTP_X_AMZ_TARGET") == f"AWSOrganizationsV20161128.{target}":
                seen += 1
                if seen == nth:
                    error = {"__type": code, "Message": f"injected failure of {target} #{nth}"}
                    body = json.dumps(error).encode()
                    start_response(
                        "400 Bad Request",
                        [
                            ("Content-Type", "application/x-amz-json-1.1"),
                            ("Content-Length", str(len(body))),
                        ],
                    )
                    return [body]
            return app(environ, start_response)

        return layer

    return wrap
