"""AWS profiles in a throwaway configuration, as a user's ``~/.aws`` holds them.

A profile may route services to stand-ins through botocore's ``services`` section, so a test reaches
them exactly as a real run reaches the services: by profile, with no endpoint variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

PROFILE_KEY_ID = "AKIAPROFILEEXAMPLE01"


def write_profile(
    folder: Path,
    name: str,
    *,
    region: str | None = None,
    credentials: bool = True,
    endpoints: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Write profile ``name``; returns the variables that make botocore read this configuration.

    ``endpoints`` maps botocore's key of a service (``transcribe``, ``bedrock_runtime``) to a stand-in.
    """
    config = [f"[profile {name}]" if name != "default" else "[default]"]
    if region:
        config.append(f"region = {region}")
    if endpoints:
        config += ["services = stand-ins", "", "[services stand-ins]"]
        for service, url in endpoints.items():
            config += [f"{service} =", f"  endpoint_url = {url}"]
    secrets = [f"[{name}]", f"aws_access_key_id = {PROFILE_KEY_ID}", "aws_secret_access_key = profile-secret"]
    (folder / "config").write_text("\n".join(config) + "\n")
    (folder / "credentials").write_text("\n".join(secrets) + "\n" if credentials else "")
    return {
        "AWS_CONFIG_FILE": str(folder / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "credentials"),
        # A profile without keys must not wait for an instance's metadata service.
        "AWS_EC2_METADATA_DISABLED": "true",
    }
