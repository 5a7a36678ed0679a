"""CloudFormation custom resource: bring the jobs schema up to date once per deployment."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import CloudFormationCustomResourceEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.jobs.schema_resource import answer_schema_request
from mediascribe.observability import container_settings, logger


@logger.inject_lambda_context
@event_source(data_class=CloudFormationCustomResourceEvent)
def lambda_handler(event: CloudFormationCustomResourceEvent, context: LambdaContext) -> None:
    answer_schema_request(event, context.log_stream_name, settings=container_settings)
