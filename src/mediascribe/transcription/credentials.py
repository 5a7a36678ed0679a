"""The OpenAI API key: from settings locally, from Secrets Manager or SSM Parameter Store in AWS.

Powertools parameters caches the value for ``KEY_CACHE_SECONDS`` so a warm function does not call
AWS per chunk, while a rotated key is picked up within minutes. The key is never logged: errors name
the secret reference only.
"""

from __future__ import annotations

import json
import logging

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError

logger = logging.getLogger(__name__)

KEY_CACHE_SECONDS = 300
JSON_KEY_FIELDS = ("api_key", "OPENAI_API_KEY")


def resolve_openai_api_key(settings: Settings) -> str | None:
    """``settings.openai_api_key`` if set, else the secret named by ``openai_api_key_secret``
    (a Secrets Manager ARN, or an SSM parameter name), else ``None`` (the offline engine)."""
    if settings.openai_api_key:
        return settings.openai_api_key
    reference = settings.openai_api_key_secret
    if not reference:
        return None
    try:
        if _is_secrets_manager_arn(reference):
            raw = parameters.get_secret(reference, max_age=KEY_CACHE_SECONDS)
        else:
            raw = parameters.get_parameter(reference, decrypt=True, max_age=KEY_CACHE_SECONDS)
    except GetParameterError as exc:
        raise ConfigurationError(f"cannot read the OpenAI API key from {reference}: {exc}") from exc
    logger.debug("OpenAI API key resolved", extra={"secret": reference})
    return _extract_key(raw, reference)


def _is_secrets_manager_arn(reference: str) -> bool:
    return reference.startswith("arn:") and reference.split(":")[2:3] == ["secretsmanager"]


def _extract_key(raw: object, reference: str) -> str:
    """Accept the key as the whole secret string or as a field of a JSON secret."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    text = str(raw or "").strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"secret {reference} looks like JSON but does not parse") from exc
        values = [document.get(name) for name in JSON_KEY_FIELDS]
        text = next((str(v).strip() for v in values if isinstance(v, str) and v.strip()), "")
        if not text:
            raise ConfigurationError(
                f"secret {reference} has none of the fields {', '.join(JSON_KEY_FIELDS)}"
            )
    if not text:
        raise ConfigurationError(f"secret {reference} is empty")
    return text
