"""The IAM evaluator against AWS's documented rules, one small policy per rule."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from template_support import load_template

from support.iam.policy import (
    ContextValue,
    NamedPolicy,
    Request,
    UnsupportedPolicy,
    evaluate,
    unused_permissions,
)

BUCKET = "arn:aws:s3:::media"
OBJECT = f"{BUCKET}/uploads/talk.mp3"
ROLE = "arn:aws:iam::111122223333:role/probe"
CALLER = {"aws:PrincipalArn": ROLE, "aws:PrincipalAccount": "111122223333"}


def policy(*statements: Mapping[str, Any], name: str = "p") -> NamedPolicy:
    return (name, {"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any = "s3:GetObject", resource: Any = OBJECT, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def request(
    action: str = "s3:GetObject", resource: str = OBJECT, context: Mapping[str, ContextValue] | None = None
) -> Request:
    return Request(action, resource, {**CALLER, **(context or {})})


def allowed(statement: Mapping[str, Any], context: Mapping[str, ContextValue] | None = None) -> bool:
    return evaluate([policy(statement)], request(context=context)).allowed


def test_nothing_is_allowed_without_a_statement() -> None:
    decision = evaluate([policy()], request())
    assert not decision.allowed
    assert decision.reason == f"no statement allows s3:GetObject on {OBJECT}"
    assert decision.matched == ()


def test_an_allow_names_the_statements_that_allowed() -> None:
    decision = evaluate(
        [policy(allow(Sid="Read"), name="SourceRead"), policy(allow(), name="WorkRead")], request()
    )
    assert decision.allowed
    assert decision.matched == ("SourceRead/Read", "WorkRead/0")
    assert "allowed by SourceRead/Read, WorkRead/0" in decision.reason


def test_a_single_statement_object_is_a_statement() -> None:
    assert evaluate([("p", {"Version": "2012-10-17", "Statement": allow()})], request()).allowed


def test_explicit_deny_overrides_allow() -> None:
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": f"{BUCKET}/*", "Sid": "NoS3"}
    decision = evaluate([policy(allow(), deny)], request())
    assert not decision.allowed
    assert "explicitly denied by p/NoS3" in decision.reason


def test_a_resource_policy_allow_is_enough_within_the_account() -> None:
    bucket_policy = policy({**allow(), "Principal": {"AWS": ROLE}}, name="bucket")
    assert evaluate([policy()], request(), bucket_policy).allowed


def test_a_resource_policy_deny_overrides_an_identity_allow() -> None:
    insecure = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET, f"{BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    bucket_policy = policy(insecure, name="bucket")
    over_http = request(context={"aws:SecureTransport": False})
    over_https = request(context={"aws:SecureTransport": True})
    assert not evaluate([policy(allow())], over_http, bucket_policy).allowed
    assert evaluate([policy(allow())], over_https, bucket_policy).allowed


def test_an_account_principal_delegates_an_allow_but_a_deny_covers_the_account() -> None:
    root = "arn:aws:iam::111122223333:root"
    key_allow = policy({**allow(), "Principal": {"AWS": root}}, name="key")
    key_deny = policy({**allow(), "Effect": "Deny", "Principal": {"AWS": "111122223333"}}, name="key")
    assert not evaluate([policy()], request(), key_allow).allowed
    assert evaluate([policy(allow())], request(), key_allow).allowed
    assert not evaluate([policy(allow())], request(), key_deny).allowed


KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DECRYPT = Request("kms:Decrypt", KEY, {**CALLER, "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"})
DECRYPT_ALLOWED = policy(allow("kms:Decrypt", KEY, Sid="Decrypt"), name="role")


def key_policy(principal: Any, **extra: Any) -> NamedPolicy:
    return policy(
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "kms:*", "Resource": "*", **extra},
        name="key",
    )


def test_a_key_policy_that_lets_iam_decide_needs_an_identity_allow() -> None:
    lets_iam = key_policy("arn:aws:iam::111122223333:root", Sid="AccountAdministersThroughIam")
    decision = evaluate([DECRYPT_ALLOWED], DECRYPT, lets_iam)
    assert decision.allowed
    assert decision.matched == ("key/AccountAdministersThroughIam", "role/Decrypt")
    refused = evaluate([policy()], DECRYPT, lets_iam)
    assert not refused.allowed
    assert "lets IAM policies allow it, but none does" in refused.reason


def test_an_identity_allow_for_a_key_is_void_unless_the_key_policy_lets_iam_decide() -> None:
    other_account = key_policy("arn:aws:iam::444455556666:root")
    decision = evaluate([DECRYPT_ALLOWED], DECRYPT, other_account)
    assert not decision.allowed
    assert "neither allows it nor lets IAM policies" in decision.reason


def test_a_key_policy_may_allow_the_caller_by_itself() -> None:
    assert evaluate([policy()], DECRYPT, key_policy(ROLE)).allowed
    via_s3 = {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
    assert not evaluate([policy()], DECRYPT, key_policy("*", Condition=via_s3)).allowed


def test_without_a_key_policy_the_identity_policies_decide() -> None:
    assert evaluate([DECRYPT_ALLOWED], DECRYPT).allowed


def test_a_resource_policy_for_another_principal_does_not_apply() -> None:
    other = policy({**allow(), "Principal": {"AWS": "arn:aws:iam::111122223333:role/other"}}, name="b")
    service = policy({**allow(), "Principal": {"Service": "transcribe.amazonaws.com"}}, name="b")
    assert not evaluate([policy()], request(), other).allowed
    assert not evaluate([policy()], request(), service).allowed


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ("s3:GetObject", True),
        ("S3:getobject", True),
        ("s3:Get*", True),
        ("s3:GetObjec?", True),
        ("*", True),
        ("s3:Put*", False),
        ("s3:GetObject?", False),
        ("states:GetObject", False),
    ],
)
def test_actions_match_wildcards_case_insensitively(pattern: str, matches: bool) -> None:
    assert allowed(allow(action=pattern)) is matches


def test_an_action_list_matches_any_of_its_actions() -> None:
    assert allowed(allow(action=["s3:PutObject", "s3:GetObject"]))
    assert not allowed(allow(action=["s3:PutObject", "s3:DeleteObject"]))


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        (OBJECT, True),
        (f"{BUCKET}/uploads/*", True),
        (f"{BUCKET}/*/talk.mp3", True),
        (f"{BUCKET}/uploads/talk.mp?", True),
        ("*", True),
        (f"{BUCKET}/Uploads/*", False),
        (f"{BUCKET}/jobs/*", False),
        (BUCKET, False),
    ],
)
def test_resources_match_wildcards_case_sensitively(pattern: str, matches: bool) -> None:
    assert allowed(allow(resource=pattern)) is matches


def test_an_action_without_resource_types_matches_only_resource_star() -> None:
    transcribe = request("transcribe:TranscribeAudio", "*")
    assert evaluate([policy(allow("transcribe:TranscribeAudio", "*"))], transcribe).allowed
    named = allow("transcribe:TranscribeAudio", "arn:aws:transcribe:eu-west-1:111122223333:*")
    assert not evaluate([policy(named)], transcribe).allowed


def test_not_action_allows_every_other_action() -> None:
    statement = {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": OBJECT}
    assert allowed(statement)
    assert not evaluate([policy(statement)], request("s3:DeleteObject")).allowed


def test_not_action_in_a_deny_denies_every_other_action() -> None:
    deny = {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}
    assert evaluate([policy(allow(), deny)], request()).allowed
    put = allow("s3:PutObject")
    assert not evaluate([policy(put, deny)], request("s3:PutObject")).allowed


def test_not_resource_allows_every_other_resource() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": f"{BUCKET}/jobs/*"}
    assert allowed(statement)
    assert not evaluate([policy(statement)], request(resource=f"{BUCKET}/jobs/1/chunks/0.mp3")).allowed


def test_a_statement_needs_exactly_one_of_action_and_not_action() -> None:
    with pytest.raises(UnsupportedPolicy, match="Action"):
        evaluate([policy({"Effect": "Allow", "Resource": "*"})], request())
    with pytest.raises(UnsupportedPolicy, match="Resource"):
        evaluate(
            [policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "*"})], request()
        )


def conditioned(operator: str, key: str, values: Any) -> dict[str, Any]:
    return allow(Condition={operator: {key: values}})


@pytest.mark.parametrize(
    ("operator", "wanted", "actual", "matches"),
    [
        ("StringEquals", "s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com", True),
        ("StringEquals", "s3.eu-west-1.amazonaws.com", "S3.eu-west-1.amazonaws.com", False),
        ("StringEquals", "s3.*", "s3.eu-west-1.amazonaws.com", False),
        ("StringNotEquals", "aws:kms", "AES256", True),
        ("StringNotEquals", "aws:kms", "aws:kms", False),
        ("StringEqualsIgnoreCase", "AWS:KMS", "aws:kms", True),
        ("StringNotEqualsIgnoreCase", "AWS:KMS", "aws:kms", False),
        ("StringLike", "s3.*.amazonaws.com", "s3.eu-west-1.amazonaws.com", True),
        ("StringLike", "s3.??-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com", True),
        ("StringLike", "secretsmanager.*", "s3.eu-west-1.amazonaws.com", False),
        ("StringNotLike", "secretsmanager.*", "s3.eu-west-1.amazonaws.com", True),
        ("StringNotLike", "s3.*", "s3.eu-west-1.amazonaws.com", False),
        ("NumericLessThanEquals", "10", 10, True),
        ("NumericLessThanEquals", "10", 11, False),
        ("NumericLessThan", "10", 10, False),
        ("NumericGreaterThan", "10", 11, True),
        ("NumericGreaterThanEquals", "10", 9, False),
        ("NumericEquals", "10", "10", True),
        ("NumericNotEquals", "10", 10, False),
    ],
)
def test_string_and_numeric_operators(
    operator: str, wanted: str, actual: ContextValue, matches: bool
) -> None:
    assert allowed(conditioned(operator, "test:key", wanted), {"test:key": actual}) is matches


@pytest.mark.parametrize(
    ("operator", "pattern", "matches"),
    [
        (
            "ArnEquals",
            "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.amazon.nova-micro-v1:0",
            True,
        ),
        ("ArnLike", "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.*", True),
        ("ArnLike", "arn:aws:bedrock:*:111122223333:inference-profile/eu.amazon.nova-micro-v1:0", True),
        ("ArnLike", "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/us.*", False),
        ("ArnLike", "arn:aws:bedrock:eu-west-1:*", False),
        (
            "ArnEquals",
            "arn:aws:bedrock:eu-west-1:111122223333:INFERENCE-PROFILE/eu.amazon.nova-micro-v1:0",
            False,
        ),
        ("ArnNotLike", "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/us.*", True),
        (
            "ArnNotEquals",
            "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.amazon.nova-micro-v1:0",
            False,
        ),
    ],
)
def test_arn_operators_compare_each_part(operator: str, pattern: str, matches: bool) -> None:
    profile = "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.amazon.nova-micro-v1:0"
    context = {"bedrock:InferenceProfileArn": profile}
    assert allowed(conditioned(operator, "bedrock:InferenceProfileArn", pattern), context) is matches


@pytest.mark.parametrize(
    ("wanted", "actual", "matches"),
    [("false", False, True), ("false", "false", True), ("true", False, False), ("TRUE", True, True)],
)
def test_bool(wanted: str, actual: ContextValue, matches: bool) -> None:
    assert (
        allowed(conditioned("Bool", "aws:SecureTransport", wanted), {"aws:SecureTransport": actual})
        is matches
    )


def test_a_boolean_context_value_compares_as_the_string_aws_sends() -> None:
    assert allowed(conditioned("StringEquals", "aws:ViaAWSService", "true"), {"aws:ViaAWSService": True})


def test_null_tests_whether_the_key_is_present() -> None:
    absent = conditioned("Null", "s3:x-amz-server-side-encryption", "true")
    present = conditioned("Null", "s3:x-amz-server-side-encryption", "false")
    sse = {"s3:x-amz-server-side-encryption": "aws:kms"}
    assert allowed(absent)
    assert not allowed(absent, sse)
    assert allowed(present, sse)
    assert not allowed(present)


def test_several_values_for_one_key_match_if_any_does() -> None:
    either = conditioned("StringEquals", "kms:ViaService", ["s3.eu-west-1.amazonaws.com", "x.amazonaws.com"])
    assert allowed(either, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"})
    assert not allowed(either, {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"})


def test_several_values_of_a_negated_operator_match_only_if_none_does() -> None:
    neither = conditioned(
        "StringNotEquals", "kms:ViaService", ["s3.eu-west-1.amazonaws.com", "x.amazonaws.com"]
    )
    assert allowed(neither, {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"})
    assert not allowed(neither, {"kms:ViaService": "x.amazonaws.com"})


def test_every_key_and_every_operator_must_match() -> None:
    statement = allow(
        Condition={
            "StringEquals": {
                "kms:ViaService": "s3.eu-west-1.amazonaws.com",
                "kms:CallerAccount": "111122223333",
            },
            "Bool": {"aws:SecureTransport": "true"},
        }
    )
    context: dict[str, ContextValue] = {
        "kms:ViaService": "s3.eu-west-1.amazonaws.com",
        "kms:CallerAccount": "111122223333",
        "aws:SecureTransport": True,
    }
    assert allowed(statement, context)
    assert not allowed(statement, {**context, "kms:CallerAccount": "444455556666"})
    assert not allowed(statement, {**context, "aws:SecureTransport": False})


def test_condition_key_names_are_case_insensitive() -> None:
    assert allowed(conditioned("StringEquals", "KMS:viaservice", "s3.x"), {"kms:ViaService": "s3.x"})


@pytest.mark.parametrize(
    ("operator", "matches"),
    [
        ("StringEquals", False),
        ("StringLike", False),
        ("ArnLike", False),
        ("Bool", False),
        ("NumericLessThanEquals", False),
        ("StringNotEquals", True),
        ("StringNotLike", True),
        ("ArnNotLike", True),
        ("StringEqualsIfExists", True),
        ("ArnLikeIfExists", True),
        ("BoolIfExists", True),
        ("StringNotEqualsIfExists", True),
    ],
)
def test_a_missing_key(operator: str, matches: bool) -> None:
    value = (
        "1" if operator.startswith("Numeric") else "true" if operator.startswith("Bool") else "arn:*:*:*:*:*"
    )
    assert allowed(conditioned(operator, "test:absent", value)) is matches


def test_if_exists_checks_a_present_key() -> None:
    statement = conditioned("StringEqualsIfExists", "kms:ViaService", "s3.eu-west-1.amazonaws.com")
    assert allowed(statement, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"})
    assert not allowed(statement, {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"})


def test_for_any_value_needs_one_matching_value() -> None:
    statement = conditioned("ForAnyValue:StringEquals", "aws:CalledVia", "athena.amazonaws.com")
    assert allowed(statement, {"aws:CalledVia": ["cloudformation.amazonaws.com", "athena.amazonaws.com"]})
    assert not allowed(statement, {"aws:CalledVia": ["cloudformation.amazonaws.com"]})
    assert not allowed(statement, {"aws:CalledVia": []})
    assert not allowed(statement)


def test_for_all_values_needs_every_value_to_match() -> None:
    statement = conditioned("ForAllValues:StringLike", "aws:TagKeys", ["team", "cost-*"])
    assert allowed(statement, {"aws:TagKeys": ["team", "cost-centre"]})
    assert not allowed(statement, {"aws:TagKeys": ["team", "owner"]})
    assert allowed(statement, {"aws:TagKeys": []})
    assert allowed(statement)


def test_for_any_value_of_a_negated_operator() -> None:
    statement = conditioned("ForAnyValue:StringNotEquals", "aws:TagKeys", "team")
    assert allowed(statement, {"aws:TagKeys": ["team", "owner"]})
    assert not allowed(statement, {"aws:TagKeys": ["team"]})


def test_a_single_valued_operator_on_a_multivalued_key_is_refused() -> None:
    with pytest.raises(UnsupportedPolicy, match="ForAnyValue"):
        allowed(
            conditioned("StringEquals", "aws:CalledVia", "athena.amazonaws.com"), {"aws:CalledVia": ["x"]}
        )


@pytest.mark.parametrize(
    "statement",
    [
        conditioned("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z"),
        conditioned("BoolNot", "aws:SecureTransport", "true"),
        allow(resource="arn:aws:s3:::media/home/${aws:username}/*"),
        {**allow(), "Effect": "Maybe"},
    ],
)
def test_what_is_not_evaluated_is_refused(statement: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPolicy):
        allowed(statement, {"aws:CurrentTime": "2026-01-01T00:00:00Z", "aws:SecureTransport": True})


def test_not_principal_is_refused() -> None:
    bucket_policy = policy({**allow(), "NotPrincipal": {"AWS": ROLE}}, name="b")
    with pytest.raises(UnsupportedPolicy, match="NotPrincipal"):
        evaluate([policy()], request(), bucket_policy)


def test_unused_permissions_lists_the_statements_no_allowed_call_needed() -> None:
    policies = [
        policy(allow(Sid="Read"), allow("s3:PutObject", Sid="Write"), name="Work"),
        policy({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, name="Other"),
        policy({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}, name="Guard"),
    ]
    denied_put = evaluate(policies[2:], request("s3:PutObject"))
    decisions = [evaluate(policies, request()), denied_put]
    assert unused_permissions(policies, decisions) == ["Work/Write: s3:PutObject", "Other/0: not s3:*"]


def policy_conditions(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every Condition block of a policy statement (a resource's Condition is a name, not a block)."""
    if isinstance(value, Mapping):
        if isinstance(value.get("Condition"), Mapping):
            yield value["Condition"]
        for item in value.values():
            yield from policy_conditions(item)
    elif isinstance(value, list):
        for item in value:
            yield from policy_conditions(item)


def probe(operator: str) -> tuple[str, ContextValue]:
    """A policy value and a context value the operator can compare."""
    base = operator.rpartition(":")[2].removesuffix("IfExists")
    if ":" in operator:
        return "x", ["x"]
    if base in ("Bool", "Null"):
        return "true", True
    if base.startswith("Numeric"):
        return "1", 1
    if base.startswith("Arn"):
        return "arn:aws:s3:::media", "arn:aws:s3:::media"
    return "x", "x"


def test_every_condition_operator_the_template_uses_is_evaluated() -> None:
    operators = {op for block in policy_conditions(load_template()["Resources"]) for op in block}
    assert {"Bool", "StringEquals"} <= operators
    for operator in sorted(operators):
        value, actual = probe(operator)
        evaluate([policy(conditioned(operator, "test:key", value))], request(context={"test:key": actual}))
