"""Run the deployed workflow on one machine: the unchanged template's state machine on moto.

``LocalWorkflow`` starts moto (S3, Lambda, Step Functions with real execution), creates the bucket,
one moto Lambda function per function of ``template.yaml`` (named after its logical id), and the state
machine from the ASL file with its substitutions resolved against them. Lambda invocations are served
in-process by our handler modules (see ``lambda_bridge``).

Each handler gets the ``Settings`` of its own function, parsed by ``Settings.from_env`` as Lambda does:
by default one environment for every function (the local defaults plus ``environment``); in the
deployed shape (``LocalOptions.deployed``), the environment, Timeout and memory that the template gives
that function, and migrations are left to the caller (the stack's custom resource runs them). The
process environment carries only what every AWS client reads: credentials, Region and endpoints.
"""

from __future__ import annotations

import functools
import io
import json
import os
import threading
import time
import warnings
import zipfile
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mediascribe.config import Settings
from mediascribe.jobs.connect import migrate
from mediascribe.local.aws_access import real_services
from mediascribe.local.definition import substitute
from mediascribe.local.events import EventLog, checked_events
from mediascribe.local.handler_process import (
    ISOLATED_VARIABLES,
    forget_containers,
    function_settings,
    process_environment,
    process_variables,
)
from mediascribe.local.lambda_bridge import (
    Clock,
    Handler,
    InvocationLog,
    LazyHandlers,
    Sandbox,
    route_invocations,
)
from mediascribe.local.moto_patches import (
    defer_moto_batch,
    lambda_service_errors_by_code,
    serialised_start_execution,
)
from mediascribe.local.s3_notification import object_created
from mediascribe.local.template import TemplateSpec, read_template
from mediascribe.local.webhook_queue import WebhookQueue, create_webhook_path, drain
from mediascribe.workflow.start import execution_name

REGION = "us-east-1"
WEBHOOK_FUNCTION = "DeliverWebhookFunction"
DEFAULT_BUCKET = "mediascribe-local"
ROLE_NAME = "mediascribe-local"
FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
# How long leaving a run waits for Lambda invocations still running (stragglers of a failed Map).
STRAGGLER_GRACE_SECONDS = 120.0


# The placeholders moto's functions get where no template configuration is given.
DEFAULT_TIMEOUT_SECONDS = 900
DEFAULT_MEMORY_MB = 1024


@dataclass(frozen=True)
class FunctionConfig:
    """One function as the stack deploys it: its environment, Timeout and memory."""

    environment: Mapping[str, str]
    timeout_seconds: int
    memory_mb: int


class DeployedShape(Protocol):
    """The stack as deployed: called once moto is up, so it can create what the template's references
    name (secrets, the bucket) and return each function's configuration with those names in it."""

    def configure(self, workflow: LocalWorkflow) -> Mapping[str, FunctionConfig]: ...


@dataclass(frozen=True)
class LocalOptions:
    """What a local run differs in from a deployment; ``environment`` holds any further variables
    for the handlers (``TRANSCRIPTION_ENGINE``, ``OPENAI_BASE_URL``, ``MAX_CHUNK_SIZE_BYTES``...).

    ``deployed`` runs the deployed shape instead: each function with its own configuration, held to
    its Timeout on ``clock``; ``environment`` then holds only what every client reads (endpoints).
    """

    database_url: str
    temp_dir: Path
    bucket: str = DEFAULT_BUCKET
    map_max_concurrency: int | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    deployed: DeployedShape | None = None
    clock: Clock = field(default=time, repr=False)
    parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExecutionOutcome:
    execution_arn: str
    status: str
    output: Any
    error: str | None
    cause: str | None


class LocalWorkflow:
    """Context manager owning one moto world; use one per run (or per test)."""

    def __init__(self, template_path: Path, options: LocalOptions) -> None:
        self.template = TemplateSpec.load(template_path)
        self.options = options
        self.invocations = InvocationLog()
        # The events the run put on its bus, checked as EventBridge checks them.
        self.events = EventLog()
        # Function name -> handler, loaded on first use; tests may wrap entries to inject faults.
        self.handlers: dict[str, Handler] = LazyHandlers(self.template.functions)
        self.state_machine_arn = ""
        # With WEBHOOK_URL: the template's rule -> queue -> sender path (``deliver_webhooks``).
        self.webhooks: WebhookQueue | None = None
        self._template_path = template_path
        self._stack = ExitStack()
        self._clients: dict[str, Any] = {}
        self._shared_settings: Settings | None = None
        self._functions: Mapping[str, FunctionConfig] | None = None
        self._settings_lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> LocalWorkflow:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.invocations.wait_idle(STRAGGLER_GRACE_SECONDS)
        self._stack.close()

    def _start(self) -> None:
        defer_moto_batch()
        from moto import mock_aws

        self._stack.enter_context(process_environment(self._handler_environment()))
        self._stack.enter_context(warnings.catch_warnings())
        # Map items run concurrently in this one process and share Powertools' metric store, so a
        # flush can find it already emptied by another invocation (Lambda runs one per container).
        warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
        self._stack.callback(forget_containers)
        forget_containers()
        if self.options.deployed is None:
            # As a deployment's migrate function does once: the handlers themselves never migrate.
            migrate(Settings(database_url=self.options.database_url))
        # The handler environment is in place: it decides which services stay real.
        services = _real_services(self._decisive_environment())
        self._stack.enter_context(
            mock_aws(
                config={
                    "stepfunctions": {"execute_state_machine": True},
                    "core": {"mock_credentials": True, "passthrough": {"services": services, "urls": []}},
                }
            )
        )
        self._stack.enter_context(serialised_start_execution())
        self._stack.enter_context(checked_events(self.events))
        self._stack.enter_context(lambda_service_errors_by_code())
        sandbox = Sandbox(self.options.clock) if self.options.deployed is not None else None
        self._stack.enter_context(
            route_invocations(self.handlers, self.invocations, self.settings_for, sandbox)
        )
        self.client("s3").create_bucket(Bucket=self.options.bucket)
        if os.environ.get("WEBHOOK_URL") and self.options.deployed is None:
            self.webhooks = create_webhook_path(
                self.client("sqs"),
                self.client("events"),
                read_template(self._template_path)["Resources"],
                event_bus=os.environ.get("EVENT_BUS_NAME") or "default",
            )
            os.environ["WEBHOOK_QUEUE_URL"] = self.webhooks.url
        if self.options.deployed is not None:
            self._functions = self.options.deployed.configure(self)
        role_arn = self._create_role()
        function_arns = {name: self._create_function(name, role_arn) for name in self.template.functions}
        overrides: dict[str, Any] = dict(self.options.parameters)
        if self.options.map_max_concurrency is not None:
            overrides["MapMaxConcurrency"] = self.options.map_max_concurrency
        # The Choice that skips notes reads the provider from the definition, as the stack's parameter.
        notes_provider = os.environ.get("NOTES_PROVIDER")
        if notes_provider and self.options.deployed is None:
            overrides["NotesProvider"] = notes_provider
        substitutions = self.template.resolve_substitutions(function_arns, overrides)
        definition = substitute(self.template.state_machine.definition_path.read_text("utf-8"), substitutions)
        self.state_machine_arn = self.client("stepfunctions").create_state_machine(
            name=self.template.state_machine.logical_id, definition=definition, roleArn=role_arn
        )["stateMachineArn"]
        # Handlers build their settings on first use, after this variable exists.
        os.environ["STATE_MACHINE_ARN"] = self.state_machine_arn

    def settings_for(self, function: str) -> Settings:
        """The settings function ``function`` reads from its environment, as in Lambda."""
        if self._functions is not None:
            return function_settings(self._functions[function].environment)
        with self._settings_lock:
            if self._shared_settings is None:
                self._shared_settings = Settings.from_env()
            return self._shared_settings

    def _decisive_environment(self) -> Mapping[str, str]:
        """The variables that decide which services a run leaves to AWS."""
        if self.options.deployed is None:
            return os.environ
        return {**os.environ, **self.options.environment}

    def _handler_environment(self) -> dict[str, str | None]:
        env: dict[str, str | None] = dict.fromkeys(ISOLATED_VARIABLES)
        env.update(process_variables(REGION))
        if self.options.deployed is not None:
            env.update(self.options.environment)
            return env
        env.update(
            {
                "MEDIA_BUCKET": self.options.bucket,
                "DATABASE_URL": self.options.database_url,
                "TEMP_DIR": str(self.options.temp_dir),
                "STATE_MACHINE_ARN": None,
                # No service can read this run's bucket: Amazon Transcribe gets each chunk's bytes.
                "TRANSCRIPTION_AUDIO_DELIVERY": "inline",
            }
        )
        env.update(self.options.environment)
        return env

    def _create_role(self) -> str:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = self.client("iam").create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
        arn: str = role["Role"]["Arn"]
        return arn

    def _create_function(self, name: str, role_arn: str) -> str:
        spec = self.template.functions[name]
        config = self._functions.get(name) if self._functions is not None else None
        function = self.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role_arn,
            Handler=spec.handler,
            Code={"ZipFile": _placeholder_zip()},
            Timeout=config.timeout_seconds if config else DEFAULT_TIMEOUT_SECONDS,
            MemorySize=config.memory_mb if config else DEFAULT_MEMORY_MB,
        )
        arn: str = function["FunctionArn"]
        return arn

    # --- using it ------------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        import boto3

        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION)
        return self._clients[service]

    def upload(self, path: Path, key: str) -> str:
        self.client("s3").upload_file(str(path), self.options.bucket, key)
        return key

    def s3_event(self, key: str) -> dict[str, Any]:
        """The notification S3 sends for a new object (``s3_notification.object_created``)."""
        head = self.client("s3").head_object(Bucket=self.options.bucket, Key=key)
        return object_created(self.options.bucket, key, head, REGION)

    def invoke(self, function: str, event: Mapping[str, Any]) -> tuple[Any, str | None]:
        """Invoke a function through the Lambda API; returns (payload, FunctionError or None)."""
        response = self.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
        return json.loads(response["Payload"].read() or b"null"), response.get("FunctionError")

    def deliver_webhooks(self) -> int:
        """Hand the webhook queue's visible messages to the sender, as its event source mapping does;
        returns how many (0 without a webhook)."""
        if self.webhooks is None:
            return 0
        invoke = functools.partial(self.invoke, WEBHOOK_FUNCTION)
        return drain(self.client("sqs"), self.webhooks, invoke, region=REGION)

    def deliver_upload_event(self, key: str) -> dict[str, Any]:
        """Deliver the ObjectCreated event of ``key`` to the StartJob function, as S3 would."""
        payload: dict[str, Any]
        payload, error = self.invoke("StartJobFunction", self.s3_event(key))
        if error:
            raise RuntimeError(f"StartJob failed: {payload.get('errorType')}: {payload.get('errorMessage')}")
        return payload

    def execution_arn(self, job_id: str, attempt: int = 1) -> str:
        """Executions are named after their job (and attempt), so the ARN follows from the job id."""
        name = execution_name(job_id, attempt)
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def wait(
        self,
        execution_arn: str,
        *,
        on_poll: Callable[[], None] | None = None,
        poll_seconds: float = 0.2,
        timeout_seconds: float = 3600.0,
    ) -> ExecutionOutcome:
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout_seconds
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if on_poll is not None:
                on_poll()
            if described["status"] in FINISHED:
                self.invocations.wait_idle(max(0.0, deadline - time.monotonic()))
                output = described.get("output")
                return ExecutionOutcome(
                    execution_arn=execution_arn,
                    status=described["status"],
                    output=json.loads(output) if output else None,
                    error=described.get("error"),
                    cause=described.get("cause"),
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still {described['status']}")
            time.sleep(poll_seconds)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def executions(self) -> list[dict[str, Any]]:
        listed = self.client("stepfunctions").list_executions(stateMachineArn=self.state_machine_arn)
        executions: list[dict[str, Any]] = listed["executions"]
        return executions

    def keys(self, prefix: str = "") -> list[str]:
        paginator = self.client("s3").get_paginator("list_objects_v2")
        return [
            item["Key"]
            for page in paginator.paginate(Bucket=self.options.bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]

    def read_text(self, key: str) -> str:
        body: bytes = self.client("s3").get_object(Bucket=self.options.bucket, Key=key)["Body"].read()
        return body.decode("utf-8")


def _real_services(environment: Mapping[str, str]) -> list[str]:
    """The services a run leaves to AWS itself (and STS, for a profile that assumes a role); moto
    answers every other call. Their clients sign with ``MEDIASCRIBE_AWS_PROFILE``'s credentials,
    never with the stand-in keys the rest of the run uses."""
    services = real_services(environment)
    return [*services, "sts"] if services else []


def _placeholder_zip() -> bytes:
    """moto wants deployable code; the real code is routed in-process, so a stub package suffices."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    raise RuntimeError('routed')\n")
    return buffer.getvalue()
