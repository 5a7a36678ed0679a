"""Whether an IAM role may make a request: AWS's same-account policy evaluation, on concrete documents.

moto's IAM ignores resources and conditions, so it cannot tell a least-privilege policy from a wide
one. This module judges a request the way AWS documents it, for the policy shapes the template uses:

- Policy evaluation logic
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
  .../reference_policies_evaluation-logic_policy-eval-denyallow.html): every request is implicitly
  denied; "an explicit deny in any of the policies overrides the allow"; within one account "if either
  the identity-based policy or the resource-based policy ... allows the request and the other doesn't,
  the request is still allowed" (.../reference_policies_evaluation-logic_policy-eval-basics.html).
- Action, NotAction, Resource, NotResource
  (.../reference_policies_elements_action.html, ..._notaction.html, ..._resource.html,
  ..._notresource.html): a string or a list; ``*`` matches any run of characters and ``?`` one
  character; action names are case-insensitive, resource ARNs case-sensitive.
- Condition (.../reference_policies_elements_condition_operators.html,
  .../reference_policies_condition-logic-multiple-context-keys-or-values.html,
  .../reference_policies_condition-single-vs-multi-valued-context-keys.html): all operators of a
  block and all keys of an operator must match (AND); several values for one key match if any does
  (OR), and for the negated operators (``StringNotEquals``, ``ArnNotLike``...) if none does (NOR).
  "If the key that you specify in a policy condition is not present in the request context, the
  values do not match and the condition is false"; for the negated operators (StringNotLike,
  ArnNotLike...) an absent key makes the condition true, and neither rule applies to ...IfExists
  and Null.
  ``...IfExists`` is true when the key is absent; ``Null`` tests presence. ``ForAnyValue:`` matches
  if at least one value of a multivalued key matches (false when the key is absent or empty);
  ``ForAllValues:`` if every value does (true when the key is absent or empty). Condition key names
  are case-insensitive.
- Principal in a resource policy (.../reference_policies_elements_principal.html): ``"*"`` is
  everyone; a role ARN is that role (the request context's ``aws:PrincipalArn``); an account
  (``123456789012`` or ``arn:aws:iam::123456789012:root``) delegates to the account's identity
  policies, so for an Allow it grants nothing by itself, while a Deny for it covers every principal
  of the account (``aws:PrincipalAccount``).
- KMS (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html): "Unless the key
  policy explicitly allows it, you cannot use IAM policies to allow access to a KMS key"; a key
  policy statement allowing the account (``arn:aws:iam::<account>:root``) is what lets them. So for
  a ``kms:`` action with a key policy, the key policy must allow the caller, or allow the account
  and an identity policy allow the caller.

The template's policies use ``Bool`` and ``StringEquals`` (a test fails when it uses an operator
this module cannot judge); the other string, ARN and numeric operators, ``Null``, ``...IfExists``
and the set qualifiers are implemented too. Anything else (date and IP operators, ``NotPrincipal``,
policy variables, none of which the template uses) raises ``UnsupportedPolicy`` instead of being
judged loosely.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ContextValue = str | bool | int | Sequence[str]
# A policy as its name (for messages and statement ids) and its JSON document.
NamedPolicy = tuple[str, Mapping[str, Any]]


class UnsupportedPolicy(ValueError):
    """A policy element this evaluator cannot judge faithfully."""


@dataclass(frozen=True)
class Request:
    """One authorization request: an IAM action on one resource, with the context keys it carries."""

    action: str
    resource: str
    context: Mapping[str, ContextValue]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    matched: tuple[str, ...]


@dataclass(frozen=True)
class _Statement:
    id: str
    body: Mapping[str, Any]


def evaluate(
    identity_policies: Sequence[NamedPolicy], request: Request, resource_policy: NamedPolicy | None = None
) -> Decision:
    """Allowed if some statement allows the request and none denies it (same-account logic).

    For a KMS action, ``resource_policy`` is the key policy, which must allow the request itself or
    let the account's IAM policies allow it.
    """
    identity = [s for s in _statements(identity_policies) if _applies(s, request)]
    resource, delegating = _resource_statements(resource_policy, request)
    what = f"{request.action} on {request.resource}"
    denials = _ids(identity + resource, "Deny")
    if denials:
        return Decision(False, f"{what} explicitly denied by {', '.join(denials)}", ())
    allows = _ids(identity + resource, "Allow")
    if (
        resource_policy is not None
        and request.action.lower().startswith("kms:")
        and not _ids(resource, "Allow")
    ):
        return _through_key_policy(what, resource_policy[0], _ids(delegating, "Allow"), allows)
    if allows:
        return Decision(True, f"{what} allowed by {', '.join(allows)}", allows)
    return Decision(False, f"no statement allows {what}", ())


def _resource_statements(
    resource_policy: NamedPolicy | None, request: Request
) -> tuple[list[_Statement], list[_Statement]]:
    """The resource policy's statements that apply to the caller, and the Allows for its account."""
    applying: list[_Statement] = []
    delegating: list[_Statement] = []
    for statement in _statements([resource_policy] if resource_policy is not None else []):
        named = _principal(statement, request) if _applies(statement, request) else None
        if named == "caller" or (named == "account" and statement.body["Effect"] == "Deny"):
            applying.append(statement)
        elif named == "account":
            delegating.append(statement)
    return applying, delegating


def _through_key_policy(
    what: str, key_policy: str, delegated: tuple[str, ...], allows: tuple[str, ...]
) -> Decision:
    """A key policy that does not allow the caller itself may let the account's IAM policies do it."""
    if delegated and allows:
        matched = delegated + allows
        return Decision(True, f"{what} allowed by {', '.join(matched)}", matched)
    unlocked = (
        "lets IAM policies allow it, but none does"
        if delegated
        else "neither allows it nor lets IAM policies"
    )
    return Decision(False, f"{what}: key policy {key_policy} {unlocked}", ())


def _ids(statements: Iterable[_Statement], effect: str) -> tuple[str, ...]:
    return tuple(s.id for s in statements if s.body["Effect"] == effect)


def unused_permissions(identity_policies: Sequence[NamedPolicy], allowed: Iterable[Decision]) -> list[str]:
    """The Allow statements no allowed request needed, as ``<policy>/<Sid or index>: <actions>``."""
    used = {statement for decision in allowed if decision.allowed for statement in decision.matched}
    unused = []
    for statement in _statements(identity_policies):
        if statement.body["Effect"] == "Allow" and statement.id not in used:
            element = "Action" if "Action" in statement.body else "NotAction"
            actions = ", ".join(_strings(statement.body[element]))
            unused.append(f"{statement.id}: {'' if element == 'Action' else 'not '}{actions}")
    return unused


def _statements(policies: Iterable[NamedPolicy]) -> Iterator[_Statement]:
    for name, document in policies:
        body = document.get("Statement", [])
        for index, statement in enumerate([body] if isinstance(body, Mapping) else body):
            _check_statement(name, statement)
            yield _Statement(f"{name}/{statement.get('Sid') or index}", statement)


def _check_statement(policy: str, statement: Mapping[str, Any]) -> None:
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise UnsupportedPolicy(f"{policy}: Effect must be Allow or Deny: {statement!r}")
    for one, other in (("Action", "NotAction"), ("Resource", "NotResource")):
        if (one in statement) == (other in statement):
            raise UnsupportedPolicy(f"{policy}: a statement needs exactly one of {one} and {other}")
    if "NotPrincipal" in statement:
        raise UnsupportedPolicy(f"{policy}: NotPrincipal is not evaluated")
    if "${" in repr(statement.get("Resource", statement.get("NotResource"))) + repr(
        statement.get("Condition")
    ):
        raise UnsupportedPolicy(f"{policy}: policy variables are not evaluated")


def _applies(statement: _Statement, request: Request) -> bool:
    body = statement.body
    action_listed = any(
        _glob(p, request.action, ignore_case=True)
        for p in _strings(body.get("Action", body.get("NotAction")))
    )
    if action_listed != ("Action" in body):
        return False
    resource_listed = any(
        _glob(p, request.resource) for p in _strings(body.get("Resource", body.get("NotResource")))
    )
    if resource_listed != ("Resource" in body):
        return False
    return _conditions_hold(body.get("Condition", {}), request.context)


def _principal(statement: _Statement, request: Request) -> str | None:
    """Whom a resource-policy statement names: the ``caller`` itself, its ``account``, or neither."""
    principal = statement.body.get("Principal")
    if principal == "*":
        return "caller"
    if not isinstance(principal, Mapping) or set(principal) - {"AWS", "Service"}:
        raise UnsupportedPolicy(f"{statement.id}: Principal {principal!r} is not evaluated")
    caller = str(_context_value(request.context, "aws:PrincipalArn") or "")
    account = str(_context_value(request.context, "aws:PrincipalAccount") or "")
    named = _strings(principal.get("AWS"))
    if "*" in named or caller in named:
        return "caller"
    accounts = (re.fullmatch(r"(?:arn:[^:]+:iam::)?(\d{12})(?::root)?", n) for n in named)
    if any(found and found.group(1) == account for found in accounts):
        return "account"
    # A service principal is never the role making the request.
    return None


def _conditions_hold(block: Mapping[str, Mapping[str, Any]], context: Mapping[str, ContextValue]) -> bool:
    return all(
        _condition_holds(operator, key, _strings(values), context)
        for operator, keys in block.items()
        for key, values in keys.items()
    )


def _condition_holds(operator: str, key: str, wanted: list[str], context: Mapping[str, ContextValue]) -> bool:
    qualifier, _, base = operator.rpartition(":")
    present = _context_value(context, key)
    if base == "Null":
        absent = present is None or present == [] or present == ()
        return any(_as_bool(value, operator) == absent for value in wanted)
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    test, negated = _operator(base, operator)
    if present is None:
        if if_exists:
            return True
        return {"ForAllValues": True, "ForAnyValue": False}.get(qualifier, negated)
    values = [_text(v) for v in present] if isinstance(present, (list, tuple)) else None
    if qualifier == "":
        if values is not None:
            raise UnsupportedPolicy(
                f"{operator} on the multivalued key {key}: use ForAnyValue or ForAllValues"
            )
        return _matches(test, negated, present, wanted)
    if qualifier not in ("ForAnyValue", "ForAllValues") or values is None:
        raise UnsupportedPolicy(f"{operator} on {key}={present!r} is not evaluated")
    results = [_matches(test, negated, value, wanted) for value in values]
    return any(results) if qualifier == "ForAnyValue" else all(results)


def _matches(test: Callable[[str, Any], bool], negated: bool, actual: Any, wanted: list[str]) -> bool:
    hit = any(test(value, actual) for value in wanted)
    return not hit if negated else hit


def _operator(base: str, operator: str) -> tuple[Callable[[str, Any], bool], bool]:
    """The comparison behind an operator name, and whether the operator negates it."""
    negated = "Not" in base
    positive = base.replace("Not", "")
    tests: dict[str, Callable[[str, Any], bool]] = {
        "StringEquals": lambda value, actual: value == _text(actual),
        "StringEqualsIgnoreCase": lambda value, actual: value.lower() == _text(actual).lower(),
        "StringLike": lambda value, actual: _glob(value, _text(actual)),
        "ArnEquals": _arn_like,
        "ArnLike": _arn_like,
        "Bool": lambda value, actual: _as_bool(value, operator) == _as_bool(actual, operator),
        "NumericEquals": lambda value, actual: float(actual) == float(value),
        "NumericLessThan": lambda value, actual: float(actual) < float(value),
        "NumericLessThanEquals": lambda value, actual: float(actual) <= float(value),
        "NumericGreaterThan": lambda value, actual: float(actual) > float(value),
        "NumericGreaterThanEquals": lambda value, actual: float(actual) >= float(value),
    }
    if positive not in tests or (negated and positive not in _NEGATABLE):
        raise UnsupportedPolicy(f"condition operator {operator} is not evaluated")
    return tests[positive], negated


_NEGATABLE = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "NumericEquals"}


def _arn_like(pattern: str, actual: Any) -> bool:
    """ARN operators compare each of the six colon-separated parts on its own, case-sensitively."""
    wanted, got = pattern.split(":", 5), _text(actual).split(":", 5)
    return len(wanted) == len(got) == 6 and all(_glob(w, g) for w, g in zip(wanted, got, strict=True))


def _glob(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _text(value: Any) -> str:
    """A context value as the request context holds it: booleans are the strings true and false."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _as_bool(value: Any, operator: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise UnsupportedPolicy(f"{operator} needs true or false, not {value!r}")


def _context_value(context: Mapping[str, ContextValue], key: str) -> ContextValue | None:
    """Condition key names are case-insensitive."""
    wanted = key.lower()
    return next((value for name, value in context.items() if name.lower() == wanted), None)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
