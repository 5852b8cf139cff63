import { join } from 'node:path';
import { localApi, startApiServer, type RunningApi } from '../src/apiServer';
import { FunctionError, InvocationThrottled, type FunctionRuntime } from '../src/functions';
import type { ProvisionedStack } from '../src/provision';
import { createResolver, loadTemplate, placeholderResource, type PhysicalResources } from '../src/template';

const template = loadTemplate(join(__dirname, 'templates', 'helpdesk', 'template.yaml'));

/** The project's stack with made-up local names: enough for the API's routes. */
function localStack(): ProvisionedStack {
  const physical: PhysicalResources = {};
  for (const resource of Object.values(template.resources)) physical[resource.logicalId] = placeholderResource(template, resource);
  return { template, physical, resolve: createResolver(template, physical), tables: [], queues: [], topics: [], subscriptions: [], functions: [], ignored: [], outputs: {}, queueByArn: () => undefined };
}

describe('the local API when its function cannot answer', () => {
  const stack = localStack();
  const api = localApi(stack);
  let failure: Error = new Error('unset');
  const functions = { byArn: () => ({ definition: { logicalId: 'TicketApiFunction' }, invoke: () => Promise.reject(failure) }) } as unknown as FunctionRuntime;
  let server: RunningApi;

  beforeAll(async () => {
    if (!api) throw new Error('the template has no API');
    server = await startApiServer({ stack, api, functions, log: () => undefined }, 0);
  });
  afterAll(() => server.close());

  const getTicket = async () => {
    const response = await fetch(`${server.url}/ticket/o-1`);
    return { status: response.status, body: (await response.json()) as { message?: unknown } };
  };

  it('answers 502 when the function fails or times out, and 500 with the same body when Lambda throttles it', async () => {
    failure = new FunctionError({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 10.00 seconds' });
    const failed = await getTicket();
    failure = new InvocationThrottled();
    const throttled = await getTicket();
    expect([failed.status, throttled.status]).toEqual([502, 500]);
    expect(throttled.body).toEqual(failed.body);
    expect(typeof throttled.body.message).toBe('string');
  });
});
