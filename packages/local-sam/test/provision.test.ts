import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, QueueNameExists, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { join } from 'node:path';
import { provision } from '../src/provision';
import { loadTemplate } from '../src/template';

const dynamo = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const sns = mockClient(SNSClient);

const emulators = { dynamoEndpoint: 'http://127.0.0.1:1', messagingEndpoint: 'http://127.0.0.1:2' };
const template = () => loadTemplate(join(__dirname, 'templates', 'helpdesk', 'template.yaml'), { MaxReceiveCount: '3' });

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  sns.reset();
  dynamo.on(CreateTableCommand).callsFake((input: { TableName: string }) => ({ TableDescription: { TableArn: `arn:local:table/${input.TableName}` } }));
  dynamo.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  // The emulator answers with a host of its own; provision must rewrite it to the endpoint.
  sqs.on(CreateQueueCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: `http://sqs.us-east-1.elsewhere:9/000000000000/${input.QueueName}` }));
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({ Attributes: { QueueArn: `arn:aws:sqs:us-east-1:000000000000:${input.QueueUrl.split('/').pop()}` } }));
  sns.on(CreateTopicCommand).callsFake((input: { Name: string }) => ({ TopicArn: `arn:aws:sns:us-east-1:000000000000:${input.Name}` }));
  sns.on(SubscribeCommand).callsFake((input: { Endpoint: string }) => ({ SubscriptionArn: `${input.Endpoint}:subscription` }));
});

describe('provision', () => {
  it('creates every table, queue, topic and subscription the template declares', async () => {
    const stack = await provision(template(), emulators);
    const declared = (type: string) => Object.values(stack.template.resources).filter((resource) => resource.type === type).map((resource) => resource.logicalId).sort();
    expect(stack.tables.map((table) => table.logicalId)).toEqual(declared('AWS::DynamoDB::Table'));
    expect(stack.queues.map((queue) => queue.logicalId)).toEqual(declared('AWS::SQS::Queue'));
    expect(stack.topics.map((topic) => topic.logicalId)).toEqual(declared('AWS::SNS::Topic'));
    expect(stack.subscriptions.map((subscription) => subscription.logicalId)).toEqual(declared('AWS::SNS::Subscription'));
  });

  it('names resources <stack>-<LogicalId> and gives queue URLs on the emulator endpoint', async () => {
    const stack = await provision(template(), emulators);
    const queue = stack.queues.find((candidate) => candidate.logicalId === 'TicketUpdateQueue');
    expect(queue?.url).toBe('http://127.0.0.1:2/000000000000/helpdesk-TicketUpdateQueue');
    expect(stack.resolve({ Ref: 'TicketTable' })).toBe('helpdesk-TicketTable');
  });

  it('creates a dead-letter queue before the queue whose redrive policy names its ARN', async () => {
    const stack = await provision(template(), emulators);
    const created = sqs.commandCalls(CreateQueueCommand).map((call) => call.args[0].input.QueueName);
    expect(created.indexOf('helpdesk-CloseTicketDeadLetterQueue')).toBeLessThan(created.indexOf('helpdesk-CloseTicketQueue'));
    const queue = stack.queues.find((candidate) => candidate.logicalId === 'CloseTicketQueue');
    expect(JSON.parse(queue?.attributes.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:helpdesk-CloseTicketDeadLetterQueue',
      maxReceiveCount: 3,
    });
  });

  it('subscribes queues to the topic with raw message delivery', async () => {
    await provision(template(), emulators);
    expect(sns.commandCalls(SubscribeCommand).map((call) => call.args[0].input)).toContainEqual({
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:helpdesk-TicketTopic',
      Protocol: 'sqs',
      Endpoint: 'arn:aws:sqs:us-east-1:000000000000:helpdesk-CapacityCheckerQueue',
      Attributes: { RawMessageDelivery: 'true' },
      ReturnSubscriptionArn: true,
    });
  });

  it('turns on TTL where the template sets it', async () => {
    await provision(template(), emulators);
    expect(dynamo.commandCalls(UpdateTimeToLiveCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'helpdesk-IdempotencyTable', TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true } },
    ]);
  });

  it('reuses tables that persisted from an earlier run', async () => {
    dynamo.on(CreateTableCommand).rejects(new ResourceInUseException({ message: 'exists', $metadata: {} }));
    dynamo.on(DescribeTableCommand).callsFake((input: { TableName: string }) => ({ Table: { TableArn: `arn:persisted:${input.TableName}` } }));
    const stack = await provision(template(), emulators);
    expect(stack.tables.find((table) => table.logicalId === 'TicketTable')?.arn).toBe('arn:persisted:helpdesk-TicketTable');
  });

  it('brings a persisted queue with other settings in line with the template', async () => {
    sqs.on(CreateQueueCommand).callsFake((input: { QueueName: string; Attributes?: Record<string, string> }) => {
      if (input.QueueName === 'helpdesk-TicketUpdateQueue' && input.Attributes && Object.keys(input.Attributes).length > 0) {
        throw new QueueNameExists({ message: 'different attributes', $metadata: {} });
      }
      return { QueueUrl: `http://127.0.0.1:2/000000000000/${input.QueueName}` };
    });
    await provision(template(), emulators);
    const update = sqs.commandCalls(SetQueueAttributesCommand).map((call) => call.args[0].input);
    expect(update).toHaveLength(1);
    expect(update[0]?.QueueUrl).toBe('http://127.0.0.1:2/000000000000/helpdesk-TicketUpdateQueue');
    expect(update[0]?.Attributes?.VisibilityTimeout).toBe('60');
  });

  it('lists the resources that have no local meaning instead of failing on them', async () => {
    const stack = await provision(template(), emulators);
    const ignoredTypes = new Set(stack.ignored.map((resource) => resource.type));
    expect(ignoredTypes).toContain('AWS::Lambda::Permission');
    expect(ignoredTypes).not.toContain('AWS::Serverless::Function');
    expect(stack.functions.map((fn) => fn.logicalId)).toContain('TicketApiFunction');
  });
});
