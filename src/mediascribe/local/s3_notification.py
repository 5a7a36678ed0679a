"""The event S3 sends when an object is created, as a local run delivers it to the start function.

The shape is S3's event message structure (version 2.1), whose ``s3.object.key`` is URL-encoded:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any


def object_created(bucket: str, key: str, head: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The ``ObjectCreated:Put`` notification of ``key``; ``head`` is its HeadObject answer."""
    s3_object: dict[str, Any] = {
        "key": urllib.parse.quote_plus(key, safe="/"),
        "size": head["ContentLength"],
        "eTag": head["ETag"].strip('"'),
        "sequencer": "0",
    }
    if head.get("VersionId"):
        s3_object["versionId"] = head["VersionId"]
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": s3_object,
                },
            }
        ]
    }
