"""The ``mediascribe estimate`` command (registered by ``mediascribe.cli``): cost before sending."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mediascribe.config import Settings
from mediascribe.costs import prices, usage_document
from mediascribe.estimate import ENGINES, engine_choices, estimate_file

EXIT_OK = 0


def add_estimate_command(commands: Any) -> None:
    """Add ``estimate`` to the CLI's subparsers."""
    command = commands.add_parser(
        "estimate",
        help="what files would cost, without transcribing them",
        description="Split each file as the workflow would and find its speech with the workflow's own "
        "detector, then print its duration, speech, chunks and requests, and per engine the billed audio "
        "seconds and the cost: the engine's price and the stack's own share (Lambda, Step Functions, "
        "Data API, S3, notes). Prices and their dates: docs/costs.md.",
    )
    command.add_argument("files", nargs="+", type=Path, metavar="FILE")
    command.add_argument("--engine", choices=ENGINES, help="only this engine (OpenAI: every priced model)")
    command.add_argument("--json", action="store_true", help="print one JSON document per file")
    command.set_defaults(run=run_estimate)


def run_estimate(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    choices = engine_choices(settings, args.engine)
    for path in args.files:
        estimates = [usage_document(quantities) for quantities in estimate_file(path, settings, choices)]
        if args.json:
            print(json.dumps({"file": str(path), "estimates": estimates, "prices": _prices()}, indent=2))
        else:
            print(_table(path, estimates))
    return EXIT_OK


def _table(path: Path, estimates: list[dict[str, Any]]) -> str:
    first = estimates[0]
    speech = first["speech_seconds"]
    lines = [
        f"{path.name}: {first['duration_seconds']:.1f} s, {speech:.1f} s of speech",
        f"{'engine':<10} {'model':<34} {'chunks':>6} {'requests':>8} {'billed s':>9} "
        f"{'engine $':>9} {'stack $':>9} {'total $':>9}",
    ]
    for estimate in estimates:
        cost = estimate["estimated_cost"]
        lines.append(
            f"{estimate['engine']:<10} {estimate['model']:<34} {estimate['chunks']:>6} "
            f"{estimate['requests']:>8} {estimate['billed_seconds']:>9.1f} {_dollars(cost['engine'])} "
            f"{_dollars(cost['stack_total'])} {_dollars(cost['total'])}"
        )
    return "\n".join(lines)


def _prices() -> dict[str, dict[str, Any]]:
    """Every price the estimate used, with the page it was read from and when."""
    return {name: asdict(price) for name, price in prices().items()}


def _dollars(value: float | None) -> str:
    return f"{'n/a':>9}" if value is None else f"{value:>9.4f}"
