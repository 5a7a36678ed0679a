"""The per-job key layout and the write guard of the object store (on moto S3)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from mediascribe.errors import (
    InvalidJobIdError,
    InvalidObjectKeyError,
    SourceObjectMissingError,
    StorageError,
)
from mediascribe.storage import JobKeys, MediaStore, upload_key

JOB = "5e5bf43a-895e-5e60-a69a-c91905330277"
OTHER_JOB = "2ec28a79-2f5c-5f0d-b4f9-dd079a5dfb0d"


def test_keys_live_under_one_prefix_per_job():
    keys = JobKeys("jobs/", JOB)
    assert keys.chunk(7) == f"jobs/{JOB}/chunks/00007.mp3"
    assert keys.chunk_result(7) == f"jobs/{JOB}/results/00007.json"
    assert keys.transcript("vtt") == f"jobs/{JOB}/transcript.vtt"
    assert keys.owns(keys.chunk(0))
    assert not keys.owns(f"jobs/{OTHER_JOB}/chunks/00000.mp3")
    assert not keys.owns(f"jobs/{JOB}/../{OTHER_JOB}/x")
    with pytest.raises(InvalidObjectKeyError):
        keys.transcript("exe")
    with pytest.raises(InvalidObjectKeyError):
        keys.chunk(-1)


def test_a_job_id_that_is_not_a_uuid_never_becomes_a_prefix():
    with pytest.raises(InvalidJobIdError):
        JobKeys("jobs/", "../../uploads")


@pytest.mark.parametrize(
    ("filename", "suffix"),
    [
        ("talk.mp3", "/talk.mp3"),
        ("../../etc/passwd", "/passwd"),
        ("/abs/My File.M4A", "/My File.m4a"),
        ("weird\u00e9 #1+2.webm", "/weird\u00e9 #1+2.webm"),
        ("no-extension", "/no-extension"),
    ],
)
def test_upload_keys_are_fresh_and_safe(filename, suffix):
    key = upload_key("uploads/", filename)
    assert key.startswith("uploads/")
    assert key.endswith(suffix)
    assert ".." not in key.split("/")
    assert upload_key("uploads/", filename) != key


def test_upload_key_refuses_control_characters():
    with pytest.raises(InvalidObjectKeyError):
        upload_key("uploads/", "bad\x00name.mp3")


@pytest.fixture
def store():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="media-bucket")
        client.put_object(Bucket="media-bucket", Key="uploads/source.mp3", Body=b"original")
        yield MediaStore(client, "media-bucket", "jobs/"), client


def test_writes_outside_the_job_prefix_are_refused(store, tmp_path):
    media_store, client = store
    keys = media_store.job_keys(JOB)
    with pytest.raises(InvalidObjectKeyError):
        media_store.put_text(keys, "uploads/source.mp3", "overwritten", "text/plain")
    with pytest.raises(InvalidObjectKeyError):
        media_store.put_json(keys, JobKeys("jobs/", OTHER_JOB).chunk_result(0), {})
    assert client.get_object(Bucket="media-bucket", Key="uploads/source.mp3")["Body"].read() == b"original"
    media_store.put_json(keys, keys.chunk_result(0), {"text": "ok"})
    assert media_store.get_json(keys, keys.chunk_result(0)) == {"text": "ok"}
    with pytest.raises(InvalidObjectKeyError):
        media_store.get_json(keys, "uploads/source.mp3")


def test_head_and_download_of_the_source(store, tmp_path):
    media_store, _ = store
    head = media_store.head("uploads/source.mp3")
    assert head.size_bytes == len(b"original")
    assert head.etag
    target = media_store.download("uploads/source.mp3", tmp_path / "copy")
    assert target.read_bytes() == b"original"
    with pytest.raises(SourceObjectMissingError):
        media_store.download("uploads/missing.mp3", tmp_path / "missing")
    with pytest.raises(SourceObjectMissingError):
        media_store.head("uploads/missing.mp3")


def test_deleting_is_confined_to_the_job_prefix(store):
    media_store, client = store
    keys = media_store.job_keys(JOB)
    media_store.put_json(keys, keys.chunk_result(0), {})
    media_store.put_json(keys, keys.chunk_result(1), {})
    with pytest.raises(InvalidObjectKeyError):
        media_store.delete_prefix(keys, "uploads/")
    assert media_store.delete_prefix(keys, keys.results_prefix) == 2
    assert not media_store.exists(keys, keys.chunk_result(0))
    assert client.get_object(Bucket="media-bucket", Key="uploads/source.mp3")["Body"].read() == b"original"


def test_objects_a_batch_delete_refused_are_an_error_not_a_silent_success():
    client = boto3.client("s3", region_name="us-east-1")
    media_store = MediaStore(client, "media-bucket", "jobs/")
    keys = media_store.job_keys(JOB)
    stale = keys.chunk_result(0)
    with Stubber(client) as stub:
        stub.add_response("list_objects_v2", {"Contents": [{"Key": stale}], "IsTruncated": False})
        stub.add_response(
            "delete_objects",
            {"Errors": [{"Key": stale, "Code": "AccessDenied", "Message": "Access Denied"}]},
        )
        with pytest.raises(StorageError, match="AccessDenied"):
            media_store.delete_prefix(keys, keys.results_prefix)


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        (lambda store, keys, tmp: store.head("uploads/a.mp3"), "head_object"),
        (lambda store, keys, tmp: store.download("uploads/a.mp3", tmp / "a.mp3"), "head_object"),
        (lambda store, keys, tmp: store.get_json(keys, keys.chunk_result(0)), "get_object"),
    ],
    ids=["head", "download", "get_json"],
)
def test_objects_other_client_errors_propagate_as_they_are(tmp_path, call, operation):
    """An error that is not "missing" is re-raised unchanged, not chained to itself as its own cause."""
    client = boto3.client("s3", region_name="us-east-1")
    media_store = MediaStore(client, "media-bucket", "jobs/")
    with Stubber(client) as stub:
        stub.add_client_error(operation, service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(ClientError) as caught:
            call(media_store, media_store.job_keys(JOB), tmp_path)
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.__cause__ is None


def test_objects_a_missing_object_is_source_missing_caused_by_the_client_error():
    client = boto3.client("s3", region_name="us-east-1")
    media_store = MediaStore(client, "media-bucket", "jobs/")
    with Stubber(client) as stub:
        stub.add_client_error("head_object", service_error_code="404", http_status_code=404)
        with pytest.raises(SourceObjectMissingError) as caught:
            media_store.head("uploads/gone.mp3")
    assert isinstance(caught.value.__cause__, ClientError)
