"""Route moto's Lambda invocations to our handler modules, in this process.

moto's ``LambdaFunction._invoke_lambda(event)`` runs the function in Docker and returns
``(payload_json, errored, logs)``; ``invoke`` turns ``errored`` into the ``FunctionError`` header that
Step Functions reads. Replacing only that method keeps everything around it real: the Lambda API,
the error header, and moto's Step Functions interpreter deriving the error name from ``errorType``
exactly as AWS does, so Retry and Catch by error name behave as deployed.

Each invocation runs as its function would in Lambda: with the ``Settings`` of that function's own
environment (``settings_for``), and, where a ``Sandbox`` is given, under the function's Timeout as the
sandbox's clock measures it: an invocation that runs past it fails with Lambda's ``Sandbox.Timedout``
and is cut off at its next AWS call, as Lambda freezes a timed-out sandbox.

The method is replaced in ``moto_patches``, which checks first that moto still calls it as expected.
"""

from __future__ import annotations

import contextvars
import importlib.util
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.local.moto_patches import lambda_invocations_routed
from mediascribe.local.template import FunctionSpec
from mediascribe.observability import invocation_settings

Handler = Callable[[Any, Any], Any]
SettingsFor = Callable[[str], Settings]
# How often a sandbox looks at its clock while the handler runs.
_SANDBOX_POLL_SECONDS = 0.02


class Clock(Protocol):
    def monotonic(self) -> float: ...


@dataclass
class Invocation:
    """One running invocation: which function, and whether its sandbox has been cut off."""

    function_name: str
    request_id: str
    timed_out: threading.Event = field(default_factory=threading.Event)


_current: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar("invocation", default=None)


def current_invocation() -> Invocation | None:
    """The invocation this code runs in (threads started with a copied context included), if any."""
    return _current.get()


class SandboxTimedOut(Exception):
    """Lambda's error for a function that ran past its Timeout; Step Functions sees ``Sandbox.Timedout``."""


@dataclass
class LocalLambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 1024
    timeout_seconds: float = 900.0
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    clock: Clock = field(default=time, repr=False)
    _started: float = field(default=-1.0, repr=False)

    def __post_init__(self) -> None:
        if self._started < 0:
            self._started = self.clock.monotonic()

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (self.clock.monotonic() - self._started)) * 1000))


def load_handler(spec: FunctionSpec) -> Handler:
    """Import ``functions/<dir>/app.py`` under a unique module name, as a separate Lambda would."""
    module_name = f"mediascribe_function_{spec.logical_id}"
    module_spec = importlib.util.spec_from_file_location(module_name, spec.module_file)
    if module_spec is None or module_spec.loader is None:
        raise ConfigurationError(f"cannot load {spec.module_file}")
    module: ModuleType = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    handler: Handler | None = getattr(module, spec.attribute, None)
    if not callable(handler):
        raise ConfigurationError(f"{spec.module_file} has no callable {spec.attribute}")
    return handler


class LazyHandlers(dict[str, Handler]):
    """Function name -> handler; a function's module is imported when it is first invoked (or looked
    up, e.g. to wrap it), as a cold start imports it, so a run pays only for the steps it uses."""

    def __init__(self, specs: dict[str, FunctionSpec]) -> None:
        super().__init__()
        self._specs = specs
        self._lock = threading.Lock()

    def __missing__(self, name: str) -> Handler:
        spec = self._specs[name]
        with self._lock:
            if not dict.__contains__(self, name):
                self[name] = load_handler(spec)
            return dict.__getitem__(self, name)


def error_payload(exc: BaseException) -> dict[str, Any]:
    """The JSON real Lambda returns for an unhandled exception; ``errorType`` becomes the error name."""
    if isinstance(exc, SandboxTimedOut):
        return {"errorType": "Sandbox.Timedout", "errorMessage": str(exc)}
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc)[-6:],
    }


@dataclass
class InvocationLog:
    """Every invocation the bridge served, for tests and benchmarks (which step, how long, errored),
    and how many are still running.

    When one Map item fails, Step Functions fails the Map while items already invoked keep running to
    their end, as in AWS. Waiting for those stragglers before reading results keeps local runs and
    tests deterministic and lets them finish before the moto world is torn down.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def add(self, **record: Any) -> None:
        with self._lock:
            self.records.append(record)

    @contextmanager
    def running(self) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
                self._lock.notify_all()

    def wait_idle(self, timeout_seconds: float) -> bool:
        """Block until no invocation is running; False if some still are after the timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self.in_flight == 0, timeout_seconds)

    def of(self, function_name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [record for record in self.records if record["function"] == function_name]


@dataclass(frozen=True)
class Sandbox:
    """Holds each invocation to its function's Timeout, measured on ``clock`` (a virtual clock lets
    a scenario that waits minutes run in seconds)."""

    clock: Clock

    def run(self, handler: Handler, event: Any, context: LocalLambdaContext, invocation: Invocation) -> Any:
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["result"] = handler(event, context)
            except BaseException as exc:  # handed back to the invoking thread
                outcome["error"] = exc

        worker = threading.Thread(
            target=contextvars.copy_context().run, args=(target,), name=f"lambda-{context.function_name}"
        )
        worker.start()
        while True:
            worker.join(_SANDBOX_POLL_SECONDS)
            # Also once it has finished: on a virtual clock, a handler can pass its deadline between
            # two looks, and Lambda would have ended it before it could answer.
            if context.get_remaining_time_in_millis() <= 0:
                invocation.timed_out.set()
                raise SandboxTimedOut(
                    f"RequestId: {context.aws_request_id} Error: Task timed out after "
                    f"{context.timeout_seconds:.2f} seconds"
                )
            if not worker.is_alive():
                break
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")


@contextmanager
def route_invocations(
    handlers: dict[str, Handler],
    log: InvocationLog,
    settings_for: SettingsFor,
    sandbox: Sandbox | None = None,
) -> Iterator[None]:
    """Patch moto so invoking function ``name`` calls ``handlers[name](event, context)`` with the
    settings of that function (``settings_for(name)``), under its Timeout when ``sandbox`` is given."""

    def invoke_in_process(self: Any, event: Any) -> tuple[str, bool, str]:
        try:
            handler = handlers[self.function_name]
        except KeyError:
            return (
                json.dumps(error_payload(ConfigurationError(f"no handler for {self.function_name}"))),
                True,
                "",
            )
        if isinstance(event, str | bytes):
            event = json.loads(event or "{}")
        context = LocalLambdaContext(
            function_name=self.function_name,
            invoked_function_arn=self.function_arn,
            memory_limit_in_mb=int(self.memory_size or 128),
            timeout_seconds=float(self.timeout or 3),
            log_group_name=f"/aws/lambda/{self.function_name}",
            clock=sandbox.clock if sandbox is not None else time,
        )
        invocation = Invocation(function_name=self.function_name, request_id=context.aws_request_id)
        started = time.perf_counter()
        token = _current.set(invocation)
        try:
            with log.running(), invocation_settings(settings_for(self.function_name)):
                if sandbox is None:
                    result = handler(event, context)
                else:
                    result = sandbox.run(handler, event, context, invocation)
        except Exception as exc:
            log.add(
                function=self.function_name,
                started=started,
                seconds=time.perf_counter() - started,
                error=error_payload(exc)["errorType"],
            )
            return json.dumps(error_payload(exc)), True, ""
        finally:
            _current.reset(token)
        log.add(
            function=self.function_name, started=started, seconds=time.perf_counter() - started, error=None
        )
        return json.dumps(result), False, ""

    with lambda_invocations_routed(invoke_in_process):
        yield
