"""Data API adapter overhead: one job's database traffic over the RDS Data API against psycopg2.

Both adapters run the same repository calls a job makes through the workflow (create, start, record
media, progress, chunk total, one call per finished chunk, complete with the transcript, a status
read with the content) on the same throwaway PostgreSQL. The Data API side goes through a real boto3
``rds-data`` client (serialisation, SigV4 signing, HTTP, parsing) to the stand-in on 127.0.0.1, so the
difference is the adapter's own cost plus one local HTTP exchange per call; the network round trip to
the real service (a few milliseconds per call inside a region) comes on top of it.

Run: PYTHONPATH=tests:bench .venv/bin/python bench/bench_data_api.py [--jobs 30] [--chunks 8]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

from mediascribe.ids import job_id_for_object
from mediascribe.jobs import SourceObject
from mediascribe.jobs.data_api import DataApiExecutor
from mediascribe.jobs.database import Database
from mediascribe.jobs.executor import Executor
from mediascribe.jobs.repository import JobRepository
from mediascribe.jobs.schema import apply_migrations
from mediascribe.jobs.status import get_job_status
from mediascribe.local.postgres import LocalPostgres
from results_file import write_section
from support.fake_data_api import CLUSTER_ARN, SECRET_ARN, FakeDataApi, data_api_client_for

TRANSCRIPT = "A sentence of an ordinary meeting transcript, with a few words more. " * 700  # ~48 KB


def one_job(repository: JobRepository, serial: int, chunks: int) -> int:
    """The repository calls of one job through the workflow; returns how many there were."""
    source = SourceObject(
        "bench-bucket", f"uploads/bench-{serial}.mp3", etag=f'"{serial}"', size_bytes=1 << 20
    )
    job, _ = repository.create_job(
        job_id_for_object(source.bucket, source.key, source.version), source, "b.mp3"
    )
    repository.start(job.id, f"arn:aws:states:us-east-1:123456789012:execution:sm:{job.id}")
    repository.record_media(job.id, "audio", 3600.0)
    repository.update_progress(job.id, 15, "preparing")
    repository.set_chunk_total(job.id, chunks)
    for index in range(chunks):
        repository.chunk_finished(job.id, index)
    repository.complete(job.id, TRANSCRIPT, {"chunk_count": chunks, "outputs": {"txt": "jobs/x/t.txt"}})
    get_job_status(repository, job.id, include_content=True)
    return 8 + chunks


def time_jobs(executor: Executor, first_serial: int, jobs: int, chunks: int) -> list[tuple[float, float]]:
    """(wall seconds, this process's CPU seconds) per job."""
    repository = JobRepository(executor)
    samples = []
    for serial in range(first_serial, first_serial + jobs):
        wall, cpu = time.perf_counter(), time.process_time()
        one_job(repository, serial, chunks)
        samples.append((time.perf_counter() - wall, time.process_time() - cpu))
    return samples


def serve_data_api(dsn: str, address: Queue, stop: Event) -> None:
    """The stand-in in its own process, as the service is: its CPU is not the client's."""
    with FakeDataApi(dsn) as api:
        address.put(api.endpoint_url)
        stop.wait()
        address.put(len(api.calls))


def measure(jobs: int, chunks: int) -> dict[str, float]:
    with LocalPostgres() as server:
        postgres = Database(server.dsn)
        apply_migrations(postgres)
        address: Queue = multiprocessing.Queue()
        stop = multiprocessing.Event()
        child = multiprocessing.Process(target=serve_data_api, args=(server.dsn, address, stop))
        child.start()
        try:
            endpoint = address.get(timeout=30)
            data_api = DataApiExecutor(
                data_api_client_for(endpoint), cluster_arn=CLUSTER_ARN, secret_arn=SECRET_ARN
            )
            # Warm both paths (connections, botocore's model loading), then interleave the runs.
            time_jobs(postgres, 0, 2, chunks)
            time_jobs(data_api, 2, 2, chunks)
            pg_samples: list[tuple[float, float]] = []
            api_samples: list[tuple[float, float]] = []
            serial = 10
            for _ in range(jobs):
                pg_samples += time_jobs(postgres, serial, 1, chunks)
                api_samples += time_jobs(data_api, serial + 1, 1, chunks)
                serial += 2
        finally:
            stop.set()
            calls = address.get(timeout=30)
            child.join(timeout=30)
            postgres.close()
    http_calls = calls / (jobs + 2)
    repository_calls = 8 + chunks
    pg_wall, pg_cpu = (statistics.median(column) for column in zip(*pg_samples, strict=True))
    api_wall, api_cpu = (statistics.median(column) for column in zip(*api_samples, strict=True))
    return {
        "repository_calls": repository_calls,
        "http_calls": http_calls,
        "pg_ms": pg_wall * 1000,
        "api_ms": api_wall * 1000,
        "pg_cpu_ms": pg_cpu * 1000,
        "api_cpu_ms": api_cpu * 1000,
        "ratio": api_wall / pg_wall,
        "cpu_ratio": api_cpu / pg_cpu,
        "per_call_ms": (api_wall - pg_wall) * 1000 / http_calls,
        "per_call_cpu_ms": (api_cpu - pg_cpu) * 1000 / http_calls,
    }


def report(result: dict[str, float], jobs: int, chunks: int) -> str:
    return (
        f"One job's database traffic: {result['repository_calls']:.0f} repository calls "
        f"({chunks} chunks, a 48 KB transcript written and read back), median of {jobs} jobs per adapter, "
        "interleaved, on one throwaway PostgreSQL. The stand-in runs in its own process; CPU is the "
        "client process's own (adapter, botocore, psycopg2), steadier than wall time on a shared machine.\n\n"
        "| Adapter | Wall time per job | Client CPU per job | Round trips per job "
        "| Wall / CPU against psycopg2 |\n"
        "|---|---|---|---|---|\n"
        f"| psycopg2 (baseline, one reused connection) | {result['pg_ms']:.1f} ms "
        f"| {result['pg_cpu_ms']:.1f} ms "
        f"| {result['repository_calls']:.0f} transactions | 1.00 / 1.00 |\n"
        f"| Data API (boto3 `rds-data` to the stand-in on 127.0.0.1) | {result['api_ms']:.1f} ms "
        f"| {result['api_cpu_ms']:.1f} ms | {result['http_calls']:.0f} HTTP calls "
        f"| {result['ratio']:.2f} / {result['cpu_ratio']:.2f} |\n\n"
        f"Per HTTP call the Data API adapter adds {result['per_call_ms']:.2f} ms of wall time, of which "
        f"{result['per_call_cpu_ms']:.2f} ms is client CPU (request building, SigV4 signing, parsing). A "
        "repository call of one statement is one ExecuteStatement; create and complete are BeginTransaction, "
        "their statements and CommitTransaction. The real service adds "
        "its network round trip per HTTP call on top; next to a job's minutes of transcription both "
        "are small.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--chunks", type=int, default=8)
    args = parser.parse_args()
    result = measure(args.jobs, args.chunks)
    body = report(result, args.jobs, args.chunks)
    print(body)
    write_section(
        "Data API adapter overhead",
        body,
        "PYTHONPATH=tests:bench .venv/bin/python bench/bench_data_api.py"
        f" --jobs {args.jobs} --chunks {args.chunks}",
    )


if __name__ == "__main__":
    main()
