// What the deployed checks know of a deployed stack, read with the AWS SDK: its outputs
// (CloudFormation DescribeStacks) and its API key's value (API Gateway GetApiKey). The clients use
// the usual AWS credentials and region, and AWS_ENDPOINT_URL_CLOUDFORMATION and
// AWS_ENDPOINT_URL_API_GATEWAY when set (tests/e2e/deployed.test.ts points them at a local stack).
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

export interface DeployedStack {
  stackName: string;
  region: string;
  /** The API's base URL, stage included (output ApiUrl). */
  apiUrl: string;
  apiKeyId: string;
  apiKey: string;
  /** Output name -> table name, for every output ending in TableName. */
  tables: Record<string, string>;
  /** Output name -> queue URL, for every output ending in QueueUrl (or QueueUrls, space-separated). */
  queues: Record<string, string>;
}

export async function readDeployedStack(stackName: string, region?: string): Promise<DeployedStack> {
  const config = region ? { region } : {};
  const cloudFormation = new CloudFormationClient(config);
  const apiGateway = new APIGatewayClient(config);
  try {
    const { Stacks: stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = stacks[0];
    if (!stack) throw new Error(`CloudFormation knows no stack ${stackName}`);
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
    const required = (name: string) => {
      const value = outputs[name];
      if (!value) throw new Error(`Stack ${stackName} has no output ${name}: is it an order-capture stack (template.yaml)?`);
      return value;
    };
    const apiKeyId = required('ApiKeyId');
    const { value: apiKey } = await apiGateway.send(new GetApiKeyCommand({ apiKey: apiKeyId, includeValue: true }));
    if (!apiKey) throw new Error(`API Gateway gave no value for the API key ${apiKeyId}`);
    const matching = (suffix: RegExp) => Object.fromEntries(Object.entries(outputs).filter(([name]) => suffix.test(name)));
    return {
      stackName,
      region: await cloudFormation.config.region(),
      apiUrl: required('ApiUrl').replace(/\/+$/, ''),
      apiKeyId,
      apiKey,
      tables: matching(/TableName$/),
      queues: matching(/QueueUrls?$/),
    };
  } finally {
    cloudFormation.destroy();
    apiGateway.destroy();
  }
}
