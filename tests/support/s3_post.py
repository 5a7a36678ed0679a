"""What S3 does with a browser-style POST upload: parse the form, verify the policy, or refuse it.

S3 accepts a POST only when the policy's SigV4 signature verifies, the policy has not expired, every
form field is covered by a condition and every condition holds, with ``content-length-range``
bounding the file's size. Refusals use S3's codes, status codes and messages, so a client sees here
what it would see from S3.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import cast

from botocore.auth import S3SigV4PostAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# Fields S3 never expects a policy condition for.
_UNCONDITIONED = {"policy", "x-amz-signature", "file"}


@dataclass
class S3Refusal(Exception):
    status: int
    code: str
    message: str

    def xml(self) -> bytes:
        return f"<Error><Code>{self.code}</Code><Message>{self.message}</Message></Error>".encode()


@dataclass(frozen=True)
class PostUpload:
    key: str
    body: bytes


def accept_post(
    content_type: str, body: bytes, *, bucket: str, credentials: Iterable[Credentials], region: str
) -> PostUpload:
    """The upload a POST form carries, if S3 would store it; raises S3Refusal otherwise.

    ``credentials`` are the keys this S3 knows; the form names the one that signed it.
    """
    fields, file_body = _parse_form(content_type, body)
    policy_b64 = fields.get("policy", "")
    _verify_signature(fields, policy_b64, credentials, region)
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise S3Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from exc
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    if expiration <= datetime.now(UTC):
        raise S3Refusal(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    values = {**fields, "bucket": bucket}
    covered = set()
    for condition in policy["conditions"]:
        covered |= _check_condition(condition, values, len(file_body))
    extra = sorted(
        name for name in fields if name not in covered | _UNCONDITIONED and not name.startswith("x-ignore-")
    )
    if extra:
        raise S3Refusal(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {extra[0]}")
    return PostUpload(key=fields["key"], body=file_body)


def _parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], bytes]:
    """Form fields before the file, and the file; S3 ignores fields after the file."""
    if not content_type.startswith("multipart/form-data"):
        raise S3Refusal(
            412, "PreconditionFailed", "Bucket POST must be of the enclosure-type multipart/form-data"
        )
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        # Decoded, a part's payload is its bytes.
        payload = cast(bytes | None, part.get_payload(decode=True)) or b""
        if name == "file":
            return fields, payload
        fields[str(name).lower()] = payload.decode("utf-8")
    raise S3Refusal(400, "InvalidArgument", "POST requires exactly one file upload per request.")


def _verify_signature(
    fields: dict[str, str], policy_b64: str, known: Iterable[Credentials], region: str
) -> None:
    if not policy_b64 or "x-amz-signature" not in fields:
        raise S3Refusal(403, "AccessDenied", "Access Denied")
    access_key = fields.get("x-amz-credential", "").split("/", 1)[0]
    credentials = next((c for c in known if c.access_key == access_key), None)
    if credentials is None:
        raise S3Refusal(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    request = AWSRequest()
    request.context["timestamp"] = fields.get("x-amz-date", "")
    expected = S3SigV4PostAuth(credentials, "s3", region).signature(policy_b64, request)
    if not hmac.compare_digest(expected, fields["x-amz-signature"]):
        raise S3Refusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )


def _check_condition(condition: object, values: dict[str, str], size: int) -> set[str]:
    """The field names a condition covers; raises S3Refusal when it does not hold."""
    if isinstance(condition, dict):
        ((name, expected),) = condition.items()
        name = name.lower()
        if values.get(name) != expected:
            _policy_failed(["eq", f"${name}", expected])
        return {name}
    assert isinstance(condition, list)
    operator = str(condition[0]).lower()
    if operator == "content-length-range":
        low, high = int(condition[1]), int(condition[2])
        if size > high:
            raise S3Refusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        if size < low:
            raise S3Refusal(
                400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
            )
        return set()
    name = str(condition[1]).removeprefix("$").lower()
    actual = values.get(name, "")
    holds = actual == condition[2] if operator == "eq" else actual.startswith(str(condition[2]))
    if operator not in ("eq", "starts-with") or not holds:
        _policy_failed(condition)
    return {name}


def _policy_failed(condition: object) -> None:
    raise S3Refusal(
        403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
    )
