"""Who may see and submit which jobs through the API, without storing an owner anywhere.

Ownership follows from the source key: every API caller has a namespace ``<UPLOAD_PREFIX><ns>/``
derived from its IAM principal, the API hands out upload URLs only inside it, and a job is the
caller's when its source key lies inside it. Admin principals (operators) see and submit everything,
including uploads dropped straight into the bucket. S3-triggered jobs do not pass through here.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from mediascribe.config import Settings
from mediascribe.errors import AccessDeniedError, JobNotFoundError
from mediascribe.jobs.models import Job

# Every session of a role is the same owner: arn:aws:sts::ACCT:assumed-role/ROLE/SESSION.
_ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]*):sts::([0-9]{12}):assumed-role/([^/]+)/[^/]+$")
# Role and user names are unique per account whatever their path, and an assumed-role ARN carries no
# path, so the path is dropped to make both spellings of a role one principal.
_IAM_ENTITY = re.compile(r"^arn:(aws[a-z-]*):iam::([0-9]{12}):(role|user)/(?:[^/]+/)*([^/]+)$")
_ANY_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:\S+$")
NAMESPACE_HEX_CHARS = 20

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """An authenticated API caller: its normalised principal and the key prefix it owns."""

    principal: str
    namespace_prefix: str
    is_admin: bool


def normalise_principal(arn: str) -> str:
    """The owner an IAM identity ARN stands for; anything that is not an IAM/STS ARN is refused."""
    if match := _ASSUMED_ROLE.match(arn):
        partition, account, role = match.groups()
        return f"arn:{partition}:iam::{account}:role/{role}"
    if match := _IAM_ENTITY.match(arn):
        partition, account, kind, name = match.groups()
        return f"arn:{partition}:iam::{account}:{kind}/{name}"
    if _ANY_PRINCIPAL.match(arn):
        return arn
    raise AccessDeniedError("the request's identity is not an IAM principal")


def namespace_of(principal: str) -> str:
    """A short folder name for a principal that is stable but does not spell out account or role."""
    return "u-" + hashlib.sha256(principal.encode("utf-8")).hexdigest()[:NAMESPACE_HEX_CHARS]


def caller_from(identity_arn: str | None, settings: Settings) -> Caller:
    """The caller of an IAM-authorised request (``requestContext.identity.userArn``)."""
    if not identity_arn:
        raise AccessDeniedError("the request carries no IAM identity")
    principal = normalise_principal(identity_arn)
    admins = {normalise_principal(arn) for arn in settings.api_admin_principals}
    return Caller(
        principal=principal,
        namespace_prefix=f"{settings.upload_prefix}{namespace_of(principal)}/",
        is_admin=principal in admins,
    )


def may_read(caller: Caller, source_key: str) -> bool:
    """True when the caller may submit this key or see the job made from it."""
    if caller.is_admin:
        return True
    return source_key.startswith(caller.namespace_prefix) and ".." not in source_key.split("/")


def ensure_may_submit(caller: Caller, key: str) -> None:
    if not may_read(caller, key):
        logger.info("submission outside the caller's folder refused", extra={"caller": caller.principal})
        raise AccessDeniedError("the key is outside the caller's upload folder")


def ensure_visible(caller: Caller, job: Job) -> Job:
    """The job, or the same error an unknown id gets: other callers' jobs do not exist for this one."""
    if not may_read(caller, job.source.key):
        logger.info("another caller's job reported as not found", extra={"caller": caller.principal})
        raise JobNotFoundError(f"no job {job.id}")
    return job
