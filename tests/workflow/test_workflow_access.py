"""Who owns what through the API: principals, their upload folders and the admin list."""

from __future__ import annotations

import re

import pytest

from mediascribe.config import Settings
from mediascribe.errors import AccessDeniedError, ConfigurationError
from mediascribe.workflow.access import (
    caller_from,
    ensure_may_submit,
    may_read,
    namespace_of,
    normalise_principal,
)

ROLE = "arn:aws:iam::123456789012:role/editor"
USER = "arn:aws:iam::123456789012:user/alice"
ADMIN = "arn:aws:iam::123456789012:role/operator"
SETTINGS = Settings(api_admin_principals=(ADMIN,))


@pytest.mark.parametrize(
    ("identity", "principal"),
    [
        ("arn:aws:sts::123456789012:assumed-role/editor/session-1", ROLE),
        ("arn:aws:sts::123456789012:assumed-role/editor/alice@example.com", ROLE),
        (ROLE, ROLE),
        ("arn:aws:iam::123456789012:role/teams/media/editor", ROLE),
        (USER, USER),
        ("arn:aws:iam::123456789012:user/staff/alice", USER),
        ("arn:aws-cn:sts::123456789012:assumed-role/editor/s", "arn:aws-cn:iam::123456789012:role/editor"),
        ("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"),
        ("arn:aws:sts::123456789012:federated-user/bob", "arn:aws:sts::123456789012:federated-user/bob"),
    ],
)
def test_every_session_and_path_of_a_role_or_user_is_one_principal(identity: str, principal: str) -> None:
    assert normalise_principal(identity) == principal


@pytest.mark.parametrize(
    "identity",
    [None, "", "anonymous", "arn:aws:s3:::bucket", "arn:aws:iam::12345:role/short-account", "role/editor"],
)
def test_a_request_without_an_iam_identity_is_refused(identity: str | None) -> None:
    with pytest.raises(AccessDeniedError):
        caller_from(identity, SETTINGS)


def test_namespaces_are_stable_short_distinct_and_do_not_spell_out_the_principal() -> None:
    one = caller_from("arn:aws:sts::123456789012:assumed-role/editor/session-1", SETTINGS)
    other_session = caller_from("arn:aws:sts::123456789012:assumed-role/editor/session-2", SETTINGS)
    assert one == other_session
    assert re.fullmatch(r"uploads/u-[0-9a-f]{20}/", one.namespace_prefix)
    assert one.namespace_prefix == f"uploads/{namespace_of(ROLE)}/"
    assert "editor" not in one.namespace_prefix and "123456789012" not in one.namespace_prefix
    others = [
        USER,
        ADMIN,
        "arn:aws:iam::210987654321:role/editor",
        "arn:aws-cn:iam::123456789012:role/editor",
    ]
    prefixes = {caller_from(arn, SETTINGS).namespace_prefix for arn in [ROLE, *others]}
    assert len(prefixes) == 5
    assert caller_from(ROLE, Settings(upload_prefix="in/")).namespace_prefix.startswith("in/u-")


def test_callers_read_and_submit_only_inside_their_own_folder() -> None:
    caller = caller_from(ROLE, SETTINGS)
    mine = caller.namespace_prefix
    assert not caller.is_admin
    assert may_read(caller, f"{mine}a1/talk.mp4")
    ensure_may_submit(caller, f"{mine}a1/talk.mp4")
    refused = [
        "uploads/talk.mp4",  # dropped into the bucket outside any folder
        mine.rstrip("/"),  # the folder's name is not inside it
        f"{mine.rstrip('/')}0/talk.mp4",  # a longer namespace sharing the prefix
        f"{mine[:-5]}/talk.mp4",  # a shorter one
        f"{mine}../{namespace_of(USER)}/talk.mp4",  # climbing out
        f"{mine}a/../../other/talk.mp4",
        f"{caller_from(USER, SETTINGS).namespace_prefix}talk.mp4",  # someone else's
        f"jobs/{mine}talk.mp4",
        f"/{mine}talk.mp4",
    ]
    for key in refused:
        assert not may_read(caller, key), key
        with pytest.raises(AccessDeniedError):
            ensure_may_submit(caller, key)


def test_admins_read_and_submit_everything_whichever_session_they_use() -> None:
    admin = caller_from("arn:aws:sts::123456789012:assumed-role/operator/night-shift", SETTINGS)
    assert admin.is_admin and admin.principal == ADMIN
    for key in ["uploads/talk.mp4", f"uploads/{namespace_of(ROLE)}/a/talk.mp4", "elsewhere/x.mp3"]:
        assert may_read(admin, key)
        ensure_may_submit(admin, key)
    assert not caller_from(ROLE, SETTINGS).is_admin
    assert not caller_from(ADMIN, Settings()).is_admin  # secure default: nobody is an admin


def test_admin_principals_are_read_from_a_comma_separated_variable() -> None:
    settings = Settings.from_env({"API_ADMIN_PRINCIPALS": f" {ADMIN} ,{USER},"})
    assert settings.api_admin_principals == (ADMIN, USER)
    assert Settings.from_env({}).api_admin_principals == ()
    assert caller_from(USER, settings).is_admin


@pytest.mark.parametrize(
    "value", ["*", "arn:aws:iam::123456789012:role/*", "editor", "arn:aws:iam::*:root", "arn:aws:s3:::b"]
)
def test_admin_principals_must_be_whole_arns_not_patterns(value: str) -> None:
    with pytest.raises(ConfigurationError):
        Settings.from_env({"API_ADMIN_PRINCIPALS": value})
