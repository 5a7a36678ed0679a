"""What ``GET /search`` does: the caller's query, over only the caller's jobs, answered quickly.

A caller sees the jobs whose source key lies in its upload folder, by the rule ``GET /jobs/{id}``
applies (``workflow.access.may_read``); administrators see every job.

A paused Aurora Serverless v2 cluster answers the Data API with ``DatabaseResumingException`` while it
wakes, and the call that met it starts the resume ("Wait a few seconds and try again",
https://docs.aws.amazon.com/botocore/latest/reference/services/rds-data/client/exceptions/DatabaseResumingException.html).
The shared executor waits the resume out for as long as the invocation has time; a search does not
wait at all: its executor raises ``DatabaseUnavailableError`` at the first such answer, and the API
answers 503 with ``Retry-After`` at once while the resume goes on. A person at a search box is told
to come back instead of watching a request hang for half a minute.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping

from mediascribe.config import Settings
from mediascribe.jobs.connect import executor_from_settings
from mediascribe.jobs.data_api import DataApiExecutor
from mediascribe.jobs.executor import Executor
from mediascribe.search.queries import SearchPage, SearchQuery, SegmentSearch
from mediascribe.workflow.access import Caller
from mediascribe.workflow.runtime import aws_client

# One per shared executor: a new shared one (new settings, or the cache cleared on reconnecting to
# another database) gets a new search executor, with a client built for it.
_FAIL_FAST: weakref.WeakKeyDictionary[DataApiExecutor, DataApiExecutor] = weakref.WeakKeyDictionary()
_FAIL_FAST_LOCK = threading.Lock()


def search_executor(settings: Settings) -> Executor:
    """The executor searches run on: on the Data API one that does not wait for a resuming cluster."""
    shared = executor_from_settings(settings)
    if not isinstance(shared, DataApiExecutor):
        return shared
    with _FAIL_FAST_LOCK:
        executor = _FAIL_FAST.get(shared)
        if executor is None:
            executor = DataApiExecutor(
                aws_client("rds-data"),
                cluster_arn=str(settings.database_cluster_arn),
                secret_arn=str(settings.database_secret_arn),
                database=settings.database_name,
                resume_attempts=1,
            )
            _FAIL_FAST[shared] = executor
        return executor


def search_for_caller(caller: Caller, params: Mapping[str, str | None], settings: Settings) -> SearchPage:
    """One page of the caller's hits for the request's query string (``q``, ``limit``, ``cursor``)."""
    query = SearchQuery.from_params(params)
    prefix = None if caller.is_admin else caller.namespace_prefix
    return SegmentSearch(search_executor(settings)).search(query, prefix=prefix)
