"""One deployment, rehearsed: the SAM-expanded stack for a set of parameters, run on the local workflow.

``RehearsedStack`` is the local workflow's ``DeployedShape``: once moto is up it creates what the
template's references name and CloudFormation would have created (the secrets: the cluster's master
login, the functions' app login, the OpenAI key), resolves the expanded template against them, and
hands every function its own environment, Timeout and memory. Only what cannot be the same here is
substituted, and only in three kinds of value:

- endpoints: the stand-ins' URLs (``AWS_ENDPOINT_URL_*``, ``OPENAI_BASE_URL``), and where the layer
  puts ffmpeg (``/opt/bin`` in Lambda; the same static build from its wheel here);
- credentials: the stand-in keys every client signs with, and the secrets' values;
- ARNs and names of the stand-ins, which follow from the template's own resources.

The database is the Data API stand-in in front of a PostgreSQL of the rehearsal's own, with the
template's database name and the cluster's master user; the schema and the app login come from the
migrate function, invoked as CloudFormation invokes the custom resource.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mediascribe.jobs.data_api as data_api_module
from mediascribe.config import Settings
from mediascribe.local.moto_patches import retry_waits_on
from mediascribe.local.workflow import FunctionConfig, LocalOptions, LocalWorkflow
from mediascribe.media.binaries import resolve_binaries
from support.iam.policy import Request
from support.paths import TEMPLATE
from support.rehearsal.calls import CallLog, Judge, Role, judged_calls
from support.rehearsal.cloudformation import ResponseEndpoint, resource_request, response_endpoint
from support.rehearsal.stack import ACCOUNT, DeployedStack, expand
from support.rehearsal.tls import Certificates
from support.virtual_clock import VirtualClock

MASTER_USER = "mediascribe_admin"
APP_USER = "mediascribe_app"
SCHEMA_RESOURCE = "DatabaseSchema"
# The layer's binaries, where Lambda mounts them.
LAYER_BINARIES = {"/opt/bin/ffmpeg": "ffmpeg", "/opt/bin/ffprobe": "ffprobe"}


@dataclass(frozen=True)
class Variant:
    """A set of stack parameters; ``secrets`` are those the user creates before deploying (parameter
    name -> secret value): they are made in Secrets Manager first and their ARNs passed as the value."""

    name: str
    parameters: Mapping[str, str]
    secrets: Mapping[str, str] = field(default_factory=dict)


@dataclass
class RehearsedStack:
    variant: Variant
    endpoints: Mapping[str, str]
    temp_dir: Path
    secret_values: dict[str, str] = field(default_factory=dict)
    # The destination Regions of the inference profiles the functions may call.
    profile_regions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    stack: DeployedStack | None = None

    @property
    def bucket(self) -> str:
        return DeployedStack(expand(self.variant.parameters), self.variant.parameters).ref("MediaBucket")

    def configure(self, workflow: LocalWorkflow) -> Mapping[str, FunctionConfig]:
        manager = workflow.client("secretsmanager")
        physical: dict[str, str] = {}
        template = expand(self.variant.parameters)
        resources = template["Resources"]
        for logical_id, value in self._secret_values(resources).items():
            arn = manager.create_secret(Name=f"{logical_id}-rehearsal", SecretString=value)["ARN"]
            physical[_secret_reference(logical_id)] = arn
            self.secret_values[arn] = value
        parameters = dict(self.variant.parameters)
        for name, value in self.variant.secrets.items():
            arn = manager.create_secret(Name=f"{name}-rehearsal", SecretString=value)["ARN"]
            parameters[name] = arn
            self.secret_values[arn] = value
        self.stack = DeployedStack(template, parameters, physical)
        return {
            name: FunctionConfig(
                environment=self._substituted(function.environment),
                timeout_seconds=function.timeout_seconds,
                memory_mb=function.memory_mb,
            )
            for name, function in self.stack.functions().items()
        }

    def _secret_values(self, resources: Mapping[str, Any]) -> dict[str, str]:
        """What Secrets Manager (or RDS, for the master login) would hold after a create."""
        values: dict[str, str] = {}
        if "DatabaseCluster" in resources:
            values["DatabaseCluster"] = json.dumps({"username": MASTER_USER, "password": _password()})
        if "DatabaseAppSecret" in resources:
            values["DatabaseAppSecret"] = json.dumps({"username": APP_USER, "password": _password()})
        if "OpenAIApiKeySecret" in resources:
            values["OpenAIApiKeySecret"] = self.variant.parameters["OpenAIApiKey"]
        return values

    def _substituted(self, environment: Mapping[str, str]) -> dict[str, str]:
        binaries = resolve_binaries(Settings())
        local = {"ffmpeg": str(binaries.ffmpeg), "ffprobe": str(binaries.ffprobe)}
        substituted = {
            name: local[LAYER_BINARIES[value]] if value in LAYER_BINARIES else value
            for name, value in environment.items()
        }
        # Lambda's ephemeral storage, /tmp, is this rehearsal's own folder.
        if substituted.get("TEMP_DIR") == "/tmp":
            substituted["TEMP_DIR"] = str(self.temp_dir)
        return {**substituted, **self.endpoints}

    def roles(self) -> tuple[dict[str, Role], Role]:
        assert self.stack is not None, "configure() has not run"
        functions = {
            name: Role(function.role, _role_arn(function.role), function.policies)
            for name, function in self.stack.functions().items()
        }
        machine_role, machine_policies = self.stack.state_machine_role()
        return functions, Role(machine_role, _role_arn(machine_role), machine_policies)

    def judge(self, log: CallLog) -> Judge:
        assert self.stack is not None, "configure() has not run"
        stack = self.stack
        functions, machine = self.roles()
        bucket = self.bucket
        bucket_policy = stack.bucket_policy(bucket)
        secret_keys = {
            _secret_arn(stack, name): _key_arn(stack, name)
            for name in ("DatabaseAppSecret", "OpenAIApiKeySecret", "DatabaseCluster")
            if name in stack.resources
        }

        def resource_policy(request: Request, params: Mapping[str, Any]) -> Any:
            on_bucket = request.action.startswith("s3:") and params.get("Bucket") == bucket
            return bucket_policy if on_bucket else None

        def facts(service: str, params: Mapping[str, Any]) -> Mapping[str, str]:
            if service == "bedrock-runtime":
                regions = self.profile_regions.get(str(params.get("modelId")), ())
                return {"bedrock_profile_regions": ",".join(regions)} if regions else {}
            # Secrets Manager reads a secret for its caller, and the Data API for its caller too.
            secret = params.get("SecretId") or params.get("secretArn")
            key = secret_keys.get(str(secret)) if secret else None
            return {"secret_kms_key_arn": key} if key else {}

        return Judge(functions, machine, resource_policy, facts, log)


def _secret_reference(logical_id: str) -> str:
    """How the template refers to each secret: Ref for its own, GetAtt for the one RDS creates."""
    return "DatabaseCluster.MasterUserSecret.SecretArn" if logical_id == "DatabaseCluster" else logical_id


def _secret_arn(stack: DeployedStack, logical_id: str) -> str:
    return stack.physical[_secret_reference(logical_id)]


def _key_arn(stack: DeployedStack, logical_id: str) -> str | None:
    properties = stack.properties(logical_id)
    key = (
        properties.get("MasterUserSecret", {}).get("KmsKeyId")
        if logical_id == "DatabaseCluster"
        else properties.get("KmsKeyId")
    )
    return stack.get_att(_key_logical_id(stack, key), "Arn") if key else None


def _key_logical_id(stack: DeployedStack, key: str) -> str:
    for name in stack.of_type("AWS::KMS::Key"):
        if stack.ref(name) == key:
            return name
    raise ValueError(f"no KMS key {key} in the stack")


def _role_arn(role: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role}"


def _password() -> str:
    """As GenerateSecretString with ExcludePunctuation: 40 letters and digits."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40))


@dataclass
class Rehearsal:
    """A running rehearsal: the workflow, the stack it was built from, and CloudFormation's endpoint."""

    workflow: LocalWorkflow
    shape: RehearsedStack
    cloudformation: ResponseEndpoint
    judge: Judge
    data_api: Any = None

    @property
    def stack(self) -> DeployedStack:
        assert self.shape.stack is not None
        return self.shape.stack

    def custom_resource(
        self, request_type: str, *, old_properties: Mapping[str, Any] | None = None, **changed: Any
    ) -> dict[str, Any]:
        """Invoke the schema resource's function as CloudFormation does; its response document."""
        properties = {**self.stack.properties(SCHEMA_RESOURCE), **changed}
        event = resource_request(
            self.cloudformation,
            request_type,
            logical_id=SCHEMA_RESOURCE,
            resource_type=self.stack.resources[SCHEMA_RESOURCE]["Type"],
            properties=properties,
            old_properties=old_properties,
            physical_id=None if request_type == "Create" else "mediascribe-schema",
        )
        payload, error = self.workflow.invoke("MigrateDatabaseFunction", event)
        assert error is None, payload
        return self.cloudformation.responses[event["RequestId"]]


@contextmanager
def rehearse(
    variant: Variant,
    *,
    endpoints: Mapping[str, str],
    temp_dir: Path,
    log: CallLog,
    clock: VirtualClock,
    secrets: dict[str, str],
    profile_regions: Mapping[str, tuple[str, ...]],
    tls: Certificates,
) -> Iterator[Rehearsal]:
    """The stack of ``variant`` on the local workflow, its schema created through the custom resource;
    ``secrets`` receives each secret's value by ARN as the stack's secrets are created."""
    shape = RehearsedStack(
        variant, endpoints, temp_dir, secret_values=secrets, profile_regions=profile_regions
    )
    options = LocalOptions(
        database_url="",
        temp_dir=temp_dir,
        bucket=shape.bucket,
        environment=endpoints,
        deployed=shape,
        clock=clock,
        parameters=dict(variant.parameters),
    )
    with ExitStack() as stack:
        # Waits of the code under test and of the state machine's Retry pass on the shared clock.
        stack.enter_context(clock.installed(data_api_module))
        stack.enter_context(retry_waits_on(clock))
        cloudformation = stack.enter_context(response_endpoint(tls))
        workflow = stack.enter_context(LocalWorkflow(TEMPLATE, options))
        judge = shape.judge(log)
        stack.enter_context(judged_calls(judge))
        rehearsal = Rehearsal(workflow, shape, cloudformation, judge)
        created = rehearsal.custom_resource("Create")
        assert created["Status"] == "SUCCESS", created
        yield rehearsal
