"""Every change the local run makes to moto's private code, in one place.

moto gives the local run the real Lambda, Step Functions and S3 APIs; a few of its internals are
replaced where it lacks what AWS does or what a local run needs. Each patch is a context manager
that checks first that the internal it replaces still looks as expected (``check_*``, raising
``ConfigurationError`` with what changed) and puts the original back on exit. The canary tests in
``tests/workflow/test_workflow_moto_canary.py`` run the same checks, one per patch; docs/moto.md is
the checklist for a moto upgrade. No other module names moto's internals.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from mediascribe.errors import ConfigurationError

# moto's Lambda function model, the invocation, its event: ``(payload_json, errored, logs)``.
InvokeLambda = Callable[[Any, Any], tuple[str, bool, str]]


class Sleeper(Protocol):
    def sleep(self, seconds: float) -> None: ...


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigurationError(f"moto changed: {message}; see docs/moto.md")


def _source(function: Any) -> str:
    return inspect.getsource(function)


def _member(owner: Any, name: str) -> Any:
    """``owner.name``, or a ``ConfigurationError`` saying that moto no longer has it."""
    member = getattr(owner, name, None)
    _require(callable(member), f"{owner.__name__}.{name} no longer exists")
    return member


def check_lambda_invoke_path() -> None:
    """``LambdaFunction.invoke`` calls ``_invoke_lambda(event=...)`` and turns its ``errored`` into
    the ``X-Amz-Function-Error`` header."""
    from moto.awslambda.models import LambdaFunction

    parameters = list(inspect.signature(_member(LambdaFunction, "_invoke_lambda")).parameters)
    _require(parameters == ["self", "event"], f"_invoke_lambda signature changed: {parameters}")
    invoke_source = _source(LambdaFunction.invoke)
    for expected in ("self._invoke_lambda(event=", "x-amz-function-error"):
        _require(expected in invoke_source, f"LambdaFunction.invoke no longer contains {expected!r}")


@contextmanager
def lambda_invocations_routed(invoke: InvokeLambda) -> Iterator[None]:
    """Run every Lambda invocation through ``invoke(function, event)`` instead of Docker.

    moto runs a function's code in a Docker container; the local run calls the handler modules in
    this process. Only ``_invoke_lambda`` is replaced, so the Lambda API around it, the error header
    and Step Functions' error name from ``errorType`` stay moto's, as AWS behaves.
    """
    check_lambda_invoke_path()
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction._invoke_lambda

    def invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return invoke(self, event)

    LambdaFunction._invoke_lambda = invoke_lambda  # type: ignore[method-assign]
    try:
        yield
    finally:
        LambdaFunction._invoke_lambda = original  # type: ignore[method-assign]


def check_start_execution() -> None:
    """``start_execution`` takes a name, looks for an execution of that name and appends the new one,
    with no lock of its own."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    start_execution = _member(StepFunctionsParserBackend, "start_execution")
    parameters = list(inspect.signature(start_execution).parameters)
    _require(parameters[:3] == ["self", "state_machine_arn", "name"], f"start_execution takes {parameters}")
    source = _source(start_execution)
    for expected in ("_handle_name_input_idempotency(", "state_machine.executions.append(execution)"):
        _require(expected in source, f"start_execution no longer contains {expected!r}")


@contextmanager
def serialised_start_execution() -> Iterator[None]:
    """Make moto's StartExecution atomic, as the real service is.

    moto checks for an existing execution name and then appends the new one without a lock, so
    concurrent duplicate deliveries could start two executions locally where AWS would start one.
    """
    check_start_execution()
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution
    lock = threading.Lock()

    def start_execution(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]
    try:
        yield
    finally:
        StepFunctionsParserBackend.start_execution = original  # type: ignore[method-assign]


def check_lambda_task_errors() -> None:
    """``StateTaskLambda._from_error(env, ex)`` builds the failure event, its error name taken from
    the payload's ``errorType``, and ``CustomErrorName`` names an error."""
    from moto.stepfunctions.parser.asl.component.common.error_name import custom_error_name
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    from_error = _member(StateTaskLambda, "_from_error")
    parameters = list(inspect.signature(from_error).parameters)
    _require(parameters == ["self", "env", "ex"], f"_from_error signature changed: {parameters}")
    source = _source(from_error)
    for expected in ('cause_object["errorType"]', "lambdaFunctionFailedEventDetails"):
        _require(expected in source, f"StateTaskLambda._from_error no longer contains {expected!r}")
    _require(hasattr(custom_error_name, "CustomErrorName"), "CustomErrorName no longer exists")


@contextmanager
def lambda_service_errors_by_code() -> Iterator[None]:
    """Name an error of the Lambda service itself ``Lambda.<Code>`` in a Lambda task, as AWS does.

    When Invoke is refused (a throttle, ``TooManyRequestsException``), Step Functions reports
    ``Lambda.TooManyRequestsException`` for a task whose resource is the function's ARN, and Retry
    blocks match that name. moto's interpreter does so only for the ``lambda:invoke`` integration and
    calls it ``Exception`` here, which no Retry of ours names.
    """
    check_lambda_task_errors()
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    original = StateTaskLambda._from_error

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        event: Any = original(self, env, ex)
        if isinstance(ex, ClientError):
            name = f"Lambda.{ex.response['Error']['Code']}"
            event.error_name = CustomErrorName(name)
            details: dict[str, Any] | None = (event.event_details or {}).get(
                "lambdaFunctionFailedEventDetails"
            )
            if details is not None:
                details["error"] = name
        return event

    StateTaskLambda._from_error = from_error  # type: ignore[method-assign]
    try:
        yield
    finally:
        StateTaskLambda._from_error = original  # type: ignore[method-assign]


def check_retry_wait() -> None:
    """A Retrier waits with ``time.sleep`` of its module's ``time``."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    _require(getattr(retrier_decl, "time", None) is time, "retrier_decl no longer imports time")
    _require(
        "time.sleep(interval_seconds)" in _source(retrier_decl.RetrierDecl._eval_body),
        "RetrierDecl._eval_body no longer waits with time.sleep(interval_seconds)",
    )


class _SleepOn:
    """The ``time`` module with ``sleep`` taken from a clock."""

    def __init__(self, clock: Sleeper) -> None:
        self._clock = clock

    def sleep(self, seconds: float) -> None:
        self._clock.sleep(seconds)

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)


@contextmanager
def retry_waits_on(clock: Sleeper) -> Iterator[None]:
    """The state machine's Retry waits on ``clock`` (its ``sleep``), the rest of the process on time.

    A Retry's intervals are the deployed ones (seconds, doubling, jitter); a test's virtual clock
    counts them as elapsed without spending them, and can see each wait.
    """
    check_retry_wait()
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    retrier_decl.time = _SleepOn(clock)  # type: ignore[attr-defined,assignment]
    try:
        yield
    finally:
        retrier_decl.time = time  # type: ignore[attr-defined]


DEFERRED_PACKAGE = "moto.batch"
# All that moto/batch/__init__.py may hold for deferring it to change nothing but when it runs.
EXPECTED_BATCH_INIT = "from .models import batch_backends  # noqa: F401"


def check_batch_init() -> None:
    """``moto/batch/__init__.py`` does nothing but import its models."""
    spec = importlib.util.find_spec(DEFERRED_PACKAGE)
    if spec is None or spec.origin is None:
        raise ConfigurationError(f"{DEFERRED_PACKAGE} is not installed")
    text = Path(spec.origin).read_text(encoding="utf-8").strip()
    _require(text == EXPECTED_BATCH_INIT, f"{spec.origin} changed: its import can no longer be deferred")


def defer_moto_batch() -> None:
    """Register ``moto.batch`` so that its models load on first use (once per process).

    moto's Step Functions interpreter imports its AWS Batch integration at import time, which imports
    ``moto.batch`` and with it all of moto's EC2 models: region and instance-type tables that take
    seconds to load, though no state here calls Batch or EC2. Registering the package with its one
    import deferred to its first attribute access keeps ``moto.batch`` whole for anyone who uses it.
    Unlike the patches above this is not undone: an imported module stays imported.
    """
    if DEFERRED_PACKAGE in sys.modules:
        return
    check_batch_init()
    spec = importlib.util.find_spec(DEFERRED_PACKAGE)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"{DEFERRED_PACKAGE} is not installed")
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def load_on_first_use(name: str) -> Any:
        del package.__getattr__
        loader.exec_module(package)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {DEFERRED_PACKAGE!r} has no attribute {name!r}") from None

    package.__getattr__ = load_on_first_use  # type: ignore[method-assign]
    sys.modules[DEFERRED_PACKAGE] = package
    parent: ModuleType = importlib.import_module("moto")
    parent.batch = package  # type: ignore[attr-defined]
