#!/usr/bin/env bash
# Moves the messages of a dead-letter queue back to the queue they failed in, once the cause is
# fixed (SQS's message move task: aws sqs start-message-move-task). See docs/operations.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/redrive.sh DLQ [--stack-name NAME] [--profile PROFILE] [--region REGION]
                              [--rate MESSAGES_PER_SECOND] [--status] [--yes]

  DLQ            the dead-letter queue: its logical id in template.yaml (e.g. ShipOrderDeadLetterQueue),
                 its URL or its ARN
  --stack-name   the stack a logical id belongs to (default: order-capture-dev)
  --rate         at most this many messages per second (default: as fast as SQS goes)
  --status       only show the queue's recent move tasks and how many messages it holds
  --yes          do not ask before moving

Needs the AWS CLI v2 and sqs:StartMessageMoveTask, sqs:ReceiveMessage, sqs:DeleteMessage and
sqs:GetQueueAttributes on the dead-letter queue, and sqs:SendMessage on the queue it feeds back.
EOF
}

queue='' stack=order-capture-dev rate='' status_only=false yes=false
aws_args=()
while (($# > 0)); do
  case $1 in
    --stack-name) stack=${2:?}; shift ;;
    --profile | --region) aws_args+=("$1" "${2:?$1 needs a value}"); shift ;;
    --rate) rate=${2:?}; shift ;;
    --status) status_only=true ;;
    -y | --yes) yes=true ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "redrive.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [[ -z $queue ]] || { usage >&2; exit 2; }; queue=$1 ;;
  esac
  shift
done
[[ -n $queue ]] || { usage >&2; exit 2; }
command -v aws >/dev/null || { echo "redrive.sh: needs the AWS CLI v2 (aws)." >&2; exit 1; }
aws() { command aws ${aws_args[@]+"${aws_args[@]}"} "$@"; }

case $queue in
  https://*) url=$queue ;;
  arn:*:sqs:*)
    # arn:aws:sqs:REGION:ACCOUNT:NAME
    IFS=: read -r _ _ _ queue_region account name <<<"$queue"
    [[ " ${aws_args[*]-} " == *" --region "* ]] || aws_args+=(--region "$queue_region")
    url=$(aws sqs get-queue-url --queue-name "$name" --queue-owner-aws-account-id "$account" --query QueueUrl --output text) ;;
  *)
    url=$(aws cloudformation describe-stack-resource --stack-name "$stack" --logical-resource-id "$queue" \
      --query StackResourceDetail.PhysicalResourceId --output text) ;;
esac

read -r arn waiting < <(aws sqs get-queue-attributes --queue-url "$url" \
  --attribute-names QueueArn ApproximateNumberOfMessages \
  --query '[Attributes.QueueArn, Attributes.ApproximateNumberOfMessages]' --output text)
sources=$(aws sqs list-dead-letter-source-queues --queue-url "$url" --query 'queueUrls' --output text)
echo "Dead-letter queue: $url"
echo "Messages waiting:  $waiting"
echo "Fed by:            ${sources:-(no queue names it as its dead-letter queue)}"

if [[ $status_only == true ]]; then
  aws sqs list-message-move-tasks --source-arn "$arn" --max-results 5 \
    --query 'Results[].[Status, ApproximateNumberOfMessagesMoved, ApproximateNumberOfMessagesToMove, FailureReason]' --output table
  exit 0
fi
if [[ $waiting == 0 ]]; then
  echo "Nothing to redrive."
  exit 0
fi
if [[ $yes == false ]]; then
  [[ -t 0 ]] || { echo "redrive.sh: no terminal to confirm: pass --yes." >&2; exit 2; }
  read -r -p "Move these messages back to the queue they failed in? [y/N] " answer
  [[ $answer == [yY]* ]] || { echo "Nothing moved."; exit 0; }
fi

# Without a destination, SQS returns each message to the queue it was dead-lettered from.
move_args=(--source-arn "$arn")
[[ -n $rate ]] && move_args+=(--max-number-of-messages-per-second "$rate")
handle=$(aws sqs start-message-move-task "${move_args[@]}" --query TaskHandle --output text)
echo "Started move task $handle."
echo "Follow it:  scripts/redrive.sh $queue --status${stack:+ --stack-name $stack}"
echo "Cancel it:  aws sqs cancel-message-move-task --task-handle $handle"
