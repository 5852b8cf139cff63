// The file npm start writes for `sam local invoke --env-vars`: for every function of template.yaml,
// each variable the template gives it (Globals merged, as SAM merges them), resolved to this stack;
// and the SDK's endpoints on host.docker.internal with the ports this stack's emulators listen on.
// No Docker engine exists here, so SAM itself is not run: the file is checked against the template.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import { stackState } from './support/stack';

type Variables = Record<string, unknown>;
interface SamTemplate {
  Globals?: { Function?: { Environment?: { Variables?: Variables } } };
  Resources: Record<string, { Type: string; Properties?: { Environment?: { Variables?: Variables } } }>;
}

const template = yamlParse(readFileSync(join(__dirname, '..', '..', 'template.yaml'), 'utf8')) as SamTemplate;
const file = JSON.parse(readFileSync(process.env.E2E_ENV_VARS_FILE ?? '', 'utf8')) as Record<string, Record<string, string>>;
const state = stackState();

const functions = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Serverless::Function');
const declared = (logicalId: string) => {
  const own = template.Resources[logicalId]?.Properties?.Environment?.Variables ?? {};
  return [...new Set([...Object.keys(template.Globals?.Function?.Environment?.Variables ?? {}), ...Object.keys(own)])].sort();
};
const containerUrl = (url: string) => `http://host.docker.internal:${new URL(url).port}`;

describe('the env-vars file npm start writes for sam local invoke', () => {
  it('gives every function of template.yaml each of its variables', () => {
    expect(functions.length).toBeGreaterThan(0);
    // What Parameters sets (the endpoints) is every function's; the function's own entry has the rest.
    const everyFunction = Object.keys(file.Parameters ?? {});
    for (const [logicalId] of functions) {
      expect([logicalId, [...Object.keys(file[logicalId] ?? {}), ...everyFunction].sort()]).toEqual([logicalId, declared(logicalId)]);
    }
  });

  it('resolves them to this stack’s tables and queues, as a container reaches them', () => {
    const shipOrderQueue = state.queues.ShipOrderQueue?.url ?? '';
    expect(file.OrderUpdateFunction?.SHIP_ORDER_QUEUE_URL).toBe(`${containerUrl(shipOrderQueue)}${new URL(shipOrderQueue).pathname}`);
    expect(file.ShipOrderFunction?.ORDER_TABLE_NAME).toBe(state.tables.OrderTable?.name);
  });

  it('points the SDK at the emulators of this stack on host.docker.internal', () => {
    expect(file.Parameters).toEqual({
      AWS_ENDPOINT_URL_DYNAMODB: containerUrl(state.emulators.dynamoEndpoint),
      AWS_ENDPOINT_URL_SNS: containerUrl(state.emulators.messagingEndpoint),
      AWS_ENDPOINT_URL_SQS: containerUrl(state.emulators.messagingEndpoint),
    });
    expect(JSON.stringify(file)).not.toMatch(/127\.0\.0\.1|localhost/);
  });
});
