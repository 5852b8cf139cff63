// Creates in the emulators what template.yaml declares (DynamoDB tables, SQS queues, SNS topics
// and subscriptions), generic over the template: nothing here names one of its resources.
//
// API (stable; the integration and e2e tests import it):
//
//   const stack = await provision(template, emulators);   // emulators: local/emulators.ts
//   stack.resolve(value)        evaluates intrinsics against what was created (e.g. a function's
//                               Environment: !Ref NotesTable -> the table's local name)
//   stack.physical[logicalId]   { type, ref, attributes } as Ref / Fn::GetAtt see them
//   stack.tables / queues / topics / subscriptions   what was created, with names, ARNs, URLs
//   stack.functions             every AWS::Serverless::Function with its local name and ARN
//   stack.queueByArn(arn)       the queue an event source or subscription points at
//   stack.ignored               resources with no local meaning (IAM, alarms, KMS, ...) and why
//   stack.outputs               the template's Outputs, resolved (values that cannot be are left out)
//
// Idempotent: with persisted emulator data the resources may exist already; they are reused and
// their settings brought in line with the template.
import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, UpdateTimeToLiveCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, SNSClient, SetSubscriptionAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from './emulators';
import {
  createResolver,
  physicalName,
  placeholderResource,
  resourceReferences,
  type PhysicalResource,
  type PhysicalResources,
  type Resolver,
  type Template,
  type TemplateResource,
} from './template';

export interface ProvisionTarget {
  dynamoEndpoint: string;
  messagingEndpoint: string;
}

export interface ProvisionedTable {
  logicalId: string;
  name: string;
  arn: string;
}

export interface ProvisionedQueue {
  logicalId: string;
  name: string;
  url: string;
  arn: string;
  /** The SQS attributes the template sets (VisibilityTimeout, RedrivePolicy, ...). */
  attributes: Record<string, string>;
}

export interface ProvisionedTopic {
  logicalId: string;
  name: string;
  arn: string;
}

export interface ProvisionedSubscription {
  logicalId: string;
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
}

export interface LocalFunction {
  logicalId: string;
  name: string;
  arn: string;
}

export interface IgnoredResource {
  logicalId: string;
  type: string;
  reason: string;
}

export interface ProvisionedStack {
  template: Template;
  physical: PhysicalResources;
  resolve: Resolver;
  tables: ProvisionedTable[];
  queues: ProvisionedQueue[];
  topics: ProvisionedTopic[];
  subscriptions: ProvisionedSubscription[];
  functions: LocalFunction[];
  ignored: IgnoredResource[];
  outputs: Record<string, string>;
  queueByArn(arn: string): ProvisionedQueue | undefined;
}

/** Types the local runtime itself plays (functions.ts, apiServer.ts) rather than an emulator. */
const RUNTIME_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Serverless::Api']);

type Provisioner = (resource: TemplateResource, context: ProvisionContext) => Promise<PhysicalResource>;

interface ProvisionContext {
  template: Template;
  target: ProvisionTarget;
  resolve: Resolver;
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  sns: SNSClient;
  created: Omit<ProvisionedStack, 'template' | 'physical' | 'resolve' | 'functions' | 'ignored' | 'outputs' | 'queueByArn'>;
}

const PROVISIONERS: Record<string, Provisioner> = {
  'AWS::DynamoDB::Table': provisionTable,
  'AWS::Serverless::SimpleTable': provisionSimpleTable,
  'AWS::SQS::Queue': provisionQueue,
  'AWS::SNS::Topic': provisionTopic,
  'AWS::SNS::Subscription': provisionSubscription,
};

export async function provision(template: Template, target: ProvisionTarget): Promise<ProvisionedStack> {
  const clientConfig = { region: template.region, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };
  const dynamo = new DynamoDBClient({ ...clientConfig, endpoint: target.dynamoEndpoint });
  // The queue URLs are built from the endpoint (see queueUrlOf), so the SDK must not switch hosts.
  const sqs = new SQSClient({ ...clientConfig, endpoint: target.messagingEndpoint, useQueueUrlAsEndpoint: false });
  const sns = new SNSClient({ ...clientConfig, endpoint: target.messagingEndpoint });

  const physical: PhysicalResources = {};
  const resolve = createResolver(template, physical);
  const ignored: IgnoredResource[] = [];
  const functions: LocalFunction[] = [];
  const pending = new Map<string, TemplateResource>();

  for (const resource of Object.values(template.resources)) {
    if (PROVISIONERS[resource.type] && !unsupportedSubscription(resource, resolve)) pending.set(resource.logicalId, resource);
    else {
      physical[resource.logicalId] = placeholderResource(template, resource);
      if (resource.type === 'AWS::Serverless::Function') {
        const placeholder = physical[resource.logicalId];
        functions.push({ logicalId: resource.logicalId, name: placeholder?.ref ?? '', arn: placeholder?.attributes.Arn ?? '' });
      } else if (!RUNTIME_TYPES.has(resource.type)) {
        ignored.push({ logicalId: resource.logicalId, type: resource.type, reason: unsupportedSubscription(resource, resolve) ?? 'no local meaning' });
      }
    }
  }

  const context: ProvisionContext = { template, target, resolve, dynamo, sqs, sns, created: { tables: [], queues: [], topics: [], subscriptions: [] } };
  try {
    // In waves: every resource whose references are all created goes next, in parallel.
    while (pending.size > 0) {
      const ready = [...pending.values()].filter((resource) =>
        [...resourceReferences(resource.properties), ...resource.dependsOn].every((id) => !pending.has(id) || id === resource.logicalId),
      );
      if (ready.length === 0) throw new Error(`Circular references between ${[...pending.keys()].join(', ')}`);
      for (const resource of ready) pending.delete(resource.logicalId);
      const results = await Promise.all(
        ready.map(async (resource) => {
          try {
            return [resource.logicalId, await (PROVISIONERS[resource.type] as Provisioner)(resource, context)] as const;
          } catch (error) {
            throw new Error(`Could not create ${resource.logicalId} (${resource.type}) locally: ${(error as Error).message}`, { cause: error });
          }
        }),
      );
      for (const [logicalId, created] of results) physical[logicalId] = created;
    }
  } finally {
    dynamo.destroy();
    sqs.destroy();
    sns.destroy();
  }

  const { tables, queues, topics, subscriptions } = context.created;
  const byLogicalId = <T extends { logicalId: string }>(items: T[]) => items.sort((a, b) => a.logicalId.localeCompare(b.logicalId));
  return {
    template,
    physical,
    resolve,
    tables: byLogicalId(tables),
    queues: byLogicalId(queues),
    topics: byLogicalId(topics),
    subscriptions: byLogicalId(subscriptions),
    functions: byLogicalId(functions),
    ignored: byLogicalId(ignored),
    outputs: resolvedOutputs(template, resolve),
    queueByArn: (arn) => queues.find((queue) => queue.arn === arn),
  };
}

/** Only SNS -> SQS subscriptions are delivered locally; the reason why not otherwise. */
function unsupportedSubscription(resource: TemplateResource, resolve: Resolver): string | undefined {
  if (resource.type !== 'AWS::SNS::Subscription') return undefined;
  const protocol = String(resolve(resource.properties.Protocol));
  return protocol === 'sqs' ? undefined : `protocol ${protocol} is not delivered locally`;
}

function resolvedOutputs(template: Template, resolve: Resolver): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [name, output] of Object.entries(template.outputs)) {
    try {
      const value = resolve(output.Value);
      outputs[name] = typeof value === 'string' ? value : JSON.stringify(value);
    } catch {
      // An output about something with no local counterpart simply has no local value.
    }
  }
  return outputs;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
const errorName = (error: unknown): string => (error as { name?: string }).name ?? '';

async function provisionTable(resource: TemplateResource, context: ProvisionContext): Promise<PhysicalResource> {
  const properties = context.resolve(resource.properties) as Record<string, unknown>;
  const billingMode = (properties.BillingMode as string | undefined) ?? 'PROVISIONED';
  const provisioned = billingMode === 'PROVISIONED';
  const throughput = (value: unknown) => (provisioned ? { ProvisionedThroughput: value ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } } : {});
  const indexes = (value: unknown, withThroughput: boolean) =>
    (value as Record<string, unknown>[]).map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection,
      ...(withThroughput ? throughput(index.ProvisionedThroughput) : {}),
    }));
  const stream = properties.StreamSpecification as { StreamViewType?: string } | undefined;
  // Encryption, backups, deletion protection and tags have no local meaning and are left out.
  const input = {
    TableName: physicalName(context.template, resource, context.resolve),
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: billingMode,
    ...throughput(properties.ProvisionedThroughput),
    ...(properties.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: indexes(properties.GlobalSecondaryIndexes, true) } : {}),
    ...(properties.LocalSecondaryIndexes ? { LocalSecondaryIndexes: indexes(properties.LocalSecondaryIndexes, false) } : {}),
    ...(stream?.StreamViewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } } : {}),
  } as CreateTableCommandInput;
  return createTable(input, properties.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined, resource, context);
}

async function provisionSimpleTable(resource: TemplateResource, context: ProvisionContext): Promise<PhysicalResource> {
  const properties = context.resolve(resource.properties) as { PrimaryKey?: { Name?: string; Type?: string } };
  const key = { name: properties.PrimaryKey?.Name ?? 'id', type: { String: 'S', Number: 'N', Binary: 'B' }[properties.PrimaryKey?.Type ?? 'String'] ?? 'S' };
  const input = {
    TableName: physicalName(context.template, resource, context.resolve),
    KeySchema: [{ AttributeName: key.name, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: key.name, AttributeType: key.type }],
    BillingMode: 'PAY_PER_REQUEST',
  } as CreateTableCommandInput;
  return createTable(input, undefined, resource, context);
}

async function createTable(
  input: CreateTableCommandInput,
  ttl: { AttributeName?: string; Enabled?: boolean } | undefined,
  resource: TemplateResource,
  context: ProvisionContext,
): Promise<PhysicalResource> {
  const name = input.TableName ?? '';
  let arn: string | undefined;
  try {
    arn = (await context.dynamo.send(new CreateTableCommand(input))).TableDescription?.TableArn;
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
    arn = (await context.dynamo.send(new DescribeTableCommand({ TableName: name }))).Table?.TableArn;
  }
  if (ttl?.Enabled && ttl.AttributeName) {
    const current = await context.dynamo.send(new DescribeTimeToLiveCommand({ TableName: name }));
    if (current.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
      await context.dynamo.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
    }
  }
  const tableArn = arn ?? `arn:aws:dynamodb:${context.template.region}:${context.template.accountId}:table/${name}`;
  context.created.tables.push({ logicalId: resource.logicalId, name, arn: tableArn });
  return { type: resource.type, ref: name, attributes: { Arn: tableArn, StreamArn: `${tableArn}/stream/local` } };
}

/** CloudFormation property -> SQS attribute; the KMS settings have no local meaning. */
const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'SqsManagedSseEnabled',
];

async function provisionQueue(resource: TemplateResource, context: ProvisionContext): Promise<PhysicalResource> {
  const properties = context.resolve(resource.properties) as Record<string, unknown>;
  const name = physicalName(context.template, resource, context.resolve);
  const attributes: Record<string, string> = {};
  for (const key of QUEUE_ATTRIBUTES) {
    const value = properties[key];
    if (value === undefined) continue;
    // SQS wants maxReceiveCount as a number inside the JSON; CloudFormation accepts either.
    attributes[key] = key === 'RedrivePolicy' && typeof value === 'object' ? JSON.stringify(normalizeRedrivePolicy(value as Record<string, unknown>)) : str(value);
  }
  let returnedUrl: string | undefined;
  try {
    returnedUrl = (await context.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
  } catch (error) {
    // Persisted from a run with other parameters: keep the queue (and its messages), update its settings.
    if (!errorName(error).endsWith('QueueNameExists')) throw error;
    returnedUrl = (await context.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl;
    await context.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrlOf(returnedUrl, context.target), Attributes: attributes }));
  }
  const url = queueUrlOf(returnedUrl, context.target);
  const { Attributes } = await context.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn ?? `arn:aws:sqs:${context.template.region}:${context.template.accountId}:${name}`;
  context.created.queues.push({ logicalId: resource.logicalId, name, url, arn, attributes });
  return { type: resource.type, ref: url, attributes: { Arn: arn, QueueName: name, QueueUrl: url } };
}

function normalizeRedrivePolicy(policy: Record<string, unknown>): Record<string, unknown> {
  return policy.maxReceiveCount === undefined ? policy : { ...policy, maxReceiveCount: Number(policy.maxReceiveCount) };
}

/**
 * The queue's URL on the endpoint the emulator is reached at now. The emulator may hand out a URL
 * with another host (or, from persisted data, an earlier run's port); it finds queues by path.
 */
export function queueUrlOf(returned: string | undefined, target: ProvisionTarget): string {
  if (!returned) throw new Error('the emulator returned no queue URL');
  return `${target.messagingEndpoint.replace(/\/+$/, '')}${returned.replace(/^[a-z]+:\/\/[^/]+/i, '')}`;
}

async function provisionTopic(resource: TemplateResource, context: ProvisionContext): Promise<PhysicalResource> {
  const properties = context.resolve(resource.properties) as Record<string, unknown>;
  const name = physicalName(context.template, resource, context.resolve);
  const attributes: Record<string, string> = {};
  for (const key of ['DisplayName', 'FifoTopic', 'ContentBasedDeduplication']) if (properties[key] !== undefined) attributes[key] = str(properties[key]);
  const { TopicArn } = await context.sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
  const arn = TopicArn ?? `arn:aws:sns:${context.template.region}:${context.template.accountId}:${name}`;
  context.created.topics.push({ logicalId: resource.logicalId, name, arn });
  // Subscriptions declared inline on the topic.
  for (const inline of (properties.Subscription as { Protocol?: string; Endpoint?: string }[] | undefined) ?? []) {
    if (inline.Protocol === 'sqs' && inline.Endpoint) await subscribe(context, `${resource.logicalId}.Subscription`, arn, inline.Endpoint, {});
  }
  return { type: resource.type, ref: arn, attributes: { TopicArn: arn, TopicName: name } };
}

async function provisionSubscription(resource: TemplateResource, context: ProvisionContext): Promise<PhysicalResource> {
  const properties = context.resolve(resource.properties) as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const key of ['RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy']) if (properties[key] !== undefined) attributes[key] = str(properties[key]);
  const arn = await subscribe(context, resource.logicalId, String(properties.TopicArn), String(properties.Endpoint), attributes);
  return { type: resource.type, ref: arn, attributes: {} };
}

async function subscribe(context: ProvisionContext, logicalId: string, topicArn: string, endpoint: string, attributes: Record<string, string>): Promise<string> {
  let SubscriptionArn: string | undefined;
  try {
    ({ SubscriptionArn } = await context.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: endpoint, Attributes: attributes, ReturnSubscriptionArn: true })));
  } catch (error) {
    // Persisted with other attributes (SNS refuses to resubscribe then): bring the existing one in line.
    if (errorName(error) !== 'InvalidParameterException' && errorName(error) !== 'InvalidParameter') throw error;
    const { Subscriptions } = await context.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    SubscriptionArn = Subscriptions?.find((subscription) => subscription.Protocol === 'sqs' && subscription.Endpoint === endpoint)?.SubscriptionArn;
    if (!SubscriptionArn) throw error;
    for (const [AttributeName, AttributeValue] of Object.entries(attributes)) {
      await context.sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn, AttributeName, AttributeValue }));
    }
  }
  if (!SubscriptionArn) throw new Error(`subscribing ${endpoint} to ${topicArn} returned no subscription`);
  context.created.subscriptions.push({ logicalId, arn: SubscriptionArn, topicArn, protocol: 'sqs', endpoint });
  return SubscriptionArn;
}
