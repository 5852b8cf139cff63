#!/usr/bin/env bash
# Validates the deployable stack (template.yaml and the monitoring.yaml it nests) offline, with no
# AWS account: sam validate --lint, cfn-lint with
# AWS's serverless rules (cfn-lint-serverless), sam build (esbuild) and checkov, all at the versions
# pinned in requirements-*.txt. Any error, cfn-lint warning or failed checkov check fails the run.
# Accepted findings are suppressed with their reason: next to their resource in template.yaml, or,
# for a rule that fits no resource of its kind here (every function, every queue), once in
# .cfnlintrc.yaml or .checkov.yaml. Ends with each function's bundle size.
#
# The tools live in venvs made by scripts/tools-venv.sh (keyed by the hash of their requirements,
# shared between clones).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS_DIR=${ORDER_CAPTURE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order-capture/tools}
REGION=us-east-1

# No credentials exist and none are needed: keep every AWS client from looking for them remotely.
export SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION
# sam build runs `npm install --omit=dev` in a scratch copy per function: from the lockfile, the
# packages `npm install` just cached, quietly.
export npm_config_prefer_offline=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# esbuild and Node 22 come from the project's devDependencies (run `npm install` first).
export PATH="$ROOT/node_modules/.bin:$PATH"

started=$SECONDS
step() { printf '\n==> %s\n' "$*"; }
took() { printf '    (%ss)\n' "$(($SECONDS - $1))"; }

step "Tools (pinned in requirements-tools.txt and requirements-checkov.txt)"
t=$SECONDS
if [[ ! -x node_modules/.bin/esbuild ]]; then
  echo "node_modules/.bin/esbuild is missing: run 'npm install' first." >&2
  exit 1
fi
# Both venvs at once: a cold install is network- and unpack-bound.
mkdir -p "$TOOLS_DIR"
bash scripts/tools-venv.sh sam requirements-tools.txt >"$TOOLS_DIR/.sam.path" 2>"$TOOLS_DIR/.sam.err" &
sam_job=$!
bash scripts/tools-venv.sh checkov requirements-checkov.txt >"$TOOLS_DIR/.checkov.path" 2>"$TOOLS_DIR/.checkov.err" &
checkov_job=$!
failed=0
wait $sam_job || { cat "$TOOLS_DIR/.sam.err" >&2; failed=1; }
wait $checkov_job || { cat "$TOOLS_DIR/.checkov.err" >&2; failed=1; }
((failed == 0)) || exit 1
SAM_VENV=$(cat "$TOOLS_DIR/.sam.path")
CHECKOV_VENV=$(cat "$TOOLS_DIR/.checkov.path")
rm -f "$TOOLS_DIR"/.{sam,checkov}.{path,err}
echo "    $("$SAM_VENV/bin/sam" --version)"
echo "    cfn-lint $("$SAM_VENV/bin/cfn-lint" --version | awk '{print $NF}'), cfn-lint-serverless $("$SAM_VENV/bin/python" -c 'from importlib.metadata import version; print(version("cfn-lint-serverless"))')"
echo "    checkov $("$CHECKOV_VENV/bin/checkov" --version)"
echo "    node $(node --version), npm $(npm --version 2>/dev/null), esbuild $(esbuild --version)"
took $t

step "sam validate --lint"
t=$SECONDS
"$SAM_VENV/bin/sam" validate --lint --template template.yaml --region "$REGION"
took $t

step "cfn-lint template.yaml and its nested monitoring.yaml with the serverless rules (errors and warnings fail)"
t=$SECONDS
"$SAM_VENV/bin/cfn-lint" --config-file .cfnlintrc.yaml --format pretty -- template.yaml monitoring.yaml
echo "    no errors, no warnings"
took $t

step "sam build --cached --parallel --language-extensions (esbuild; monitoring.yaml's Fn::ForEach)"
t=$SECONDS
"$SAM_VENV/bin/sam" build --cached --parallel --language-extensions --template template.yaml
took $t

step "checkov -f template.yaml -f monitoring.yaml --framework cloudformation (failed checks fail)"
t=$SECONDS
status=0
report=$("$CHECKOV_VENV/bin/checkov" --config-file .checkov.yaml -f template.yaml -f monitoring.yaml --framework cloudformation --skip-download --compact 2>&1) || status=$?
if ((status != 0)); then
  echo "$report"
  echo "checkov found failed checks: fix them, or suppress each next to its resource with a reason (.checkov.yaml for a check that fits no resource of its kind)." >&2
  exit 1
fi
echo "$report" | grep -E '^Passed checks' | sed 's/^/    /'
took $t

# ---- deploy pipeline (begin): the GitHub Actions workflow and its OIDC roles' template -------
# actionlint at a pinned version, built with `go install` (the Go toolchain and its module proxy)
# into the tools folder once; shellcheck and pyflakes are off so that the result does not depend
# on what else the machine has. The roles' template gets the same cfn-lint and checkov as above.
ACTIONLINT_VERSION=1.7.12
step "actionlint $ACTIONLINT_VERSION .github/workflows/*.yaml"
t=$SECONDS
actionlint=$TOOLS_DIR/actionlint-$ACTIONLINT_VERSION/actionlint
if [[ ! -x $actionlint ]]; then
  command -v go >/dev/null || { echo "Go is needed to install actionlint (go install): see https://go.dev/doc/install" >&2; exit 1; }
  GOBIN=$(dirname "$actionlint") GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
fi
"$actionlint" -shellcheck= -pyflakes= .github/workflows/*.yaml
echo "    no findings"
took $t

step "cfn-lint and checkov pipeline/github-oidc-role.yaml (the pipeline's roles)"
t=$SECONDS
"$SAM_VENV/bin/cfn-lint" --format pretty -- pipeline/github-oidc-role.yaml
status=0
report=$("$CHECKOV_VENV/bin/checkov" -f pipeline/github-oidc-role.yaml --framework cloudformation --skip-download --compact 2>&1) || status=$?
if ((status != 0)); then
  echo "$report"
  echo "checkov found failed checks in pipeline/github-oidc-role.yaml." >&2
  exit 1
fi
echo "    cfn-lint: no errors, no warnings; checkov: $(echo "$report" | grep -E '^Passed checks')"
took $t
# ---- deploy pipeline (end) ---------------------------------------------------------------------

step "Bundle sizes (.aws-sam/build)"
"$SAM_VENV/bin/python" - <<'PY'
import io, os, zipfile
root = '.aws-sam/build'
rows = []
for name in sorted(os.listdir(root)):
    folder = os.path.join(root, name)
    if not os.path.isdir(folder):
        continue
    files = [os.path.join(dirpath, f) for dirpath, _, names in os.walk(folder) for f in names]
    code = sum(os.path.getsize(f) for f in files if f.endswith(('.js', '.mjs', '.cjs')))
    maps = sum(os.path.getsize(f) for f in files if f.endswith('.map'))
    if code == 0:
        continue  # a nested template (MonitoringStack), not a function
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.write(f, os.path.relpath(f, folder))
    rows.append((name, code, maps, buffer.tell()))
kib = lambda n: f'{n / 1024:,.1f} KiB'
print(f"    {'function':<24}{'bundle':>14}{'source map':>14}{'zipped':>14}")
for name, code, maps, zipped in rows:
    print(f'    {name:<24}{kib(code):>14}{kib(maps):>14}{kib(zipped):>14}')
PY

printf '\nValidation passed in %ss.\n' "$(($SECONDS - started))"
