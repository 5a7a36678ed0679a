"""Reaching the real Amazon Transcribe and Amazon Bedrock from a local run.

A local run keeps its bucket, Lambdas and state machine in moto, under stand-in credentials, so the
real services can neither read the run's chunks nor accept its keys. The chunks therefore travel
inline in each request (every chunk is under the 25 MiB limit), and the clients of those services sign
with a named profile of the user's own AWS configuration: static keys, SSO, a role to assume or a
credential process. It is checked here before the run starts, so a missing login fails in a second,
not per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ProfileNotFound

from mediascribe.errors import ConfigurationError

DEFAULT_PROFILE = "default"
# What a run calls for real, by moto's name for the service; STS too, for profiles that assume a role.
TRANSCRIBE = "transcribe"
BEDROCK = "bedrockruntime"
SERVICE_NAMES = {TRANSCRIBE: "Amazon Transcribe", BEDROCK: "Amazon Bedrock"}


@dataclass(frozen=True)
class ServiceAccess:
    """The profile and Region the real services' clients use (never the credentials themselves)."""

    profile: str
    region: str

    def environment(self) -> dict[str, str]:
        return {"MEDIASCRIBE_AWS_PROFILE": self.profile, "MEDIASCRIBE_AWS_REGION": self.region}


def real_services(environ: Mapping[str, str]) -> list[str]:
    """The services a run with ``environ`` calls for real: an engine or notes provider on AWS whose
    endpoint no variable points elsewhere (at a stand-in)."""
    services = []
    if environ.get("TRANSCRIPTION_ENGINE") == "amazon" and not environ.get("AWS_ENDPOINT_URL_TRANSCRIBE"):
        services.append(TRANSCRIBE)
    if environ.get("NOTES_PROVIDER") == "bedrock" and not environ.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        services.append(BEDROCK)
    return services


def resolve_access(environ: Mapping[str, str], *, profile: str | None, region: str | None) -> ServiceAccess:
    """The profile (``profile``, else ``MEDIASCRIBE_AWS_PROFILE``, ``AWS_PROFILE``, ``default``) and
    Region (``region``, else ``MEDIASCRIBE_AWS_REGION``, else the profile's), once the profile's
    credentials have been loaded; a ``ConfigurationError`` that says what to do otherwise."""
    import boto3

    name = profile or environ.get("MEDIASCRIBE_AWS_PROFILE") or environ.get("AWS_PROFILE") or DEFAULT_PROFILE
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
    chosen = region or environ.get("MEDIASCRIBE_AWS_REGION") or session.region_name
    if not chosen:
        raise ConfigurationError(
            f"the AWS services need a Region: pass --aws-region, or set `region` in profile {name!r}"
        )
    return ServiceAccess(profile=name, region=chosen)


def _no_profile(name: str, environ: Mapping[str, str]) -> str:
    message = f"no AWS profile named {name!r}: name one with --aws-profile (or AWS_PROFILE)"
    if environ.get("AWS_ACCESS_KEY_ID"):
        message += (
            "; access keys in environment variables are not passed into a local run, "
            "whose other calls go to its stand-in AWS"
        )
    return message
