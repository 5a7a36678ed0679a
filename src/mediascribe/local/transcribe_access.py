"""Reaching the real Amazon Transcribe from a local run.

A local run keeps its bucket, Lambdas and state machine in moto, under stand-in credentials, so the
real service can neither read the run's chunks nor accept its keys. The chunks therefore travel inline
in each request (every chunk is under the 25 MiB limit), and the Transcribe client signs with a named
profile of the user's own AWS configuration: static keys, SSO, a role to assume or a credential
process, checked here before the run starts so a missing login fails in a second, not per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ProfileNotFound

from mediascribe.errors import ConfigurationError

DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class TranscribeAccess:
    """The profile and Region the run's Transcribe client uses (never the credentials themselves)."""

    profile: str
    region: str

    def environment(self) -> dict[str, str]:
        return {"TRANSCRIPTION_AWS_PROFILE": self.profile, "TRANSCRIPTION_AWS_REGION": self.region}


def uses_real_transcribe(environ: Mapping[str, str]) -> bool:
    """The amazon engine with no other endpoint named: the run calls the real service."""
    return environ.get("TRANSCRIPTION_ENGINE") == "amazon" and not environ.get("AWS_ENDPOINT_URL_TRANSCRIBE")


def resolve_access(
    environ: Mapping[str, str], *, profile: str | None, region: str | None
) -> TranscribeAccess:
    """The profile (``profile``, else ``TRANSCRIPTION_AWS_PROFILE``, ``AWS_PROFILE``, ``default``) and
    Region (``region``, else ``TRANSCRIPTION_AWS_REGION``, else the profile's), once its credentials
    have been resolved; a ``ConfigurationError`` that says what to do otherwise."""
    import boto3

    name = (
        profile or environ.get("TRANSCRIPTION_AWS_PROFILE") or environ.get("AWS_PROFILE") or DEFAULT_PROFILE
    )
    try:
        session = boto3.Session(profile_name=name)
    except ProfileNotFound:
        raise ConfigurationError(_no_profile(name, environ)) from None
    try:
        credentials = session.get_credentials()
        if credentials is not None:
            credentials.get_frozen_credentials()
    except BotoCoreError as exc:
        raise ConfigurationError(
            f"AWS profile {name!r}: its credentials could not be loaded: {exc}"
        ) from None
    if credentials is None:
        raise ConfigurationError(
            f"AWS profile {name!r} has no credentials: run `aws configure --profile {name}` "
            f"(or `aws sso login --profile {name}`)"
        )
    chosen = region or environ.get("TRANSCRIPTION_AWS_REGION") or session.region_name
    if not chosen:
        raise ConfigurationError(
            f"Amazon Transcribe needs a Region: pass --aws-region, or set `region` in profile {name!r}"
        )
    return TranscribeAccess(profile=name, region=chosen)


def _no_profile(name: str, environ: Mapping[str, str]) -> str:
    message = f"no AWS profile named {name!r}: name one with --aws-profile (or AWS_PROFILE)"
    if environ.get("AWS_ACCESS_KEY_ID"):
        message += (
            "; access keys in environment variables are not passed into a local run, "
            "whose other calls go to its stand-in AWS"
        )
    return message
