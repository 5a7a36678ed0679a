"""The local runner replaces a few of moto's internals (``mediascribe.local.moto_patches``); one canary
per patch fails loudly when moto changes the internal it replaces. docs/moto.md says what to do then."""

from __future__ import annotations

import inspect
import subprocess
import sys
import time
import types
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.local import lambda_bridge, moto_patches
from mediascribe.local.lambda_bridge import InvocationLog, route_invocations


def test_canary_lambda_invoke_path_is_what_lambda_invocations_routed_replaces():
    from moto.awslambda.models import LambdaFunction

    moto_patches.check_lambda_invoke_path()
    assert list(inspect.signature(LambdaFunction._invoke_lambda).parameters) == ["self", "event"]


def test_canary_start_execution_is_what_serialised_start_execution_wraps():
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    moto_patches.check_start_execution()
    assert "name" in inspect.signature(StepFunctionsParserBackend.start_execution).parameters


def test_canary_lambda_task_errors_are_what_lambda_service_errors_by_code_renames():
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    moto_patches.check_lambda_task_errors()
    assert 'cause_object["errorType"]' in inspect.getsource(StateTaskLambda._from_error)


def test_canary_retry_waits_with_the_time_retry_waits_on_replaces():
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    moto_patches.check_retry_wait()
    assert retrier_decl.time is time  # type: ignore[attr-defined]


def test_canary_moto_batch_init_only_imports_what_defer_moto_batch_defers():
    moto_patches.check_batch_init()


PATCHES: list[tuple[str, str, Callable[[], AbstractContextManager[None]]]] = [
    (
        "moto.awslambda.models:LambdaFunction",
        "_invoke_lambda",
        lambda: moto_patches.lambda_invocations_routed(lambda function, event: ("null", False, "")),
    ),
    (
        "moto.stepfunctions.parser.models:StepFunctionsParserBackend",
        "start_execution",
        moto_patches.serialised_start_execution,
    ),
    (
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda:StateTaskLambda",
        "_from_error",
        moto_patches.lambda_service_errors_by_code,
    ),
    (
        "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl:",
        "time",
        lambda: moto_patches.retry_waits_on(types.SimpleNamespace(sleep=lambda seconds: None)),
    ),
]


def _owner(path: str) -> Any:
    module_name, _, class_name = path.partition(":")
    module = __import__(module_name, fromlist=["_"])
    return getattr(module, class_name) if class_name else module


@pytest.mark.parametrize(("owner", "name", "patch"), PATCHES, ids=[name for _, name, _ in PATCHES])
def test_each_patch_replaces_its_internal_and_puts_it_back(owner, name, patch):
    target = _owner(owner)
    original = getattr(target, name)
    with patch():
        assert getattr(target, name) is not original
    assert getattr(target, name) is original


@pytest.mark.parametrize(("owner", "name", "patch"), PATCHES, ids=[name for _, name, _ in PATCHES])
def test_each_patch_refuses_a_changed_internal(monkeypatch, owner, name, patch):
    target = _owner(owner)
    monkeypatch.setattr(target, name, types.SimpleNamespace() if name == "time" else lambda: None)
    with pytest.raises(ConfigurationError, match="moto changed"), patch():
        pass


def test_a_changed_source_marker_is_reported(monkeypatch):
    monkeypatch.setattr(moto_patches, "_source", lambda function: "")
    with pytest.raises(ConfigurationError, match="no longer contains"):
        moto_patches.check_lambda_invoke_path()


def test_retry_waits_on_hands_each_wait_to_the_clock():
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    waits: list[float] = []
    with moto_patches.retry_waits_on(types.SimpleNamespace(sleep=waits.append)):
        retrier_decl.time.sleep(2.5)  # type: ignore[attr-defined]
    assert waits == [2.5]


def test_the_bridge_routes_invocations_only_while_active():
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction._invoke_lambda
    with route_invocations({}, InvocationLog(), lambda _name: Settings()):
        assert LambdaFunction._invoke_lambda is not original
    assert LambdaFunction._invoke_lambda is original


def test_unhandled_exceptions_come_back_like_lambda_errors():
    payload = lambda_bridge.error_payload(ValueError("bad input"))
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "bad input"


def test_deferring_moto_batch_skips_the_ec2_models_and_keeps_batch_whole():
    """The Step Functions interpreter starts without EC2's tables; moto.batch still works in full."""
    code = """
import sys
from mediascribe.local.moto_patches import defer_moto_batch
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
