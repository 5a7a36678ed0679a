"""``GET /search`` on the jobs function, invoked as API Gateway invokes it, with the template's config."""

from __future__ import annotations

import json

from mediascribe.local.template import read_template
from mediascribe.workflow.access import namespace_of, normalise_principal
from support.api_gateway import proxy_event
from support.fake_data_api import FakeDataApi
from support.media_factory import make_speech_like
from support.paths import TEMPLATE
from support.virtual_clock import VirtualClock

ALICE = "arn:aws:iam::123456789012:user/alice"
BOB = "arn:aws:sts::123456789012:assumed-role/reviewer/bob"
TRANSCRIPT_WORD = "chunk"
# How long the stand-in's cluster takes to resume from its pause.
RESUME_SECONDS = 15.0


def _get(workflow, query: dict[str, str], caller: str | None = ALICE) -> tuple[int, dict, dict]:
    event = proxy_event("GET", "/search", query, {}, b"", caller)
    payload, error = workflow.invoke("JobsApiFunction", event)
    assert error is None, payload
    # The REST proxy response may carry each header in either form.
    headers = {name: values[-1] for name, values in (payload.get("multiValueHeaders") or {}).items()}
    headers.update(payload.get("headers") or {})
    return payload["statusCode"], headers, json.loads(payload["body"])


def _transcribe(workflow, media, principal: str, name: str) -> str:
    key = f"uploads/{namespace_of(normalise_principal(principal))}/{name}"
    workflow.upload(media, key)
    job_id: str = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
    assert workflow.wait(workflow.execution_arn(job_id)).status == "SUCCEEDED"
    return job_id


def test_the_route_is_an_iam_authorised_get_of_the_jobs_api() -> None:
    template = read_template(TEMPLATE)
    api = template["Resources"]["JobsApi"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    events = template["Resources"]["JobsApiFunction"]["Properties"]["Events"]
    (route,) = [e["Properties"] for e in events.values() if e["Properties"].get("Path") == "/search"]
    assert route == {"RestApiId": {"Ref": "JobsApi"}, "Path": "/search", "Method": "GET"}


def test_a_caller_finds_its_own_transcripts_and_no_one_elses(make_workflow, tmp_path) -> None:
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_workflow() as workflow:
        alices = _transcribe(workflow, media, ALICE, "a/talk.mp3")
        bobs = _transcribe(workflow, media, BOB, "b/talk.mp3")
        status, headers, page = _get(workflow, {"q": TRANSCRIPT_WORD})
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        assert [hit["job_id"] for hit in page["hits"]] == [alices]
        assert page["next_cursor"] is None
        (hit,) = page["hits"]
        assert hit["source_key"].endswith("/a/talk.mp3") and hit["title"] == "talk.mp3"
        assert 0 <= hit["start"] < hit["end"] <= 3.5 and "«chunk»" in hit["snippet"]
        assert [h["job_id"] for h in _get(workflow, {"q": TRANSCRIPT_WORD}, BOB)[2]["hits"]] == [bobs]


def test_malformed_searches_answer_400_and_an_anonymous_one_403(make_workflow) -> None:
    with make_workflow() as workflow:
        for query in ({}, {"q": " "}, {"q": "x", "limit": "0"}, {"q": "x", "limit": "ten"}):
            status, _, body = _get(workflow, query)
            assert (status, body["error"]) == (400, "InvalidSearchError"), query
        status, _, body = _get(workflow, {"q": "x", "cursor": "bm90IGEgY3Vyc29y"})
        assert (status, body["message"]) == (400, "the cursor is not one a search returned")
        assert _get(workflow, {"q": "x"}, caller=None)[0] == 403


def test_a_paused_cluster_answers_503_with_retry_after_at_once(make_workflow, database, _migrated) -> None:
    """The first call wakes the cluster; the caller is told when to come back instead of waiting
    past API Gateway's 29 s for the resume (which would end in a gateway timeout)."""
    clock = VirtualClock()
    with FakeDataApi(_migrated, clock=clock) as data_api:
        environment = {
            "DATABASE_MODE": "data-api",
            "DATABASE_CLUSTER_ARN": data_api.cluster_arn,
            "DATABASE_SECRET_ARN": data_api.secret_arn,
            "AWS_ENDPOINT_URL_RDS_DATA": data_api.endpoint_url,
        }
        with make_workflow(**environment) as workflow:
            data_api.resume_for_seconds(RESUME_SECONDS)
            status, headers, body = _get(workflow, {"q": TRANSCRIPT_WORD})
            assert (status, body["error"]) == (503, "DatabaseUnavailableError")
            assert int(headers["Retry-After"]) > 0
            # One call, answered at once: no retry waiting for the resume on the way.
            assert data_api.errors == ["DatabaseResumingException"]
            clock.advance(RESUME_SECONDS)
            status, _, body = _get(workflow, {"q": TRANSCRIPT_WORD})
            assert (status, body) == (200, {"hits": [], "next_cursor": None})


def test_the_search_executor_follows_the_shared_one_when_it_is_replaced(postgres_dsn, database) -> None:
    """After the shared executors are closed (a local run's end, a switch of database), a search
    must not run on a closed one."""
    from mediascribe.config import Settings
    from mediascribe.jobs.connect import clear_executor_cache
    from mediascribe.search.api import search_executor
    from mediascribe.search.queries import SearchQuery, SegmentSearch

    settings = Settings.from_env({"DATABASE_URL": postgres_dsn})
    query = SearchQuery(TRANSCRIPT_WORD)
    assert SegmentSearch(search_executor(settings)).search(query, prefix=None).hits == ()
    clear_executor_cache()
    assert SegmentSearch(search_executor(settings)).search(query, prefix=None).hits == ()
