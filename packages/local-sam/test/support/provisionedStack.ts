// The project's template.yaml provisioned against stand-in emulators (the SDK mocked), and its
// functions as the runtime defines them: what the console and the env-vars file are derived from.
import { CreateTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { join } from 'node:path';
import { functionDefinitions, type FunctionDefinition } from '../../src/functions';
import { provision, type ProvisionedStack } from '../../src/provision';
import { loadTemplate } from '../../src/template';

export const EMULATORS = { dynamoEndpoint: 'http://127.0.0.1:4001', messagingEndpoint: 'http://127.0.0.1:4002' };

export async function provisionedStack(parameters: Record<string, string> = {}): Promise<{ stack: ProvisionedStack; definitions: FunctionDefinition[] }> {
  const dynamo = mockClient(DynamoDBClient);
  const sqs = mockClient(SQSClient);
  const sns = mockClient(SNSClient);
  try {
    dynamo.on(CreateTableCommand).callsFake((input: { TableName: string }) => ({ TableDescription: { TableArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${input.TableName}` } }));
    dynamo.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    sqs.on(CreateQueueCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: `${EMULATORS.messagingEndpoint}/000000000000/${input.QueueName}` }));
    sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({ Attributes: { QueueArn: `arn:aws:sqs:us-east-1:000000000000:${input.QueueUrl.split('/').pop()}` } }));
    sns.on(CreateTopicCommand).callsFake((input: { Name: string }) => ({ TopicArn: `arn:aws:sns:us-east-1:000000000000:${input.Name}` }));
    sns.on(SubscribeCommand).callsFake((input: { Endpoint: string }) => ({ SubscriptionArn: `${input.Endpoint}:subscription` }));
    const stack = await provision(loadTemplate(join(__dirname, '..', 'templates', 'helpdesk', 'template.yaml'), parameters), EMULATORS);
    const built = stack.functions.map((fn) => ({ logicalId: fn.logicalId, codeDir: `/build/${fn.logicalId}`, handlerFile: `/build/${fn.logicalId}/index.js`, handlerExport: 'handler', sourcemap: false }));
    return { stack, definitions: functionDefinitions(stack, built, { AWS_ENDPOINT_URL_DYNAMODB: EMULATORS.dynamoEndpoint }) };
  } finally {
    dynamo.restore();
    sqs.restore();
    sns.restore();
  }
}
