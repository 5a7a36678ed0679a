"""CloudFormation's side of a custom resource: the request it sends, the HTTPS URL it reads answers from.

CloudFormation invokes the function with a request (``RequestType``, ``ResponseURL``, the resource's
properties, and on Update the old ones) and waits for the function to PUT a response document to the
presigned ``ResponseURL``. Here that URL is served over HTTPS on 127.0.0.1 with a certificate from a
throwaway CA, which the process trusts (``SSL_CERT_FILE``) for as long as the server runs, so the
function's verified TLS is exercised as in AWS.
"""

from __future__ import annotations

import json
import os
import ssl
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from support.rehearsal.stack import STACK_ID
from support.rehearsal.tls import Certificates, certificates


@dataclass
class ResponseEndpoint:
    """The HTTPS server the responses are PUT to; ``responses`` by request id."""

    base_url: str
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)

    def url_for(self, request_id: str) -> str:
        return f"{self.base_url}/cloudformation-response/{request_id}?X-Amz-Signature=test"


def resource_request(
    endpoint: ResponseEndpoint,
    request_type: str,
    *,
    logical_id: str,
    resource_type: str,
    properties: Mapping[str, Any],
    old_properties: Mapping[str, Any] | None = None,
    physical_id: str | None = None,
) -> dict[str, Any]:
    """The event CloudFormation sends a custom resource's ServiceToken function."""
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": properties["ServiceToken"],
        "ResponseURL": endpoint.url_for(request_id),
        "StackId": STACK_ID,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": dict(properties),
    }
    if old_properties is not None:
        event["OldResourceProperties"] = dict(old_properties)
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


@contextmanager
def response_endpoint(tls: Certificates | None = None) -> Iterator[ResponseEndpoint]:
    """Serve ``ResponseURL`` over verified HTTPS for the duration of the block, with ``tls`` (the run's
    CA, certificate and key; a CA of its own when not given), whose CA the process trusts meanwhile."""
    with tempfile.TemporaryDirectory(prefix="cfn-response-") as directory:
        ca_file, cert_file, key_file = tls or certificates(Path(directory))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        endpoint = ResponseEndpoint(base_url="")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(endpoint))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        endpoint.base_url = f"https://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        saved = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = str(ca_file)
        try:
            yield endpoint
        finally:
            if saved is None:
                os.environ.pop("SSL_CERT_FILE", None)
            else:
                os.environ["SSL_CERT_FILE"] = saved
            server.shutdown()
            server.server_close()


def _handler_for(endpoint: ResponseEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            request_id = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
            endpoint.responses[request_id] = body
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads the responses, not the access log."""

    return Handler
