"""A local stand-in for the deployed jobs API: API Gateway (IAM auth) in front of the local workflow.

A stdlib HTTP server on 127.0.0.1 that does what API Gateway and S3 do for a caller of the stack:

- checks each API request's SigV4 signature (service ``execute-api``) by recomputing it with botocore
  from the caller's credentials, its ``X-Amz-Date`` and its signed headers, and answers 403 with
  API Gateway's messages otherwise;
- turns a signed request into the REST proxy event (``requestContext.identity.userArn`` is the
  principal of those credentials) and invokes ``JobsApiFunction`` through the local workflow;
- serves the presigned POST uploads the API hands out. In AWS those go to S3; here the stand-in
  rewrites their URL to itself, checks the form as S3 does (``support.s3_post``: signature, expiry,
  conditions, the size range), stores the file in moto's S3 under the policy's key, and delivers the
  ObjectCreated event to StartJob as S3 would. A following POST {"key"} then finds that job.

    with make_workflow() as workflow, ApiGatewayStandIn(workflow, CREDENTIALS, ALICE) as api:
        main(["submit", "talk.mp3", "--api", api.base_url, "--wait"])
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from mediascribe.local.workflow import REGION, LocalWorkflow
from support.s3_post import S3Refusal, accept_post

STAGE = "v1"
# While moto is active it gives the process these credentials (moto's documented fake keys); the
# jobs function's S3 client signs upload policies with them.
MOTO_CREDENTIALS = Credentials("FOOBARKEY", "FOOBARSECRET")
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, SignedHeaders=(?P<headers>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


@contextmanager
def caller_environment(
    monkeypatch: pytest.MonkeyPatch, credentials: Credentials
) -> Iterator[pytest.MonkeyPatch]:
    """The API caller's keys and Region in the environment, as the CLI and boto3 find them, and no
    configured API URL; everything is restored on exit."""
    with monkeypatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
        env.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.delenv("MEDIASCRIBE_API_URL", raising=False)
        yield env


class ApiGatewayStandIn:
    """Context manager serving ``base_url`` (``http://127.0.0.1:<port>/v1/``) for one principal."""

    def __init__(self, workflow: LocalWorkflow, credentials: Credentials, principal_arn: str) -> None:
        self.workflow = workflow
        self.credentials = credentials
        self.principal_arn = principal_arn
        self.issued_upload_keys: set[str] = set()
        self.refused: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/{STAGE}/"

    def __enter__(self) -> ApiGatewayStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # --- API Gateway -------------------------------------------------------------------------------

    def signature_problem(self, method: str, url: str, headers: dict[str, str], body: bytes) -> str | None:
        """None when the request is signed by our credentials, else API Gateway's reason to refuse it."""
        match = _AUTHORIZATION.match(headers.get("authorization", ""))
        if not match:
            return "Missing Authentication Token"
        if match["key"] != self.credentials.access_key:
            return "The security token included in the request is invalid."
        if (match["region"], match["service"]) != (REGION, "execute-api"):
            return f"Credential should be scoped to a valid region and execute-api, not {match['region']}"
        timestamp = headers.get("x-amz-date", "")
        if not timestamp.startswith(match["date"]):
            return "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"
        signed_names = match["headers"].split(";")
        if "host" not in signed_names or any(name not in headers for name in signed_names):
            return MISMATCH
        if self.credentials.token and headers.get("x-amz-security-token") != self.credentials.token:
            return "The security token included in the request is invalid."
        request = AWSRequest(
            method=method, url=url, data=body, headers={name: headers[name] for name in signed_names}
        )
        request.context["timestamp"] = timestamp
        signer = SigV4Auth(self.credentials, "execute-api", REGION)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return None if hmac.compare_digest(expected, match["signature"]) else MISMATCH

    def invoke_api(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        payload, error = self.workflow.invoke(
            "JobsApiFunction", proxy_event(method, path, query, headers, body, self.principal_arn)
        )
        if error:
            return 502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
        response_body = payload.get("body") or ""
        if method == "POST" and path == "/jobs" and payload["statusCode"] == 201:
            response_body = self._rewrite_upload_url(response_body)
        return payload["statusCode"], dict(payload.get("headers") or {}), response_body.encode("utf-8")

    def _rewrite_upload_url(self, body: str) -> str:
        """Point the upload form at this server, after checking it names the workflow's bucket."""
        document = json.loads(body)
        url = urllib.parse.urlsplit(document["upload_url"])
        assert self.workflow.options.bucket in (url.hostname or "") + url.path, document["upload_url"]
        document["upload_url"] = f"{self.origin}/__s3__/"
        self.issued_upload_keys.add(document["key"])
        return json.dumps(document)

    # --- S3 ------------------------------------------------------------------------------------------

    def store_upload(self, content_type: str, body: bytes) -> tuple[int, bytes]:
        """Store a POST form's file as S3 would: only what its signed policy allows."""
        bucket = self.workflow.options.bucket
        known = [self.credentials, MOTO_CREDENTIALS]
        try:
            upload = accept_post(
                content_type,
                body,
                bucket=bucket,
                credentials=known,
                region=REGION,
            )
        except S3Refusal as refusal:
            self.refused.append(refusal.code)
            return refusal.status, refusal.xml()
        self.workflow.client("s3").put_object(Bucket=bucket, Key=upload.key, Body=upload.body)
        self.workflow.deliver_upload_event(upload.key)
        return 204, b""


def proxy_event(
    method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes, caller: str | None
) -> dict[str, Any]:
    """The REST API proxy event API Gateway sends the jobs function for an IAM-authorised request
    (``caller`` None: a request context without an IAM identity)."""
    parts = path.strip("/").split("/")
    resource = "/".join(["", "jobs", *(["{job_id}"] if len(parts) > 1 else []), *parts[2:]])
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} or None,
        "pathParameters": {"job_id": parts[1]} if len(parts) > 1 else None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": "stand-in-request",
            "identity": {"sourceIp": "127.0.0.1", **({"userArn": caller} if caller else {})},
        },
        "body": body.decode("utf-8") if body else None,
        "isBase64Encoded": False,
    }


def _handler_class(gateway: ApiGatewayStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            url = urllib.parse.urlsplit(self.path)
            if self.command == "POST" and url.path == "/__s3__/":
                status, reply = gateway.store_upload(self.headers.get("Content-Type", ""), body)
                self._reply(status, {"Content-Type": "application/xml"}, reply)
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            problem = gateway.signature_problem(self.command, gateway.origin + self.path, headers, body)
            if problem is not None:
                gateway.refused.append(problem)
                self._reply(
                    403, {"Content-Type": "application/json"}, json.dumps({"message": problem}).encode()
                )
                return
            if not url.path.startswith(f"/{STAGE}/"):
                self._reply(403, {"Content-Type": "application/json"}, b'{"message": "Forbidden"}')
                return
            query = dict(urllib.parse.parse_qsl(url.query))
            status, reply_headers, reply = gateway.invoke_api(
                self.command, url.path.removeprefix(f"/{STAGE}"), query, headers, body
            )
            self._reply(status, reply_headers, reply)

        def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(HTTPStatus(status))
            for name, value in headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
