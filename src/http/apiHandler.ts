// Everything the three API functions share: routing by the contract, body limits, JSON parsing,
// validation against swagger.yaml, the JSON response, the error mapping and writing the request's
// metrics. Handlers supply only one function per operationId.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { FieldError } from '../domain/orderRequest';
import { publishingMetrics } from '../metrics';
import { allowedMethods, operationContract } from './contract';
import { HttpError, InvalidRequestError, toErrorResponse } from './errors';
import { parseExactJson } from './exactJson';
import { basePathOf } from './location';

export const MAX_BODY_BYTES = 64 * 1024;

export interface ApiRequest<Body = unknown> {
  body: Body;
  pathParameters: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  requestId: string;
  /** The API key the caller sent (API Gateway's identity.apiKeyId); null where keys are not enforced. */
  apiKeyId: string | null;
  resource: string;
  /** The path prefix the client called the API under (`/dev`, a custom domain's base path, or ''). */
  basePath: string;
  /** When API Gateway received the request (its requestTimeEpoch, epoch milliseconds), if it says. */
  receivedAt?: number;
  context: Context;
}

export interface ApiResult {
  statusCode: number;
  body: unknown;
  headers?: Record<string, string>;
}

// Each operation validates its own request before it runs, so the body's type is the schema's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Operation = (request: ApiRequest<any>) => Promise<ApiResult>;

export function apiHandler(operations: Record<string, Operation>, logger: Logger) {
  return publishingMetrics(async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    logger.addContext(context);
    try {
      const result = await route(event, context, operations);
      return json(result.statusCode, result.body, result.headers);
    } catch (error) {
      const response = toErrorResponse(error);
      if (response.unexpected) logger.error('request failed', { error: error as Error, resource: event.resource, method: event.httpMethod });
      else logger.info('request refused', { statusCode: response.statusCode, reason: response.body.message });
      return json(response.statusCode, response.body, response.headers);
    }
  });
}

async function route(event: APIGatewayProxyEvent, context: Context, operations: Record<string, Operation>): Promise<ApiResult> {
  const allowed = allowedMethods(event.resource);
  if (allowed.length === 0) throw new HttpError(404, 'No such route. See the API documentation for the available paths.');
  const contract = operationContract(event.resource, event.httpMethod);
  const operation = contract && operations[contract.operationId];
  if (!contract || !operation) {
    throw new HttpError(405, `${event.httpMethod} is not allowed on ${event.resource}; use ${allowed.join(' or ')}.`, undefined, { Allow: allowed.join(', ') });
  }

  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value ?? '']));
  const pathParameters = Object.fromEntries(Object.entries(event.pathParameters ?? {}).map(([name, value]) => [name, value ?? '']));
  const errors: FieldError[] = [];
  for (const parameter of contract.parameters) {
    const source = parameter.in === 'path' ? pathParameters : parameter.in === 'header' ? headers : (event.queryStringParameters ?? {});
    const value = source[parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name];
    // An empty value sent for an optional parameter is checked like any other (an empty
    // Idempotency-Key is refused, not taken as no key), an empty required one is missing.
    if (value === undefined || (value === '' && parameter.required)) {
      if (parameter.required) errors.push({ path: parameter.name, message: 'is required' });
    } else {
      errors.push(...parameter.validate(value));
    }
  }

  let body: unknown;
  if (contract.validateBody) {
    const parsed = parseBody(event, headers['content-type']);
    body = parsed.value;
    errors.push(...parsed.inexact, ...contract.validateBody(body));
  }
  if (errors.length > 0) throw InvalidRequestError.of(errors);
  const apiKeyId = event.requestContext?.identity?.apiKeyId ?? null;
  const receivedAt = event.requestContext?.requestTimeEpoch;
  return operation({
    body,
    pathParameters,
    headers,
    requestId: event.requestContext?.requestId ?? '',
    apiKeyId,
    resource: event.resource,
    basePath: basePathOf(event),
    ...(typeof receivedAt === 'number' ? { receivedAt } : {}),
    context,
  });
}

function parseBody(event: APIGatewayProxyEvent, contentType: string | undefined): ReturnType<typeof parseExactJson> {
  // A missing Content-Type is read as JSON (Postman and curl often omit it); a declared other type is refused.
  if (contentType && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim())) {
    throw new HttpError(415, `Send the body as application/json, not ${contentType.split(';')[0]?.trim()}.`);
  }
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) throw new HttpError(413, 'The request body is too large; send at most 64 KiB.');
  if (raw.trim() === '') throw new HttpError(400, 'The request body is empty; send a JSON object.');
  try {
    return parseExactJson(raw);
  } catch (error) {
    // The reviver walks the parsed tree recursively: a body nested thousands deep overflows it.
    if (error instanceof RangeError) throw new HttpError(400, 'The request body is nested too deeply.');
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
