"""The local runner relies on private moto internals; these tests fail loudly when moto changes them."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from mediascribe.config import Settings
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
    with route_invocations({}, InvocationLog(), lambda _name: Settings()):
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


def test_deferring_moto_batch_skips_the_ec2_models_and_keeps_batch_whole():
    """The Step Functions interpreter starts without EC2's tables; moto.batch still works in full."""
    code = """
import sys
from mediascribe.local.deferred_imports import defer_moto_batch
defer_moto_batch()
import moto.stepfunctions.parser.models
assert "moto.ec2.models" not in sys.modules, "the EC2 models were imported"
from moto.backends import get_backend
import moto.batch
assert get_backend("batch") is moto.batch.batch_backends
assert "moto.ec2.models" in sys.modules
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_a_handler_module_is_imported_when_its_function_is_first_used(tmp_path):
    from mediascribe.local.template import FunctionSpec

    imports = tmp_path / "imports.log"
    (tmp_path / "app.py").write_text(
        f"with open({str(imports)!r}, 'a') as log:\n    log.write('imported\\n')\n"
        "def lambda_handler(event, context):\n    return 1\n"
    )
    handlers = lambda_bridge.LazyHandlers({"Used": FunctionSpec("Used", tmp_path, "app.lambda_handler")})
    assert not imports.exists() and dict(handlers) == {}
    assert handlers["Used"](None, None) == handlers["Used"](None, None) == 1
    assert imports.read_text() == "imported\n"
    with pytest.raises(KeyError):
        handlers["Unknown"]


def test_moto_lambda_tasks_still_name_their_errors_in_from_error():
    """The local runner renames a Lambda service error there (``Lambda.<Code>``, as AWS does)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    assert list(inspect.signature(StateTaskLambda._from_error).parameters) == ["self", "env", "ex"]
