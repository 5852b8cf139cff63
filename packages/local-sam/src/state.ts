// The state file (`local-sam start --state-file FILE`): what a test or a tool needs to reach the
// running stack, as JSON. It is written once everything is ready and removed when the stack stops,
// so its existence means "up". Its shape is a public contract (README, "The state file"): fields
// are added, never renamed or removed, within one `version`.
import { COUNTS_PATH } from './awsProxy';
import type { LocalStack } from './runtime';

export interface StateTable {
  logicalId: string;
  name: string;
  arn: string;
}

export interface StateQueue {
  logicalId: string;
  name: string;
  url: string;
  arn: string;
  /** The SQS attributes the template sets (VisibilityTimeout, RedrivePolicy as JSON text, ...). */
  attributes: Record<string, string>;
}

export interface StateTopic {
  logicalId: string;
  name: string;
  arn: string;
}

export interface StateFunction {
  logicalId: string;
  /** The function's name, as Lambda's Invoke API (lambdaUrl) takes it; the logical id works too. */
  name: string;
  arn: string;
}

export interface LocalStackState {
  /** The version of this shape; 1 for now. */
  version: 1;
  stackName: string;
  region: string;
  /** The process that runs the stack. */
  pid: number;
  /** The API's base URL (routes answer with and without the stage prefix); '' when the template has no API. */
  url: string;
  /** The REST API: its logical id (ServerlessRestApi for the implicit one), stage, and the URL with the stage, as AWS serves it. */
  api?: { logicalId: string; stage: string; stageUrl: string };
  /** With --api-keys: the key to send as x-api-key. */
  apiKey?: string;
  /** With --lambda-port: the Lambda Invoke API's base URL. */
  lambdaUrl?: string;
  /** Each emulator's endpoint: what a test reads and writes through sees no injected faults. */
  endpoints: { dynamodb: string; sqs: string; sns: string };
  /** The same as environment variables an AWS SDK reads (region, credentials, AWS_ENDPOINT_URL_*). */
  sdkEnvironment: Record<string, string>;
  /** The emulators' endpoints under their older names (endpoints says the same per service). */
  emulators: { dynamoEndpoint: string; messagingEndpoint: string };
  /** With --faults: the endpoint the functions call AWS through, and where the injector's counts are (GET). */
  faults?: { endpoint: string; countsUrl: string };
  /** Every provisioned resource by logical id, with its physical id (table name, queue URL, topic ARN, function name). */
  resources: Record<string, { type: string; physicalId: string }>;
  tables: Record<string, StateTable>;
  queues: Record<string, StateQueue>;
  topics: Record<string, StateTopic>;
  functions: Record<string, StateFunction>;
  /** The template's parameters, with the overrides applied (a list parameter as a list). */
  parameters: Record<string, string | string[]>;
  /** The template's Outputs, resolved. */
  outputs: Record<string, string>;
}

/** The state of a stack started in this process. */
export function stateOf(local: LocalStack): LocalStackState {
  const { stack, emulators } = local;
  const byLogicalId = <T extends { logicalId: string }, U>(items: T[], pick: (item: T) => U) => Object.fromEntries(items.map((item) => [item.logicalId, pick(item)]));
  const resources: LocalStackState['resources'] = {
    ...byLogicalId(stack.tables, (table) => ({ type: stack.template.resources[table.logicalId]?.type ?? 'AWS::DynamoDB::Table', physicalId: table.name })),
    ...byLogicalId(stack.queues, (queue) => ({ type: 'AWS::SQS::Queue', physicalId: queue.url })),
    ...byLogicalId(stack.topics, (topic) => ({ type: 'AWS::SNS::Topic', physicalId: topic.arn })),
    ...byLogicalId(stack.subscriptions, (subscription) => ({ type: 'AWS::SNS::Subscription', physicalId: subscription.arn })),
    ...byLogicalId(stack.functions, (fn) => ({ type: 'AWS::Serverless::Function', physicalId: fn.name })),
  };
  if (local.api) resources[local.api.logicalId] = { type: 'AWS::Serverless::Api', physicalId: 'local' };
  return {
    version: 1,
    stackName: stack.template.stackName,
    region: stack.template.region,
    pid: process.pid,
    url: local.url,
    ...(local.api && local.url ? { api: { logicalId: local.api.logicalId, stage: local.api.stage, stageUrl: `${local.url}/${local.api.stage}` } } : {}),
    ...(local.apiKey ? { apiKey: local.apiKey.value } : {}),
    ...(local.lambdaUrl ? { lambdaUrl: local.lambdaUrl } : {}),
    endpoints: { dynamodb: emulators.dynamoEndpoint, sqs: emulators.messagingEndpoint, sns: emulators.messagingEndpoint },
    sdkEnvironment: emulators.sdkEnvironment,
    emulators: { dynamoEndpoint: emulators.dynamoEndpoint, messagingEndpoint: emulators.messagingEndpoint },
    ...(local.faults ? { faults: { endpoint: local.faults.endpoint, countsUrl: `${local.faults.endpoint}${COUNTS_PATH}` } } : {}),
    resources,
    tables: byLogicalId(stack.tables, ({ logicalId, name, arn }) => ({ logicalId, name, arn })),
    queues: byLogicalId(stack.queues, ({ logicalId, name, url, arn, attributes }) => ({ logicalId, name, url, arn, attributes })),
    topics: byLogicalId(stack.topics, ({ logicalId, name, arn }) => ({ logicalId, name, arn })),
    functions: byLogicalId(stack.functions, ({ logicalId, name, arn }) => ({ logicalId, name, arn })),
    parameters: stack.template.parameters,
    outputs: stack.outputs,
  };
}
