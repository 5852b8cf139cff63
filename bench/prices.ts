// AWS list prices, us-east-1, on-demand, in US$, without free tiers or volume discounts (the first
// tier of each price; a system at a million orders a day stays inside it for every item here).
//
// Taken on 2026-11-24 from the AWS pricing pages, read through stored copies (no live page could be
// fetched from this machine):
//   Lambda       https://aws.amazon.com/lambda/pricing/
//   API Gateway  https://aws.amazon.com/api-gateway/pricing/          (REST APIs, first 333 M)
//   SQS          https://aws.amazon.com/sqs/pricing/                  (standard queues)
//   SNS          https://aws.amazon.com/sns/pricing/                  (standard topics)
//   DynamoDB     https://aws.amazon.com/dynamodb/pricing/on-demand/   (Standard table class)
//
// DynamoDB on-demand throughput was halved on 2024-11-01: $0.625 per million write request units
// and $0.125 per million read request units, where many older notes (and the brief of this
// benchmark) still say $1.25 and $0.25. Both are kept: the report prices with the current figures
// and shows the verdict under the older ones too, because DynamoDB is where the two designs differ.
//
// How AWS counts what is priced here:
// - Lambda bills every invocation plus its duration, rounded up to the millisecond, times the
//   configured memory. Lambda's SQS event source mapping polls the queue on the account's bill:
//   its ReceiveMessage and DeleteMessageBatch calls are SQS requests like any other.
// - SQS and SNS bill each 64 KB chunk of a request's payload as one request; a batch request
//   (SendMessageBatch, DeleteMessageBatch, PublishBatch of up to 10 messages) is one request.
//   Deliveries from SNS to SQS queues are free on both sides.
// - DynamoDB: a standard write is 1 WRU per KB of the item (the larger of before and after for an
//   update), a transactional write 2 WRU per KB, and every write that changes an item's entry in a
//   global secondary index costs the index's WRUs too (2 when an index key changes: delete + put).
//   A strongly consistent read is 1 RRU per 4 KB, an eventually consistent one 0.5. A write whose
//   condition fails still consumes at least 1 WRU.

export interface PriceTable {
  /** When and where the figures were taken. */
  source: string;
  lambda: { perRequest: number; perGbSecond: Record<'x86_64' | 'arm64', number> };
  apiGatewayRest: { perRequest: number };
  sqs: { perRequest: number };
  sns: { perPublish: number };
  dynamodb: { perWriteUnit: number; perReadUnit: number };
}

const perMillion = (dollars: number) => dollars / 1_000_000;

export const PRICES: PriceTable = {
  source: 'AWS list prices, us-east-1, taken 2026-11-24 (see bench/prices.ts)',
  lambda: { perRequest: perMillion(0.2), perGbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 } },
  apiGatewayRest: { perRequest: perMillion(3.5) },
  sqs: { perRequest: perMillion(0.4) },
  sns: { perPublish: perMillion(0.5) },
  dynamodb: { perWriteUnit: perMillion(0.625), perReadUnit: perMillion(0.125) },
};

/** The DynamoDB on-demand prices before 2024-11-01, for the sensitivity line of the report. */
export const PRICES_BEFORE_2024_11: PriceTable = {
  ...PRICES,
  source: 'as PRICES, with DynamoDB on-demand at its price before 2024-11-01',
  dynamodb: { perWriteUnit: perMillion(1.25), perReadUnit: perMillion(0.25) },
};
