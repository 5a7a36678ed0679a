"""Clients for the AWS services mediascribe calls by name (Amazon Transcribe, Amazon Bedrock).

In Lambda they use the function's role and Region. A named profile and Region (``MEDIASCRIBE_AWS_PROFILE``
and ``MEDIASCRIBE_AWS_REGION``) replace them where the process's own credentials are not the
user's: a local run, whose other calls go to its stand-in AWS under stand-in keys.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import NoRegionError, ProfileNotFound

from mediascribe.errors import ConfigurationError


def service_client(service: str, *, profile: str | None, region: str | None, config: Config) -> Any:
    """A client of ``service``; a named profile brings its own credentials, never the process's."""
    import boto3

    try:
        return boto3.Session(profile_name=profile, region_name=region).client(service, config=config)
    except ProfileNotFound:
        raise ConfigurationError(f"MEDIASCRIBE_AWS_PROFILE: no AWS profile named {profile!r}") from None
    except NoRegionError:
        raise ConfigurationError(
            f"{service} needs a Region: set MEDIASCRIBE_AWS_REGION or AWS_REGION"
        ) from None
