#!/usr/bin/env bash
# Static security and correctness checks of template.yaml: cfn-lint, checkov and `sam validate --lint`.
# checkov and aws-sam-cli pin conflicting dependencies (with each other and with .venv), so each gets
# its own venv under .venv-tools/ (tools/tool_venv.py holds the pins and builds them, rebuilt only
# when a pin changes). Set SKIP_SAM_VALIDATE=1 to skip the (optional, ~100 MB) SAM CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
TOOLS=.venv-tools

# tool_venv NAME: make sure .venv-tools/NAME has exactly its pin installed.
tool_venv() {
  PYTHON="$PYTHON" "$PYTHON" -m tools.tool_venv "$1" >/dev/null
}

echo "check-template: cfn-lint"
.venv/bin/cfn-lint template.yaml

echo "check-template: checkov"
tool_venv checkov
# Skips are justified in .checkov.yaml (checks skipped for every resource) or inline in the
# template's Metadata (one resource), never here.
"$TOOLS/checkov/bin/checkov" --config-file .checkov.yaml --file template.yaml

if [[ "${SKIP_SAM_VALIDATE:-0}" != "1" ]]; then
  echo "check-template: sam validate --lint"
  tool_venv sam
  # Validation is local; the CLI insists on a region but never contacts it.
  AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" SAM_CLI_TELEMETRY=0 \
    "$TOOLS/sam/bin/sam" validate --lint --template-file template.yaml

  # Linting what SAM generates (roles, permissions, the S3 notification) catches circular
  # dependencies and invalid generated resources that the SAM-level lint cannot see. The language
  # extensions decide each condition before SAM runs, so each database mode is expanded on its own:
  # the stack's own database (defaults) and an existing one reached from the functions' subnets.
  expanded=$(mktemp -d)
  trap 'rm -rf "$expanded"' EXIT
  # The default engine calls OpenAI, so both modes give its key (the OpenAIKeyWhenUsed rule).
  openai_key="OpenAIApiKeySecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf"
  # The second mode also sends webhooks, so the resources that exist only with WebhookUrl are expanded.
  webhook="WebhookUrl=https://hooks.example.com/in WebhookSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:hook-AbCdEf"
  declare -A modes=(
    [own-database]="$openai_key"
    [existing-database-in-vpc]="$openai_key $webhook DatabaseSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:jobs-db-AbCdEf DatabaseHost=db.example.internal VpcSubnetIds=subnet-0123456789abcdef0,subnet-0fedcba9876543210 VpcSecurityGroupIds=sg-0123456789abcdef0"
  )
  for mode in "${!modes[@]}"; do
    out="$expanded/$mode.json"
    # shellcheck disable=SC2086 # the parameters are separate words
    AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" \
      PYTHONPATH=.:tests/template "$TOOLS/sam/bin/python" -m tools.template.translate_template \
      template.yaml "$out" ${modes[$mode]}
    echo "check-template: cfn-lint on the SAM-expanded template ($mode)"
    # Each mode decides every condition, so a mapping read only under another mode's conditions
    # (NovaMicroProfiles, for Bedrock notes) is unused there; the template itself is linted in full.
    .venv/bin/cfn-lint --ignore-checks W7001 -- "$out"
    echo "check-template: checkov on the SAM-expanded template ($mode)"
    "$TOOLS/checkov/bin/checkov" --config-file .checkov.yaml --file "$out"
    echo "check-template: IAM wildcards, extra stages and unscoped permissions in the SAM-expanded template ($mode)"
    PYTHONPATH=.:tests:tests/template .venv/bin/python -m tools.template.check_expanded "$out"
  done
fi

echo "check-template: all checks passed"
