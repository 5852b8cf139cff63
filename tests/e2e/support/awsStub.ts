// A stand-in for the two AWS operations `npm run test:deployed` calls, at the SDK's boundary: an
// HTTP server speaking CloudFormation's DescribeStacks (the query protocol's form and XML) and API
// Gateway's GetApiKey (REST JSON), answering from a local stack's state file as AWS would for a
// deployed stack: its outputs, with ApiUrl the local gateway under the stage path, and its API key.
// Point the SDK at it with AWS_ENDPOINT_URL_CLOUDFORMATION and AWS_ENDPOINT_URL_API_GATEWAY.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StackState } from './stack';

export interface AwsStub {
  endpoint: string;
  /** The operations asked for, in order, e.g. ['DescribeStacks', 'GetApiKey']. */
  calls: string[];
  close(): Promise<void>;
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The outputs AWS would give for this stack: the template's, with the API's real address. */
export function deployedOutputs(state: StackState): Record<string, string> {
  const stage = String(state.parameters.StageName ?? 'dev');
  return { ...state.outputs, ApiUrl: `${state.url}/${stage}` };
}

function describeStacks(stackName: string, state: StackState, form: URLSearchParams, response: ServerResponse): void {
  const requestId = crypto.randomUUID();
  response.setHeader('Content-Type', 'text/xml');
  if (form.get('StackName') !== stackName) {
    response.statusCode = 400;
    response.end(`<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xml(form.get('StackName') ?? '')} does not exist</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
    return;
  }
  const outputs = Object.entries(deployedOutputs(state))
    .map(([key, value]) => `<member><OutputKey>${xml(key)}</OutputKey><OutputValue>${xml(value)}</OutputValue></member>`)
    .join('');
  response.end(
    `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
      `<StackName>${xml(stackName)}</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${xml(stackName)}/${requestId}</StackId>` +
      `<CreationTime>2026-01-01T00:00:00.000Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>${outputs}</Outputs>` +
      `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeStacksResponse>`,
  );
}

function getApiKey(state: StackState, url: URL, response: ServerResponse): void {
  const id = decodeURIComponent(url.pathname.slice('/apikeys/'.length));
  response.setHeader('Content-Type', 'application/json');
  if (id !== state.outputs.ApiKeyId || !state.apiKey) {
    response.statusCode = 404;
    response.setHeader('x-amzn-ErrorType', 'NotFoundException');
    response.end(JSON.stringify({ message: 'Invalid API Key identifier specified' }));
    return;
  }
  const includeValue = url.searchParams.get('includeValue') === 'true';
  response.end(JSON.stringify({ id, name: `${id}-client`, enabled: true, createdDate: 1767225600, ...(includeValue ? { value: state.apiKey } : {}) }));
}

/** Serves DescribeStacks for `stackName` and GetApiKey for its key, from the local stack's state. */
export async function startAwsStub(stackName: string, state: StackState): Promise<AwsStub> {
  const calls: string[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://stub');
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (request.method === 'POST' && url.pathname === '/' && form.get('Action') === 'DescribeStacks') {
        calls.push('DescribeStacks');
        describeStacks(stackName, state, form, response);
      } else if (request.method === 'GET' && url.pathname.startsWith('/apikeys/')) {
        calls.push('GetApiKey');
        getApiKey(state, url, response);
      } else {
        calls.push(`unexpected ${request.method} ${url.pathname} ${form.get('Action') ?? ''}`.trim());
        response.statusCode = 400;
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
