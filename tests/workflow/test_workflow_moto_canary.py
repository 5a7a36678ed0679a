"""The local runner relies on private moto internals; these tests fail loudly when moto changes them."""

from __future__ import annotations

import inspect

import pytest

from mediascribe.errors import ConfigurationError
from mediascribe.local import lambda_bridge
from mediascribe.local.lambda_bridge import InvocationLog, check_moto_compatibility, route_invocations


def test_moto_lambda_invoke_path_is_what_the_bridge_patches():
    from moto.awslambda.models import LambdaFunction

    check_moto_compatibility()
    assert list(inspect.signature(LambdaFunction._invoke_lambda).parameters) == ["self", "event"]


def test_moto_step_functions_derives_error_names_from_error_type():
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda

    source = inspect.getsource(state_task_lambda.StateTaskLambda._from_error)
    assert 'cause_object["errorType"]' in source


def test_moto_step_functions_backend_still_has_start_execution():
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    assert "name" in inspect.signature(StepFunctionsParserBackend.start_execution).parameters


def test_the_patch_is_removed_afterwards():
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction._invoke_lambda
    with route_invocations({}, InvocationLog()):
        assert LambdaFunction._invoke_lambda is not original
    assert LambdaFunction._invoke_lambda is original


def test_a_changed_signature_is_reported(monkeypatch):
    from moto.awslambda.models import LambdaFunction

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", lambda self, event, context: None)
    with pytest.raises(ConfigurationError, match="signature changed"):
        check_moto_compatibility()


def test_unhandled_exceptions_come_back_like_lambda_errors():
    payload = lambda_bridge.error_payload(ValueError("bad input"))
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "bad input"
