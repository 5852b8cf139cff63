// The Lambda Invoke API on a port of its own, as `sam local start-lambda` serves it: any function
// of the stack can be invoked once, by hand or from a test, e.g. a scheduled CleanupFunction
// without waiting for its next minute:
//
//   curl -X POST http://127.0.0.1:3001/2015-03-31/functions/CleanupFunction/invocations -d '{}'
//   aws lambda invoke --endpoint-url http://127.0.0.1:3001 --function-name CleanupFunction out.json
//
// A function is named by its logical id, its local name or its ARN. Invocation types:
// RequestResponse (default; 200, and X-Amz-Function-Error when the function failed; 429 when the
// function is throttled), Event (202, runs in the background) and DryRun (204).
import { listen, readBody, type RunningServer } from './loopbackServer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FunctionError, isThrottled, type FunctionPool } from './functions';

export interface InvokableFunctions {
  functions: FunctionPool[];
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

interface LambdaAnswer {
  statusCode: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Lambda's own error answer: the error type in x-amzn-ErrorType and a JSON body. */
const serviceError = (statusCode: number, errorType: string, message: string): LambdaAnswer => ({
  statusCode,
  headers: { 'x-amzn-ErrorType': errorType },
  body: { Type: 'User', message },
});

export function findFunction(runtime: InvokableFunctions, name: string): FunctionPool | undefined {
  // An ARN may carry a qualifier (`:$LATEST`); locally there is only $LATEST.
  const unqualified = name.replace(/^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+):[^:]+$/, '$1');
  return runtime.functions.find(({ definition }) => [definition.logicalId, definition.name, definition.arn].includes(unqualified));
}

/** Answers one request of the Invoke API. */
export async function invokeRequest(
  runtime: InvokableFunctions,
  request: { method: string; path: string; headers: Record<string, string | undefined>; body: Buffer },
): Promise<LambdaAnswer> {
  const match = INVOKE_PATH.exec(request.path);
  if (!match || request.method !== 'POST') return serviceError(404, 'UnknownOperationException', `No operation ${request.method} ${request.path}; this endpoint serves Invoke only.`);
  const name = decodeURIComponent(match[1] ?? '');
  const pool = findFunction(runtime, name);
  if (!pool) return serviceError(404, 'ResourceNotFoundException', `Function not found: ${name}`);

  let event: unknown = {};
  const text = request.body.toString('utf8');
  if (text.trim() !== '') {
    try {
      event = JSON.parse(text);
    } catch {
      return serviceError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
  }

  const invocationType = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
  if (invocationType === 'DryRun') return { statusCode: 204 };
  if (invocationType === 'Event') {
    // The pool logs a failure; nobody waits for the result, as with an asynchronous invocation.
    // Divergence: a throttled one is lost here, where Lambda's event queue would retry it (for up to 6 h).
    pool.invoke(event).catch(() => undefined);
    return { statusCode: 202 };
  }
  if (invocationType !== 'RequestResponse') return serviceError(400, 'InvalidParameterValueException', `Unknown invocation type ${invocationType}`);

  const version = { 'X-Amz-Executed-Version': '$LATEST' };
  try {
    const result = await pool.invoke(event);
    return { statusCode: 200, headers: version, body: result };
  } catch (error) {
    if (isThrottled(error)) return { ...serviceError(429, 'TooManyRequestsException', error.message), body: { Type: 'User', message: error.message, Reason: error.reason } };
    const failure =
      error instanceof FunctionError
        ? { errorType: error.errorType, errorMessage: error.message, trace: error.trace }
        : { errorType: 'Error', errorMessage: (error as Error).message, trace: [] };
    return { statusCode: 200, headers: { ...version, 'X-Amz-Function-Error': 'Unhandled' }, body: failure };
  }
}

export type RunningLambdaApi = RunningServer;

export async function startLambdaApi(runtime: InvokableFunctions, port: number, host = '127.0.0.1', log: (line: string) => void = () => undefined): Promise<RunningLambdaApi> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    readBody(request)
      .then((body) => invokeRequest(runtime, { method, path, headers: request.headers as Record<string, string | undefined>, body }))
      .then((answer) => {
        log(`${method} ${path} ${answer.statusCode}${answer.headers?.['X-Amz-Function-Error'] ? ' (function error)' : ''}`);
        const payload = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(answer.body));
        response.writeHead(answer.statusCode, { ...(answer.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...answer.headers, 'Content-Length': String(payload.length) });
        response.end(payload);
      })
      .catch(() => response.destroy());
  });
  return listen(server, port, host);
}
