#!/usr/bin/env bash
# Builds the functions and deploys the stack with the SAM CLI, then prints the API URL and the
# command that reveals the API key. Settings per stage live in samconfig.toml (docs/deploy.md).
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'EOF'
Usage: ./deploy.sh [--guided] [--stage STAGE] [--profile PROFILE] [--region REGION] [--yes] [-- SAM_DEPLOY_ARGS...]

  --guided           first deploy of a stage: sam asks for the stack name, region and parameters
                     and saves the answers in samconfig.toml
  --stage STAGE      dev (default; samconfig.toml's [default]) or the name of another environment
                     in samconfig.toml, e.g. prod
  --profile PROFILE  AWS credentials profile (otherwise the usual AWS environment and default profile)
  --region REGION    AWS region (otherwise samconfig.toml's, then the profile's)
  --yes, -y          deploy the change set without asking (needed without a terminal, e.g. in CI)
  -- ARGS            passed to `sam deploy` as they are, e.g. -- --parameter-overrides AlarmEmail=ops@example.com

Examples:
  ./deploy.sh --guided                      # first deploy of the dev stage
  ./deploy.sh --yes                         # repeat deploy, no questions
  ./deploy.sh --stage prod --profile prod   # production, confirming the change set
EOF
}

stage=dev guided=false yes=false profile='' region=''
extra=()
while (($# > 0)); do
  case $1 in
    --guided) guided=true ;;
    --stage) stage=${2:?--stage needs a value}; shift ;;
    --stage=*) stage=${1#*=} ;;
    --profile) profile=${2:?--profile needs a value}; shift ;;
    --profile=*) profile=${1#*=} ;;
    --region) region=${2:?--region needs a value}; shift ;;
    --region=*) region=${1#*=} ;;
    -y | --yes | --non-interactive) yes=true ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "deploy.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [[ ! $stage =~ ^[a-z][a-z0-9-]{0,19}$ ]]; then
  echo "deploy.sh: stage '$stage' must be lower-case letters, digits and '-', at most 20, starting with a letter." >&2
  exit 2
fi
config_env=$stage
[[ $stage == dev ]] && config_env=default

# A value from samconfig.toml: setting KEY of environment ENV, from [ENV.deploy.parameters], then [ENV.global.parameters].
config_value() {
  awk -v env="$1" -v key="$2" '
    /^\[/ { section = $0; next }
    $1 == key && (section == "[" env ".deploy.parameters]" || section == "[" env ".global.parameters]") {
      value = $0; sub(/^[^=]*=[ \t]*"?/, "", value); sub(/"?[ \t]*$/, "", value)
      if (section ~ /deploy/) { deploy = value } else { global = value }
    }
    END { print (deploy != "" ? deploy : global) }' samconfig.toml
}

known_env=false
grep -q "^\[$config_env\.deploy\.parameters\]" samconfig.toml && known_env=true
if [[ $known_env == false && $guided == false ]]; then
  echo "deploy.sh: samconfig.toml has no [$config_env] environment yet; run ./deploy.sh --stage $stage --guided once." >&2
  exit 2
fi
if [[ ! -t 0 && ($guided == true || $yes == false) ]]; then
  echo "deploy.sh: no terminal to answer questions: use --yes (and not --guided) here." >&2
  exit 2
fi

# The SAM CLI: the one on PATH, else the pinned one scripts/validate.sh installed.
sam=$(command -v sam || true)
if [[ -z $sam ]]; then
  sam=$(ls -d "${ORDER_CAPTURE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order-capture/tools}"/sam-*/bin/sam 2>/dev/null | head -n 1 || true)
fi
if [[ -z $sam ]]; then
  echo "deploy.sh: the AWS SAM CLI is not installed: see docs/deploy.md." >&2
  exit 1
fi
command -v npm >/dev/null || { echo "deploy.sh: sam build needs Node.js 22 and npm: see docs/deploy.md." >&2; exit 1; }

# sam build bundles with esbuild: the project's own (after npm install), else the pinned version,
# installed once on its own (no npm install needed just to deploy).
if [[ -x node_modules/.bin/esbuild ]]; then
  PATH="$PWD/node_modules/.bin:$PATH"
elif ! command -v esbuild >/dev/null; then
  version=$(node -p "require('./package.json').devDependencies.esbuild")
  if [[ ! -x .aws-sam/esbuild/node_modules/.bin/esbuild ]]; then
    echo "==> Installing esbuild $version for sam build"
    npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix .aws-sam/esbuild "esbuild@$version"
  fi
  PATH="$PWD/.aws-sam/esbuild/node_modules/.bin:$PATH"
fi
export PATH SAM_CLI_TELEMETRY=${SAM_CLI_TELEMETRY:-0}

aws_args=()
[[ -n $profile ]] && aws_args+=(--profile "$profile")
[[ -n $region ]] && aws_args+=(--region "$region")

echo "==> sam build ($config_env)"
"$sam" build --config-env "$config_env"

deploy_args=(--config-env "$config_env" ${aws_args[@]+"${aws_args[@]}"})
if [[ $guided == true ]]; then
  deploy_args+=(--guided)
  # Defaults for the questions of a stage that has no environment yet.
  [[ $known_env == false ]] && deploy_args+=(--stack-name "order-capture-$stage" --parameter-overrides "StageName=$stage")
fi
[[ $yes == true ]] && deploy_args+=(--no-confirm-changeset)

echo "==> sam deploy ($config_env)"
"$sam" deploy "${deploy_args[@]}" ${extra[@]+"${extra[@]}"}

# Where it went (a guided deploy may have changed the stack name or region).
stack=$(config_value "$config_env" stack_name)
[[ -z $region ]] && region=$(config_value "$config_env" region)
list_args=(--stack-name "${stack:-order-capture-$stage}" --output json)
[[ -n $profile ]] && list_args+=(--profile "$profile")
[[ -n $region ]] && list_args+=(--region "$region")
outputs=$("$sam" list stack-outputs "${list_args[@]}")
output() { node -e 'const [o, k] = [JSON.parse(process.argv[1]), process.argv[2]]; process.stdout.write((o.find((x) => x.OutputKey === k) || {}).OutputValue || "")' "$outputs" "$1"; }
api_url=$(output ApiUrl)
api_key_id=$(output ApiKeyId)
cli_tail=''
[[ -n $profile ]] && cli_tail+=" --profile $profile"
[[ -n $region ]] && cli_tail+=" --region $region"

cat <<EOF

Deployed stack ${stack:-order-capture-$stage}.
  API URL:     $api_url
  API key id:  $api_key_id

Reveal the API key (needs the AWS CLI, or see API Gateway > API keys in the console):
  aws apigateway get-api-key --api-key $api_key_id --include-value --query value --output text$cli_tail

Then, for example:
  curl -H "x-api-key: <the key>" $api_url/stock/456

Check it end to end (Postman collection and guarantee smoke; after npm install):
  ${profile:+AWS_PROFILE=$profile }npm run test:deployed -- --stack ${stack:-order-capture-$stage}${region:+ --region $region}
EOF
