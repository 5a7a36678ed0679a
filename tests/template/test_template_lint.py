"""cfn-lint on the template (checkov and `sam validate --lint` run from scripts/check-template.sh)."""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import lint_file
from template_support import TEMPLATE_PATH


def findings(path: Path) -> list[str]:
    return [f"{m.rule.id} {m.linenumber}: {m.message}" for m in lint_file(path)]


def test_cfn_lint_finds_nothing() -> None:
    assert findings(TEMPLATE_PATH) == []


def test_cfn_lint_catches_a_broken_function(tmp_path: Path) -> None:
    """Proves the SAM resources are really linted, not passed through untransformed."""
    broken = TEMPLATE_PATH.read_text(encoding="utf-8").replace(
        "      CodeUri: functions/start_job/\n",
        "      CodeUri: functions/start_job/\n      MemorySize: lots\n",
        1,
    )
    path = tmp_path / "template.yaml"
    path.write_text(broken, encoding="utf-8")
    assert any(finding.startswith("E3012") for finding in findings(path)), findings(path)
