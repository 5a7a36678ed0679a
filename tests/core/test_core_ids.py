import uuid

import pytest

from mediascribe.errors import InvalidJobIdError, InvalidObjectKeyError
from mediascribe.ids import job_id_for_object, safe_basename, validate_job_id, validate_object_key


def test_job_id_is_canonicalised():
    raw = str(uuid.uuid4()).upper()
    assert validate_job_id(f"  {raw} ") == raw.lower()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not-a-uuid",
        "../" + str(uuid.uuid4()),
        str(uuid.uuid4()) + "/..",
        "1; DROP TABLE assets",
        None,
        42,
    ],
)
def test_malformed_job_ids_are_rejected(value):
    with pytest.raises(InvalidJobIdError):
        validate_job_id(value)


def test_job_id_is_stable_per_object_and_version():
    first = job_id_for_object("media-bucket", "uploads/a.mp3", "etag-1")
    assert first == job_id_for_object("media-bucket", "uploads/a.mp3", "etag-1")
    assert first != job_id_for_object("media-bucket", "uploads/a.mp3", "etag-2")
    assert first != job_id_for_object("media-bucket", "uploads/b.mp3", "etag-1")
    assert validate_job_id(first) == first


@pytest.mark.parametrize("key", ["", "a\x00b", "line\nbreak", "tab\there", "x" * 1025])
def test_keys_with_control_characters_or_too_long_are_rejected(key):
    with pytest.raises(InvalidObjectKeyError):
        validate_object_key(key)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("uploads/meeting notes.mp3", "meeting notes"),
        ("../../etc/passwd", "passwd"),
        ("/abs/path/clip.final.m4a", "clip.final"),
        ("..", "media"),
        ("...", "media"),
        ("a\\b\\c.wav", "c"),
        ("Ünïcode “quoted” #1+2%20.mp3", "Ünïcode _quoted_ #1+2_20"),
        ("noextension", "noextension"),
    ],
)
def test_safe_basename_stays_inside_one_directory(name, expected):
    result = safe_basename(name)
    assert result == expected
    assert "/" not in result and "\\" not in result and ".." not in result


def test_safe_basename_bounds_length():
    assert len(safe_basename("n" * 5000 + ".mp3")) <= 120
