import { FunctionError, InvocationThrottled, type FunctionPool } from '../src/functions';
import { invokeRequest, startLambdaApi, type InvokableFunctions } from '../src/lambdaApi';
import { parseCli } from '../src/start';

function pool(logicalId: string, invoke: (event: unknown) => Promise<unknown>): FunctionPool {
  return {
    definition: { logicalId, name: `helpdesk-${logicalId}`, arn: `arn:aws:lambda:us-east-1:000000000000:function:helpdesk-${logicalId}` },
    invoke: jest.fn(invoke),
  } as unknown as FunctionPool;
}

const sweeper = pool('TicketSweeperFunction', async () => ({ rejected: 2, closingRequested: 0 }));
const failing = pool('CloseTicketFunction', async () => {
  throw new FunctionError({ errorType: 'TypeError', errorMessage: 'boom', stack: ['at handler'] });
});
const throttled = pool('SeatCheckerFunction', async () => {
  throw new InvocationThrottled();
});
const runtime: InvokableFunctions = { functions: [sweeper, failing, throttled] };

const post = (path: string, body = '', headers: Record<string, string> = {}) => invokeRequest(runtime, { method: 'POST', path, headers, body: Buffer.from(body) });
const invocations = (name: string) => `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;

beforeEach(() => jest.clearAllMocks());

describe('the local Lambda Invoke API', () => {
  it('invokes a function named by its logical id with the payload and answers its result', async () => {
    const answer = await post(invocations('TicketSweeperFunction'), '{"source":"test"}');
    expect(answer).toMatchObject({ statusCode: 200, body: { rejected: 2, closingRequested: 0 } });
    expect(sweeper.invoke).toHaveBeenCalledWith({ source: 'test' });
  });

  it('finds a function by its local name and by its ARN, with or without a qualifier', async () => {
    for (const name of ['helpdesk-TicketSweeperFunction', sweeper.definition.arn, `${sweeper.definition.arn}:$LATEST`]) {
      expect((await post(invocations(name))).statusCode).toBe(200);
    }
    expect(sweeper.invoke).toHaveBeenCalledTimes(3);
  });

  it('passes an empty payload as an empty object', async () => {
    await post(invocations('TicketSweeperFunction'));
    expect(sweeper.invoke).toHaveBeenCalledWith({});
  });

  it('reports a failed invocation as Lambda does: 200 with X-Amz-Function-Error and the error', async () => {
    const answer = await post(invocations('CloseTicketFunction'));
    expect(answer.statusCode).toBe(200);
    expect(answer.headers?.['X-Amz-Function-Error']).toBe('Unhandled');
    expect(answer.body).toEqual({ errorType: 'TypeError', errorMessage: 'boom', trace: ['at handler'] });
  });

  it('answers a throttled invocation as Lambda does: 429 TooManyRequestsException with its reason', async () => {
    expect(await post(invocations('SeatCheckerFunction'))).toEqual({
      statusCode: 429,
      headers: { 'x-amzn-ErrorType': 'TooManyRequestsException' },
      body: { Type: 'User', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' },
    });
  });

  it('answers an Event invocation with 202 without waiting, and a DryRun with 204 without running', async () => {
    expect((await post(invocations('TicketSweeperFunction'), '{}', { 'x-amz-invocation-type': 'Event' })).statusCode).toBe(202);
    expect(sweeper.invoke).toHaveBeenCalledTimes(1);
    expect((await post(invocations('TicketSweeperFunction'), '{}', { 'x-amz-invocation-type': 'DryRun' })).statusCode).toBe(204);
    expect(sweeper.invoke).toHaveBeenCalledTimes(1);
  });

  it('refuses an unknown function, a payload that is not JSON and any other operation', async () => {
    expect(await post(invocations('NoSuchFunction'))).toMatchObject({ statusCode: 404, headers: { 'x-amzn-ErrorType': 'ResourceNotFoundException' } });
    expect(await post(invocations('TicketSweeperFunction'), '{not json')).toMatchObject({ statusCode: 400, headers: { 'x-amzn-ErrorType': 'InvalidRequestContentException' } });
    expect((await invokeRequest(runtime, { method: 'GET', path: '/2015-03-31/functions', headers: {}, body: Buffer.alloc(0) })).statusCode).toBe(404);
    expect(sweeper.invoke).not.toHaveBeenCalled();
  });

  it('serves the same over HTTP on its own port', async () => {
    const api = await startLambdaApi(runtime, 0);
    try {
      const response = await fetch(`${api.url}${invocations('TicketSweeperFunction')}`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ rejected: 2, closingRequested: 0 });
    } finally {
      await api.close();
    }
  });

  it('is switched on by npm start --lambda-port', () => {
    expect(parseCli(['--lambda-port', '3001'], {}).lambdaPort).toBe(3001);
    expect(parseCli([], {}).lambdaPort).toBeUndefined();
    expect(() => parseCli(['--lambda-port', 'x'], {})).toThrow(/not a port/);
  });
});
