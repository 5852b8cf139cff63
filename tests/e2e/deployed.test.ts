// `npm run test:deployed` as the pipeline runs it after a deploy, here with no AWS account: against
// a local stack started as AWS serves it (API key required, requests under the stage path), with
// the stack's outputs and API key served by a stand-in for CloudFormation and API Gateway at the
// SDK's boundary (support/awsStub.ts). The command itself runs unchanged, in a process of its own.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LocalStackState } from 'local-sam';
import { startStack } from './support/stackSetup';
import { startAwsStub, type AwsStub } from './support/awsStub';

const root = join(__dirname, '..', '..');
const STACK_NAME = 'order-capture-dev';

/** A local stack that requires its API key, as the deployed API does. */
async function startStackAsAwsServesIt(): Promise<{ state: LocalStackState; stop: () => Promise<void> }> {
  const started = await startStack('deployed', { apiKeys: true });
  return { state: started.state, stop: () => started.stop() };
}

function testDeployed(stub: AwsStub, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'test:deployed', '--', ...args], {
      cwd: root,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_CLOUDFORMATION: stub.endpoint,
        AWS_ENDPOINT_URL_API_GATEWAY: stub.endpoint,
        AWS_ACCESS_KEY_ID: 'stub',
        AWS_SECRET_ACCESS_KEY: 'stub',
        AWS_EC2_METADATA_DISABLED: 'true',
        FORCE_COLOR: '0',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

let stack: Awaited<ReturnType<typeof startStackAsAwsServesIt>> | undefined;
let stub: AwsStub;

beforeAll(async () => {
  stack = await startStackAsAwsServesIt();
  stub = await startAwsStub(STACK_NAME, stack.state);
}, 240_000);

afterAll(async () => {
  await stub?.close();
  await stack?.stop();
}, 60_000);

describe('npm run test:deployed against the local stack as AWS serves it', () => {
  it('reads the stack through DescribeStacks and GetApiKey, says what it writes, and passes newman and the smoke on the staged API', async () => {
    const { code, output } = await testDeployed(stub, ['--stack', STACK_NAME, '--region', 'us-east-1']);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`The deployed stack ${STACK_NAME} passed every check.`) });
    expect(stub.calls).toEqual(['DescribeStacks', 'GetApiKey']);
    const stage = String(stack?.state.parameters.StageName);
    expect(output).toContain(`API      ${stack?.state.url}/${stage} (API key ${stack?.state.outputs.ApiKeyId})`);
    expect(output).toContain(`tables   ${stack?.state.outputs.OrderTableName}`);
    expect(output).toMatch(/It writes only accounts, products and orders of its own/);
    expect(output).toMatch(/newman: \d+ requests, (\d+) of \1 assertions passed, 0 failures/);
    expect(output).toContain('smoke: 5 passed, 0 failed');
  }, 240_000);

  it('fails with CloudFormation’s answer for a stack that does not exist', async () => {
    stub.calls.length = 0;
    const { code, output } = await testDeployed(stub, ['--stack', 'no-such-stack', '--region', 'us-east-1']);
    expect(code).toBe(1);
    expect(output).toContain('test:deployed: Stack with id no-such-stack does not exist');
    expect(stub.calls).toEqual(['DescribeStacks']);
  }, 60_000);
});
