import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import { samEnvVars, type SamEnvVars } from '../src/samEnvVars';
import { EMULATORS, provisionedStack } from './support/provisionedStack';

/** template.yaml read on its own: each function's variable names, Globals merged as SAM merges them. */
function declaredVariables(): Record<string, string[]> {
  const template = yamlParse(readFileSync(join(__dirname, 'templates', 'helpdesk', 'template.yaml'), 'utf8')) as {
    Globals?: { Function?: { Environment?: { Variables?: Record<string, unknown> } } };
    Resources: Record<string, { Type: string; Properties?: { Environment?: { Variables?: Record<string, unknown> } } }>;
  };
  const global = Object.keys(template.Globals?.Function?.Environment?.Variables ?? {});
  return Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
      .map(([logicalId, resource]) => [logicalId, [...new Set([...global, ...Object.keys(resource.Properties?.Environment?.Variables ?? {})])].sort()]),
  );
}

let file: SamEnvVars;

beforeAll(async () => {
  const { stack } = await provisionedStack();
  file = samEnvVars(stack, EMULATORS);
});

describe('the env-vars file for sam local invoke', () => {
  it('has an entry for every function of the template with each of its variables, Globals included (the endpoints under Parameters, for all)', () => {
    const declared = declaredVariables();
    expect(Object.keys(declared).length).toBeGreaterThan(0);
    const everyFunction = Object.keys(file.Parameters ?? {});
    expect(Object.fromEntries(Object.keys(declared).map((logicalId) => [logicalId, [...Object.keys(file[logicalId] ?? {}), ...everyFunction].sort()]))).toEqual(declared);
  });

  it('resolves the variables to this stack’s tables, queues and topic', () => {
    expect(file.TicketApiFunction).toMatchObject({ TICKET_TABLE_NAME: 'helpdesk-TicketTable', TICKET_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:helpdesk-TicketTopic' });
    for (const variables of Object.values(file)) for (const value of Object.values(variables)) expect(value).not.toMatch(/\[object Object\]|^$/);
  });

  it('points queue URLs and the SDK’s endpoints at the emulators’ ports on host.docker.internal, as a container reaches them', () => {
    expect(file.Parameters).toEqual({
      AWS_ENDPOINT_URL_DYNAMODB: 'http://host.docker.internal:4001',
      AWS_ENDPOINT_URL_SNS: 'http://host.docker.internal:4002',
      AWS_ENDPOINT_URL_SQS: 'http://host.docker.internal:4002',
    });
    expect(file.TicketUpdateFunction?.CLOSE_TICKET_QUEUE_URL).toBe('http://host.docker.internal:4002/000000000000/helpdesk-CloseTicketQueue');
    expect(JSON.stringify(file)).not.toContain('127.0.0.1');
  });
});
