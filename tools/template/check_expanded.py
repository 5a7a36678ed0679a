"""Report IAM wildcards and generated-resource findings of templates SAM has expanded.

The policies SAM generates pass the same rules as the ones written by hand (``template_support``).
From the repository root, with the test helpers on the path:

    PYTHONPATH=.:tests:tests/template .venv/bin/python -m tools.template.check_expanded expanded.json ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from template_support import generated_findings, policy_statements, wildcard_findings


def main(paths: list[str]) -> int:
    """Print each finding of each expanded template; 1 if there was any."""
    failed = False
    for path in paths:
        template = json.loads(Path(path).read_text(encoding="utf-8"))
        for finding in wildcard_findings(list(policy_statements(template))) + generated_findings(template):
            print(f"{path}: {finding}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
