"""Lint the state machine definition after substituting its placeholders (``make lint``).

``statelint`` validates the Amazon States Language itself; placeholders are replaced with realistic
ARNs first because a raw ``${...}`` is not a valid resource.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from statelint.linter import Linter

from mediascribe.local.definition import sample_substitutions, substitute


def lint_definition(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return list(Linter.validate(substitute(text, sample_substitutions(text))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("definition", type=Path, nargs="+", help="ASL JSON file(s)")
    args = parser.parse_args(argv)
    failed = False
    for path in args.definition:
        problems = lint_definition(path)
        for problem in problems:
            print(f"{path}: {problem}", file=sys.stderr)
        failed = failed or bool(problems)
        if not problems:
            print(f"{path}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
