"""The ``mediascribe open`` command (registered by ``mediascribe.cli``): a deployed job's page.

The page and its media sit in the stack's private bucket; the jobs API signs a fresh GET URL for
each (``GET /jobs/{id}/page``), and the page is opened with the media's URL in its fragment. A local
run needs none of this: its page is ``<name>.html`` in the ``--out`` folder, beside the other outputs.
"""

from __future__ import annotations

import argparse
import json
import sys
import webbrowser
from collections.abc import Callable
from typing import Any

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError

EXIT_OK = 0
ApiArgument = Callable[..., None]


def add_open_command(commands: Any, add_api_argument: ApiArgument) -> None:
    """Add ``open`` to the CLI's subparsers; ``add_api_argument`` is the CLI's ``--api`` option."""
    command = commands.add_parser(
        "open",
        help="open a completed job's transcript page (deployed stack)",
        description="Ask the deployed jobs API for fresh URLs of the job's transcript page and its media, "
        "print the one to open and open it in the browser. The URLs expire (expires_in seconds). A local "
        "run's page is <name>.html in its --out folder.",
    )
    command.add_argument("job_id", metavar="JOB_ID")
    add_api_argument(command, required=True)
    command.add_argument("--no-browser", action="store_true", help="only print the URL")
    command.add_argument(
        "--json",
        action="store_true",
        help="print the whole answer: page_url, media_url, open_url, expires_in",
    )
    command.set_defaults(run=run_open)


def run_open(args: argparse.Namespace) -> int:
    from mediascribe.remote import ApiClient

    api_url = args.api or Settings.from_env().api_url
    if not api_url:
        raise ConfigurationError(
            "give --api URL or set MEDIASCRIBE_API_URL (the stack's JobsApiUrl output); "
            "a local run's page is <name>.html in its --out folder"
        )
    links = ApiClient.from_default_session(api_url).page(args.job_id)
    print(json.dumps(links, indent=2) if args.json else links["open_url"])
    if not args.no_browser and not webbrowser.open(links["open_url"]):
        print("mediascribe: no browser to open; open the URL above", file=sys.stderr)
    print(f"mediascribe: the URLs expire in {links['expires_in']} s", file=sys.stderr)
    return EXIT_OK
