"""What IAM is asked when mediascribe calls AWS: one row per (botocore service, operation).

A row turns the parameters the client sends (the ``params`` of botocore's ``before-call`` event:
``Bucket``, ``Key``, ``resourceArn``...) into the authorization requests AWS makes of the caller's
role: the IAM action, the resource ARN (built from the parameters, Region, account and partition) and
the context keys the request carries. Some calls make further requests with the caller's
credentials, through forward access sessions (FAS): S3 asks KMS for the object's data key, Secrets
Manager asks KMS to decrypt the secret, the RDS Data API reads the secret, Amazon Transcribe reads the
S3 object. Those requests are part of the row.

Every row cites the Service Authorization Reference page of its service (actions, resource types,
condition keys), and the service's page for the requests made on the caller's behalf. Facts that
apply to every row:

- ``aws:SecureTransport`` is true: botocore calls HTTPS endpoints.
- ``aws:RequestedRegion`` is the client's Region.
- ``aws:ViaAWSService`` is false for a request the role sends itself and true for a FAS request
  (IAM User Guide, Forward access sessions, "FAS Requests and IAM policy conditions":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html).
- ``aws:CalledVia`` is not carried. That page also says FAS requests populate ``aws:CalledVia``
  with the service principal, but the key's own entry
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-calledvia)
  limits it to the services that support it (Athena, CloudFormation, DynamoDB, AWS KMS), and no
  page of Amazon S3, Secrets Manager, the RDS Data API or Amazon Transcribe documents it for their
  calls; a policy that needs it is judged as AWS would judge it if the key is absent, which is the
  stricter reading.
- The principal's keys (``aws:PrincipalArn``, ``aws:PrincipalAccount``) are the caller's, which
  these rows do not know: the rehearsal adds them.

``facts`` are what the caller knows and the parameters do not say (all optional):

- ``s3_kms_key_arn``: the KMS key of the bucket's default SSE-KMS encryption. Without it (and
  without ``SSEKMSKeyId`` in the request) S3 calls cause no KMS request.
- ``s3_bucket_key``: ``"true"`` when the bucket uses an S3 Bucket Key, so KMS sees the bucket's ARN
  as the encryption context instead of the object's
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).
- ``secret_kms_key_arn``: the customer managed key that encrypts the secrets read. Without it the
  secret uses ``aws/secretsmanager``, whose key policy lets the account's principals use it through
  Secrets Manager without any IAM permission.
- ``bedrock_profile_regions``: comma-separated destination Regions of the inference profile a
  Converse call names (needed only for a profile id).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from support.iam.policy import ContextValue, Request

Facts = Mapping[str, str]
Context = dict[str, ContextValue]

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
S3_SAR = SAR + "list_amazons3.html"
STATES_SAR = SAR + "list_awsstepfunctions.html"
RDS_DATA_SAR = SAR + "list_amazonrdsdataapi.html"
SECRETS_SAR = SAR + "list_awssecretsmanager.html"
TRANSCRIBE_SAR = SAR + "list_amazontranscribe.html"
BEDROCK_SAR = SAR + "list_amazonbedrock.html"
LAMBDA_SAR = SAR + "list_awslambda.html"
KMS_SAR = SAR + "list_awskeymanagementservice.html"
SQS_SAR = SAR + "list_amazonsqs.html"
EVENTS_SAR = SAR + "list_amazoneventbridge.html"
# "PutEvents: Grants permission to send custom events to Amazon EventBridge ... Resource types:
# event-bus*" (arn:${Partition}:events:${Region}:${Account}:event-bus/${EventBusName}), and each
# entry names its bus ("If you're using the default event bus, you can omit EventBusName").
EVENTS_PUT = "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html"
FAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html"
# An asynchronous invocation that still fails goes to the function's dead-letter queue; "SAM will
# automatically add appropriate permission to your Lambda function execution role to give Lambda
# service access to the resource. sqs:SendMessage will be added for SQS queues".
LAMBDA_DLQ = (
    "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq"
)
# "Lambda needs the following permissions to manage messages in your Amazon SQS queue ...
# sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes" (the execution role).
LAMBDA_SQS_ROLE = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html"
SAM_DLQ = "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-deadletterqueue.html"
# "To use an AWS KMS key to encrypt a multipart upload, you must have kms:GenerateDataKey and
# kms:Decrypt permissions ... kms:GenerateDataKey action for the CreateMultipartUpload API ...
# kms:Decrypt action on the UploadPart and UploadPartCopy APIs."
S3_KMS_MULTIPART = "https://repost.aws/knowledge-center/s3-large-file-encryption-kms-key"
# SSE-KMS: S3 asks KMS for a data key on upload and to decrypt it on download, with the caller's
# permissions; kms:ViaService is s3.<region>.amazonaws.com.
S3_KMS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"
# "Data API transparently calls Secrets Manager, which allows (or denies) the user's request for the
# secret."
DATA_API_SECRET = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.access.html"
# Secrets Manager decrypts the secret with KMS on the caller's behalf (kms:ViaService
# secretsmanager.<region>.amazonaws.com, encryption context SecretARN and SecretVersionId).
SECRETS_KMS = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html"
# A cross-Region inference profile needs bedrock:InvokeModel on the profile and on its model in each
# destination Region; bedrock:InferenceProfileArn scopes the model to calls through the profile.
BEDROCK_PROFILES = "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html"
# "Prerequisites for running model inference": Converse is authorized as bedrock:InvokeModel.
BEDROCK_CONVERSE = "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-prereq.html"
# MediaFileUri: "The maximum file size is 500 MB. You must have read permission for the file." (also
# in botocore's transcribe model, SyncMedia): the service reads the object as the caller, which this
# table models as a FAS request.
TRANSCRIBE_S3 = "https://docs.aws.amazon.com/transcribe/latest/APIReference/API_SyncMedia.html"

_DNS_SUFFIX = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}
_PROFILE_ID = re.compile(r"^(us-gov|us|eu|apac|jp|au|ca|global)\.(.+)$")


class UnknownOperation(LookupError):
    def __init__(self, service: str, operation: str) -> None:
        super().__init__(
            f"no IAM row for {service} {operation}: add one to tests/support/iam/operations.py "
            "(IAM actions, resource ARN, context keys, Service Authorization Reference page)"
        )
        self.service = service
        self.operation = operation


class MissingFact(ValueError):
    """A row needs a fact the caller did not give (see the module docstring)."""


@dataclass(frozen=True)
class Where:
    region: str
    account: str
    partition: str

    def service_host(self, service: str) -> str:
        """The value ``kms:ViaService`` carries for a request made through ``service``."""
        return f"{service}.{self.region}.{_DNS_SUFFIX.get(self.partition, 'amazonaws.com')}"


Builder = Callable[[Mapping[str, Any], Where, Facts], list[Request]]


@dataclass(frozen=True)
class Operation:
    """One row: what a call asks IAM for, in words (for listing) and as requests (``build``)."""

    service: str
    operation: str
    actions: tuple[str, ...]
    resource: str
    build: Builder
    context_keys: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()


def requests_for(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    *,
    region: str,
    account: str,
    partition: str = "aws",
    facts: Facts | None = None,
) -> list[Request]:
    """The authorization requests one call makes; ``UnknownOperation`` when the table has no row."""
    row = OPERATIONS.get((service, operation))
    if row is None:
        raise UnknownOperation(service, operation)
    return row.build(params, Where(region, account, partition), facts or {})


def _context(
    where: Where, keys: Mapping[str, ContextValue] | None = None, *, via_service: bool = False
) -> Context:
    return {
        "aws:SecureTransport": True,
        "aws:RequestedRegion": where.region,
        "aws:ViaAWSService": via_service,
        **(keys or {}),
    }


def _present(keys: Mapping[str, Any]) -> Context:
    """The context keys whose request parameter was sent: an absent parameter leaves its key absent."""
    return {key: value for key, value in keys.items() if value is not None}


# ------------------------------------------------------------------------------------------ KMS


def _kms(
    action: str, key_arn: str, through: str, where: Where, encryption_context: Mapping[str, str]
) -> Request:
    """A request a service makes of KMS with the caller's credentials (FAS)."""
    keys: Context = {
        "kms:ViaService": where.service_host(through),
        "kms:CallerAccount": where.account,
        "kms:EncryptionContextKeys": sorted(encryption_context),
    }
    keys.update({f"kms:EncryptionContext:{k}": v for k, v in encryption_context.items()})
    return Request(f"kms:{action}", key_arn, _context(where, keys, via_service=True))


# ------------------------------------------------------------------------------------------ S3


def _bucket_arn(where: Where, bucket: str) -> str:
    return f"arn:{where.partition}:s3:::{bucket}"


def _object_arn(where: Where, bucket: str, key: str) -> str:
    return f"{_bucket_arn(where, bucket)}/{key}"


def _s3_context(
    where: Where, keys: Mapping[str, ContextValue] | None = None, *, via_service: bool = False
) -> Context:
    """botocore signs its own S3 requests with SigV4 in the Authorization header; how a service signs
    the requests it makes on the caller's behalf is not documented, so those carry no such keys."""
    if via_service:
        return _context(where, keys, via_service=True)
    return _context(
        where, {"s3:authType": "REST-HEADER", "s3:signatureversion": "AWS4-HMAC-SHA256", **(keys or {})}
    )


def _s3_kms(action: str, params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    """The KMS request S3 makes for an SSE-KMS object: the request's key, else the bucket's default."""
    if params.get("ServerSideEncryption") == "AES256":
        return []
    key = params.get("SSEKMSKeyId") or facts.get("s3_kms_key_arn")
    if not key:
        return []
    bucket, object_key = params["Bucket"], params["Key"]
    s3_arn = (
        _bucket_arn(where, bucket)
        if facts.get("s3_bucket_key") == "true"
        else _object_arn(where, bucket, object_key)
    )
    return [_kms(action, key, "s3", where, {"aws:s3:arn": s3_arn})]


def _read_object(params: Mapping[str, Any], where: Where, *, via_service: bool = False) -> Request:
    version = params.get("VersionId")
    return Request(
        "s3:GetObjectVersion" if version else "s3:GetObject",
        _object_arn(where, params["Bucket"], params["Key"]),
        _s3_context(where, _present({"s3:versionid": version}), via_service=via_service),
    )


def _head_object(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    return [_read_object(params, where)]


def _get_object(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    return [_read_object(params, where), *_s3_kms("Decrypt", params, where, facts)]


def _write_object(params: Mapping[str, Any], where: Where) -> Request:
    keys = _present(
        {
            "s3:x-amz-server-side-encryption": params.get("ServerSideEncryption"),
            "s3:x-amz-server-side-encryption-aws-kms-key-id": params.get("SSEKMSKeyId"),
            "s3:x-amz-acl": params.get("ACL"),
            "s3:x-amz-storage-class": params.get("StorageClass"),
        }
    )
    return Request(
        "s3:PutObject", _object_arn(where, params["Bucket"], params["Key"]), _s3_context(where, keys)
    )


def _put_object(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    return [_write_object(params, where), *_s3_kms("GenerateDataKey", params, where, facts)]


def _upload_part(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    return [_write_object(params, where), *_s3_kms("Decrypt", params, where, facts)]


def _complete_upload(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    return [_write_object(params, where)]


def _abort_upload(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    arn = _object_arn(where, params["Bucket"], params["Key"])
    return [Request("s3:AbortMultipartUpload", arn, _s3_context(where))]


def _list_objects(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    keys = _present({"s3:prefix": params.get("Prefix"), "s3:delimiter": params.get("Delimiter")})
    if params.get("MaxKeys") is not None:
        keys["s3:max-keys"] = int(params["MaxKeys"])
    return [Request("s3:ListBucket", _bucket_arn(where, params["Bucket"]), _s3_context(where, keys))]


def _delete_objects(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    """A multi-object delete is authorized per object, as DeleteObject (DeleteObjectVersion)."""
    return [
        Request(
            "s3:DeleteObjectVersion" if item.get("VersionId") else "s3:DeleteObject",
            _object_arn(where, params["Bucket"], item["Key"]),
            _s3_context(where, _present({"s3:versionid": item.get("VersionId")})),
        )
        for item in params["Delete"]["Objects"]
    ]


# ------------------------------------------------------------------------------------------ secrets


def _secret_arn(secret: str) -> str:
    if not secret.startswith("arn:"):
        raise MissingFact(f"secret {secret!r} is named, not an ARN: its ARN's random suffix is unknown here")
    return secret


def _secret_reads(
    secret: str, where: Where, facts: Facts, keys: Mapping[str, ContextValue], *, via_service: bool
) -> list[Request]:
    arn = _secret_arn(secret)
    read = Request(
        "secretsmanager:GetSecretValue",
        arn,
        _context(where, {"secretsmanager:SecretId": arn, **keys}, via_service=via_service),
    )
    key = facts.get("secret_kms_key_arn")
    if not key:
        return [read]
    return [read, _kms("Decrypt", key, "secretsmanager", where, {"SecretARN": arn})]


def _get_secret_value(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    keys = _present(
        {
            "secretsmanager:VersionStage": params.get("VersionStage"),
            "secretsmanager:VersionId": params.get("VersionId"),
        }
    )
    return _secret_reads(params["SecretId"], where, facts, keys, via_service=False)


def _data_api(action: str) -> Builder:
    def build(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
        statement = Request(f"rds-data:{action}", params["resourceArn"], _context(where))
        # The Data API reads the secret with the caller's credentials.
        return [statement, *_secret_reads(params["secretArn"], where, facts, {}, via_service=True)]

    return build


# ------------------------------------------------------------------------------------------ workflow


def _state_machine(action: str) -> Builder:
    def build(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
        return [Request(f"states:{action}", params["stateMachineArn"], _context(where))]

    return build


def _function_arn(where: Where, name: str, qualifier: str | None) -> str:
    """FunctionName is a name, ``name:qualifier``, a partial ARN (``account:function:name``) or an ARN."""
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:
        arn = f"arn:{where.partition}:lambda:{where.region}:{name}"
    else:
        arn = f"arn:{where.partition}:lambda:{where.region}:{where.account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def _invoke(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    arn = _function_arn(where, params["FunctionName"], params.get("Qualifier"))
    return [Request("lambda:InvokeFunction", arn, _context(where))]


def _put_events(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    """One request per bus the entries name (a name or an ARN; none is the default bus)."""
    buses = []
    for entry in params["Entries"]:
        bus = entry.get("EventBusName") or "default"
        arn = (
            bus
            if bus.startswith("arn:")
            else f"arn:{where.partition}:events:{where.region}:{where.account}:event-bus/{bus}"
        )
        if arn not in buses:
            buses.append(arn)
    return [Request("events:PutEvents", arn, _context(where)) for arn in buses]


def _queue_message(action: str) -> Builder:
    """A call on one queue, by its URL, which ends in ``/<account>/<name>``."""

    def build(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
        found = re.fullmatch(r"https://[^/]+/(\d{12})/([\w-]+(?:\.fifo)?)", params["QueueUrl"])
        if found is None:
            raise ValueError(f"QueueUrl {params['QueueUrl']!r} is not an SQS queue URL")
        arn = f"arn:{where.partition}:sqs:{where.region}:{found.group(1)}:{found.group(2)}"
        return [Request(action, arn, _context(where))]

    return build


# ------------------------------------------------------------------------------------------ models


def _transcribe_audio(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    """A synchronous transcription names no Transcribe resource; an S3 chunk is read by the service."""
    requests = [Request("transcribe:TranscribeAudio", "*", _context(where))]
    uri = params.get("Media", {}).get("MediaFileUri")
    if uri:
        found = re.fullmatch(r"s3://([^/]+)/(.+)", uri)
        if found is None:
            raise ValueError(f"MediaFileUri {uri!r} is not an s3:// URI")
        chunk = {"Bucket": found.group(1), "Key": found.group(2)}
        requests += [_read_object(chunk, where, via_service=True), *_s3_kms("Decrypt", chunk, where, facts)]
    return requests


def _converse(params: Mapping[str, Any], where: Where, facts: Facts) -> list[Request]:
    model = params["modelId"]
    if model.startswith("arn:"):
        return [Request("bedrock:InvokeModel", model, _context(where))]
    profile = _PROFILE_ID.fullmatch(model)
    if profile is None:
        arn = f"arn:{where.partition}:bedrock:{where.region}::foundation-model/{model}"
        return [Request("bedrock:InvokeModel", arn, _context(where))]
    regions = [r.strip() for r in facts.get("bedrock_profile_regions", "").split(",") if r.strip()]
    if not regions:
        raise MissingFact(
            f"{model} is an inference profile: give its destination Regions (bedrock_profile_regions)"
        )
    profile_arn = f"arn:{where.partition}:bedrock:{where.region}:{where.account}:inference-profile/{model}"
    through_profile = _context(where, {"bedrock:InferenceProfileArn": profile_arn})
    return [
        Request("bedrock:InvokeModel", profile_arn, _context(where)),
        *(
            Request(
                "bedrock:InvokeModel",
                f"arn:{where.partition}:bedrock:{region}::foundation-model/{profile.group(2)}",
                through_profile,
            )
            for region in regions
        ),
    ]


# ------------------------------------------------------------------------------------------ the table

_OBJECT = "arn:${Partition}:s3:::${Bucket}/${Key}"
_SSE_KEYS = ("s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id")
_S3_KMS_KEYS = (
    "kms:ViaService=s3.<region>.<suffix>",
    "kms:CallerAccount",
    "kms:EncryptionContext:aws:s3:arn",
    "aws:ViaAWSService=true",
)
_SECRET_KMS_KEYS = (
    "kms:ViaService=secretsmanager.<region>.<suffix>",
    "kms:CallerAccount",
    "kms:EncryptionContext:SecretARN",
)
_S3_KMS_CITED = (S3_SAR, KMS_SAR, S3_KMS, FAS)
_MULTIPART_CITED = (S3_SAR, KMS_SAR, S3_KMS_MULTIPART, FAS)
_SECRET_CITED = (SECRETS_SAR, KMS_SAR, SECRETS_KMS, FAS)


_ROWS = (
    Operation(
        "s3",
        "HeadObject",
        ("s3:GetObject", "s3:GetObjectVersion"),
        _OBJECT,
        context_keys=("s3:versionid",),
        citations=(S3_SAR,),
        build=_head_object,
    ),
    Operation(
        "s3",
        "GetObject",
        ("s3:GetObject", "s3:GetObjectVersion", "kms:Decrypt"),
        _OBJECT + "; the bucket's KMS key",
        context_keys=("s3:versionid", *_S3_KMS_KEYS),
        citations=_S3_KMS_CITED,
        build=_get_object,
    ),
    Operation(
        "s3",
        "PutObject",
        ("s3:PutObject", "kms:GenerateDataKey"),
        _OBJECT + "; the request's or bucket's KMS key",
        context_keys=(*_SSE_KEYS, "s3:x-amz-acl", "s3:x-amz-storage-class", *_S3_KMS_KEYS),
        citations=_S3_KMS_CITED,
        build=_put_object,
    ),
    Operation(
        "s3",
        "CreateMultipartUpload",
        ("s3:PutObject", "kms:GenerateDataKey"),
        _OBJECT + "; the request's or bucket's KMS key",
        context_keys=(*_SSE_KEYS, *_S3_KMS_KEYS),
        citations=_MULTIPART_CITED,
        build=_put_object,
    ),
    Operation(
        "s3",
        "UploadPart",
        ("s3:PutObject", "kms:Decrypt"),
        _OBJECT + "; the bucket's KMS key",
        context_keys=_S3_KMS_KEYS,
        citations=_MULTIPART_CITED,
        build=_upload_part,
    ),
    Operation(
        "s3",
        "CompleteMultipartUpload",
        ("s3:PutObject",),
        _OBJECT,
        citations=(S3_SAR,),
        build=_complete_upload,
    ),
    Operation(
        "s3",
        "AbortMultipartUpload",
        ("s3:AbortMultipartUpload",),
        _OBJECT,
        citations=(S3_SAR,),
        build=_abort_upload,
    ),
    Operation(
        "s3",
        "ListObjectsV2",
        ("s3:ListBucket",),
        "arn:${Partition}:s3:::${Bucket}",
        context_keys=("s3:prefix", "s3:delimiter", "s3:max-keys"),
        citations=(S3_SAR,),
        build=_list_objects,
    ),
    Operation(
        "s3",
        "DeleteObjects",
        ("s3:DeleteObject", "s3:DeleteObjectVersion"),
        _OBJECT + " of each of Delete.Objects",
        context_keys=("s3:versionid",),
        citations=(S3_SAR,),
        build=_delete_objects,
    ),
    *(
        Operation(
            "stepfunctions",
            action,
            (f"states:{action}",),
            "${stateMachineArn}",
            citations=(STATES_SAR,),
            build=_state_machine(action),
        )
        for action in ("StartExecution", "ListExecutions")
    ),
    *(
        Operation(
            "rds-data",
            action,
            (f"rds-data:{action}", "secretsmanager:GetSecretValue", "kms:Decrypt"),
            "${resourceArn} (the cluster); the secret ${secretArn}, read by the Data API; its customer key",
            context_keys=(
                "secretsmanager:SecretId",
                "aws:ViaAWSService=true on the secret",
                *_SECRET_KMS_KEYS,
            ),
            citations=(RDS_DATA_SAR, DATA_API_SECRET, *_SECRET_CITED),
            build=_data_api(action),
        )
        for action in ("ExecuteStatement", "BeginTransaction", "CommitTransaction", "RollbackTransaction")
    ),
    Operation(
        "secretsmanager",
        "GetSecretValue",
        ("secretsmanager:GetSecretValue", "kms:Decrypt"),
        "${SecretId} (an ARN); the secret's customer managed key",
        context_keys=(
            "secretsmanager:SecretId",
            "secretsmanager:VersionStage",
            "secretsmanager:VersionId",
            *_SECRET_KMS_KEYS,
        ),
        citations=_SECRET_CITED,
        build=_get_secret_value,
    ),
    Operation(
        "transcribe",
        "TranscribeAudio",
        ("transcribe:TranscribeAudio", "s3:GetObject", "kms:Decrypt"),
        '"*"; the object of Media.MediaFileUri, read by Transcribe; the bucket\'s KMS key',
        context_keys=("aws:ViaAWSService=true on the object", *_S3_KMS_KEYS),
        citations=(TRANSCRIBE_SAR, TRANSCRIBE_S3, *_S3_KMS_CITED),
        build=_transcribe_audio,
    ),
    Operation(
        "bedrock-runtime",
        "Converse",
        ("bedrock:InvokeModel",),
        "arn:${Partition}:bedrock:${Region}::foundation-model/${modelId}; for a profile id its ARN "
        "(arn:${Partition}:bedrock:${Region}:${Account}:inference-profile/${modelId}) and its model in "
        "each of its Regions",
        context_keys=("bedrock:InferenceProfileArn on the model through a profile",),
        citations=(BEDROCK_SAR, BEDROCK_CONVERSE, BEDROCK_PROFILES),
        build=_converse,
    ),
    Operation(
        "lambda",
        "Invoke",
        ("lambda:InvokeFunction",),
        "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}[:${Qualifier}]",
        citations=(LAMBDA_SAR,),
        build=_invoke,
    ),
    Operation(
        "events",
        "PutEvents",
        ("events:PutEvents",),
        "arn:${Partition}:events:${Region}:${Account}:event-bus/${EventBusName} of each entry",
        citations=(EVENTS_SAR, EVENTS_PUT),
        build=_put_events,
    ),
    Operation(
        "sqs",
        "SendMessage",
        ("sqs:SendMessage",),
        "arn:${Partition}:sqs:${Region}:<account and name of ${QueueUrl}> (Lambda, for a dead letter)",
        citations=(SQS_SAR, LAMBDA_DLQ, SAM_DLQ),
        build=_queue_message("sqs:SendMessage"),
    ),
    # The webhook queue's event source mapping polls with the function's role, and the sender sets a
    # failed message's visibility to the retry's wait.
    Operation(
        "sqs",
        "ReceiveMessage",
        ("sqs:ReceiveMessage",),
        "arn:${Partition}:sqs:${Region}:<account and name of ${QueueUrl}> (Lambda's SQS poller)",
        citations=(SQS_SAR, LAMBDA_SQS_ROLE),
        build=_queue_message("sqs:ReceiveMessage"),
    ),
    Operation(
        "sqs",
        "DeleteMessage",
        ("sqs:DeleteMessage",),
        "arn:${Partition}:sqs:${Region}:<account and name of ${QueueUrl}> (Lambda's SQS poller)",
        citations=(SQS_SAR, LAMBDA_SQS_ROLE),
        build=_queue_message("sqs:DeleteMessage"),
    ),
    Operation(
        "sqs",
        "GetQueueAttributes",
        ("sqs:GetQueueAttributes",),
        "arn:${Partition}:sqs:${Region}:<account and name of ${QueueUrl}> (Lambda's SQS poller)",
        citations=(SQS_SAR, LAMBDA_SQS_ROLE),
        build=_queue_message("sqs:GetQueueAttributes"),
    ),
    Operation(
        "sqs",
        "ChangeMessageVisibility",
        ("sqs:ChangeMessageVisibility",),
        "arn:${Partition}:sqs:${Region}:<account and name of ${QueueUrl}>",
        citations=(SQS_SAR,),
        build=_queue_message("sqs:ChangeMessageVisibility"),
    ),
)

OPERATIONS: Mapping[tuple[str, str], Operation] = {(row.service, row.operation): row for row in _ROWS}

# Client methods that are no single API operation: what they send (s3transfer's download and upload,
# a paginator), or, for a presigned POST, what its holder sends with the signer's credentials.
CONVENIENCE_METHODS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("s3", "download_file"): ("HeadObject", "GetObject"),
    ("s3", "upload_file"): (
        "PutObject",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
    ),
    ("s3", "generate_presigned_post"): ("PutObject",),
}
