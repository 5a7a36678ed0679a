"""Every AWS call of the rehearsal, recorded and judged against the IAM role that makes it.

A botocore handler on every client sees each call before it is sent: the operation, its parameters,
and who makes it. A call made inside a function's invocation (threads it starts included) is that
function's, under its execution role; one signed with the key moto's Step Functions interpreter uses is
the state machine's, under its role; anything else is the rehearsal itself setting the scene, and is
not judged. The operations table turns a call into the IAM requests AWS authorizes for it, and the
policy evaluator decides each against the role's policies (and the bucket's policy for S3). A denied
call is refused with the service's own AccessDenied error, as AWS would refuse it, and recorded; an
invocation that has timed out is cut off at its next call, as Lambda freezes a timed-out sandbox.
Scripted service faults (a Lambda throttle) answer allowed calls where the service would.
"""

from __future__ import annotations

import contextvars
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.handlers
from botocore.exceptions import ClientError

from mediascribe.local.lambda_bridge import SandboxTimedOut, current_invocation
from support.iam.operations import MissingFact, UnknownOperation, requests_for
from support.iam.policy import Decision, NamedPolicy, Request, evaluate, unused_permissions
from support.rehearsal.stack import ACCOUNT, PARTITION, PLATFORM_ACTIONS, REGION

# moto's Step Functions interpreter signs its Lambda calls with this key (moto's boto_client_for).
STATE_MACHINE_KEY = "ak"
_PARAMS = "rehearsal_api_params"
# S3 names its error AccessDenied; the JSON services AccessDeniedException.
_DENIED_CODES = {"s3": "AccessDenied"}


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    policies: tuple[NamedPolicy, ...]


@dataclass(frozen=True)
class Call:
    role: str
    service: str
    operation: str
    decisions: tuple[tuple[Request, Decision], ...]

    @property
    def allowed(self) -> bool:
        return all(decision.allowed for _, decision in self.decisions)


@dataclass
class CallLog:
    """What every role called, over the whole rehearsal; ``table`` is its per-role summary."""

    calls: list[Call] = field(default_factory=list)
    policies: dict[str, dict[str, NamedPolicy]] = field(default_factory=lambda: defaultdict(dict))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: Call, role: Role) -> None:
        with self._lock:
            self.calls.append(call)
            for policy in role.policies:
                self.policies[role.name][policy[0]] = policy

    def know(self, role: Role) -> None:
        with self._lock:
            for policy in role.policies:
                self.policies[role.name][policy[0]] = policy

    def denied(self) -> list[str]:
        return [
            f"{call.role}: {call.service}.{call.operation}: {decision.reason}"
            for call in self.calls
            for _, decision in call.decisions
            if not decision.allowed
        ]

    def unused(self, role: str) -> list[str]:
        decisions = [d for call in self.calls if call.role == role for _, d in call.decisions]
        grants = unused_permissions(list(self.policies[role].values()), decisions)
        return [grant for grant in grants if not _platform_only(grant)]

    def table(self) -> str:
        """Per role: calls made, allowed, denied, and the grants no call used."""
        lines = [f"{'role':<34} {'calls':>6} {'allowed':>8} {'denied':>7}  permissions unused"]
        for role in sorted(self.policies):
            made = [call for call in self.calls if call.role == role]
            allowed = sum(call.allowed for call in made)
            unused = self.unused(role)
            lines.append(
                f"{role:<34} {len(made):>6} {allowed:>8} {len(made) - allowed:>7}  "
                + ("; ".join(unused) if unused else "none")
            )
        return "\n".join(lines)


def _platform_only(grant: str) -> bool:
    """Grants for Lambda's own log delivery and tracing, which no SDK call of ours makes."""
    actions = grant.split(": ", 1)[-1].split(", ")
    return all(action.startswith(PLATFORM_ACTIONS) for action in actions)


@dataclass
class Judge:
    """Who calls (function roles, the state machine's role) and what each resource's policy says."""

    function_roles: Mapping[str, Role]
    state_machine_role: Role
    # The resource's own policy for one authorization request (the bucket's, for an s3: action).
    resource_policy: Callable[[Request, Mapping[str, Any]], NamedPolicy | None]
    facts: Callable[[str, Mapping[str, Any]], Mapping[str, str]]
    log: CallLog
    # Faults of the service itself (a throttle): each may answer an allowed call with an error.
    faults: list[Callable[[Role, str, str, Mapping[str, Any]], ClientError | None]] = field(
        default_factory=list
    )

    def role_of_call(self, access_key: str | None) -> Role | None:
        invocation = current_invocation()
        if invocation is not None:
            if invocation.timed_out.is_set():
                raise SandboxTimedOut(f"{invocation.function_name} timed out; its sandbox is frozen")
            return self.function_roles[invocation.function_name]
        if access_key == STATE_MACHINE_KEY:
            return self.state_machine_role
        return None

    def judge(self, role: Role, service: str, operation: str, params: Mapping[str, Any]) -> Call:
        try:
            requests = requests_for(
                service,
                operation,
                params,
                region=REGION,
                account=ACCOUNT,
                partition=PARTITION,
                facts=self.facts(service, params),
            )
        except (UnknownOperation, MissingFact) as exc:
            refusal = Decision(False, f"the operations table cannot judge it: {exc}", ())
            return Call(
                role.name, service, operation, ((Request(f"{service}:{operation}", "*", {}), refusal),)
            )
        decisions = []
        for request in requests:
            context = {
                "aws:PrincipalArn": role.arn,
                "aws:PrincipalAccount": ACCOUNT,
                "aws:SecureTransport": True,
                **request.context,
            }
            full = Request(request.action, request.resource, context)
            decisions.append((full, evaluate(role.policies, full, self.resource_policy(full, params))))
        return Call(role.name, service, operation, tuple(decisions))


_judges: list[Judge] = []


def _keep_params(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = dict(params)


def _check(model: Any, context: Mapping[str, Any], request_signer: Any = None, **_: Any) -> None:
    """Judge one call by the rehearsal now running: clients outlive a rehearsal (SDK caches keep
    them), so the handler looks the judge up instead of holding one."""
    if not _judges:
        return
    judge = _judges[-1]
    credentials = getattr(request_signer, "_credentials", None)
    role = judge.role_of_call(getattr(credentials, "access_key", None))
    if role is None:
        return
    service = model.service_model.service_name
    params = context.get(_PARAMS, {})
    call = judge.judge(role, service, model.name, params)
    judge.log.add(call, role)
    if not call.allowed:
        reasons = "; ".join(d.reason for _, d in call.decisions if not d.allowed)
        code = _DENIED_CODES.get(service, "AccessDeniedException")
        raise ClientError(
            {"Error": {"Code": code, "Message": f"{role.arn} is not authorized: {reasons}"}}, model.name
        )
    for fault in judge.faults:
        error = fault(role, service, model.name, params)
        if error is not None:
            raise error


_HANDLERS: Sequence[tuple[str, Callable[..., Any]]] = (
    ("before-parameter-build", _keep_params),
    ("before-call", _check),
)


@contextmanager
def judged_calls(judge: Judge) -> Iterator[None]:
    """Judge every call of every botocore client (and propagate the invocation into the threads its
    work starts, as each Lambda sandbox is one process)."""
    for role in [*judge.function_roles.values(), judge.state_machine_role]:
        judge.log.know(role)
    if not _judges:
        botocore.handlers.BUILTIN_HANDLERS.extend(_HANDLERS)
    _judges.append(judge)
    # boto3's default session copied the built-in handlers when it was made: start a new one.
    saved_session, boto3.DEFAULT_SESSION = boto3.DEFAULT_SESSION, None
    original_submit = ThreadPoolExecutor.submit

    def submit(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return original_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)

    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        ThreadPoolExecutor.submit = original_submit  # type: ignore[method-assign]
        boto3.DEFAULT_SESSION = saved_session
        _judges.remove(judge)
