#!/usr/bin/env bash
# Property-based fuzzing of the HTTP API from its contract, swagger.yaml, with Schemathesis (pinned
# in requirements-fuzz.txt, in a venv of its own): starts the local stack (`npm start`), sends a
# fixed budget of generated requests (valid and invalid) with a fixed seed, one at a time, stops the
# stack, and fails on any finding: a 5xx, an answer that breaks its schema, a status or content type
# the contract does not list for the operation, a valid request refused or an invalid one accepted.
#
#   FUZZ_SEED          generation seed (default 20240601): the same seed sends the same requests
#   FUZZ_MAX_EXAMPLES  generated requests per operation and phase (default 50)
#
# The contract's api_key scheme is enforced by API Gateway, not by the local stack: every request
# carries an x-api-key header, and the checks that the key is required (ignored_auth,
# missing_required_header) are left out. scripts/fuzz_hooks.py forgives the one refusal of
# schema-valid data the contract asks for (an order that lists a product twice).
# Reports (JUnit XML) and the stack's log go to .local/fuzz/.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SEED=${FUZZ_SEED:-20240601}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-50}
OUT=$ROOT/.local/fuzz
# Node 22 and local-sam come from the project's devDependencies (run `npm ci` first).
export PATH="$ROOT/node_modules/.bin:$PATH"

started=$SECONDS
step() { printf '\n==> %s\n' "$*"; }

step "Schemathesis (pinned in requirements-fuzz.txt)"
VENV=$(bash scripts/tools-venv.sh schemathesis requirements-fuzz.txt)
echo "    $("$VENV/bin/schemathesis" --version)"

mkdir -p "$OUT"
STACK_PID=
stop_stack() {
  [[ -n $STACK_PID ]] || return 0
  # The stack runs in a process group of its own: end all of it, the JVM included.
  kill -TERM -- "-$STACK_PID" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 -- "-$STACK_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$STACK_PID" 2>/dev/null || true
  STACK_PID=
}
trap stop_stack EXIT

# start_stack -> 0 when the stack is up (its URL in $URL), 1 when it did not start.
start_stack() {
  rm -f "$OUT/stack.json"
  set -m
  local-sam start --port 0 --state-file "$OUT/stack.json" --env-vars-file "$OUT/env.json" \
    --build-dir "$OUT/build" --parent-pid $$ >"$OUT/stack.log" 2>&1 &
  STACK_PID=$!
  set +m
  for _ in $(seq 1 1800); do
    if [[ -f $OUT/stack.json ]]; then
      URL=$(node -p 'require(process.argv[1]).url' "$OUT/stack.json")
      return 0
    fi
    kill -0 "$STACK_PID" 2>/dev/null || break
    sleep 0.1
  done
  stop_stack
  return 1
}

step "Local stack (npm start)"
if ! start_stack; then
  # A machine too busy for a function's 10 s init phase (Lambda's limit) gets one more try.
  grep -q 'did not initialise within' "$OUT/stack.log" && start_stack ||
    { tail -30 "$OUT/stack.log" >&2; echo "The local stack did not start (log above: $OUT/stack.log)." >&2; exit 1; }
fi
echo "    $URL"

step "schemathesis run swagger.yaml (seed $SEED, at most $MAX_EXAMPLES requests per operation and phase)"
status=0
PYTHONDONTWRITEBYTECODE=1 SCHEMATHESIS_HOOKS=$ROOT/scripts/fuzz_hooks.py "$VENV/bin/schemathesis" run swagger.yaml \
  --url "$URL" \
  --seed "$SEED" \
  --max-examples "$MAX_EXAMPLES" \
  --workers 1 \
  --generation-database none \
  --checks all \
  --exclude-checks ignored_auth,missing_required_header \
  --header 'x-api-key: local-stack-does-not-check-it' \
  --request-timeout 30 \
  --report junit --report-dir "$OUT/report" \
  --no-color || status=$?
stop_stack

if ((status != 0)); then
  echo "Fuzzing found problems (above; the stack's log is $OUT/stack.log)." >&2
  exit "$status"
fi
printf '\nFuzzing passed in %ss.\n' "$((SECONDS - started))"
