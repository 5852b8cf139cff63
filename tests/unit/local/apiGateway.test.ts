import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  fromProxyResult,
  gatewayResponse,
  matchRoute,
  requestTime,
  routesFromDefinition,
  toProxyEvent,
  validateRequest,
  validatorSettings,
  type IncomingRequest,
} from '../../../local/apiGateway';
import { createResolver, loadTemplate } from '../../../local/template';
import { operationContract } from '../../../src/http/contract';

const template = loadTemplate(join(__dirname, '..', '..', '..', 'template.yaml'));
const api = Object.values(template.resources).find((resource) => resource.type === 'AWS::Serverless::Api');
const definition = createResolver(template, {})(api?.properties.DefinitionBody) as Record<string, unknown>;
const routes = routesFromDefinition(definition);
const arnOf = (logicalId: string) => createResolver(template, {})({ 'Fn::GetAtt': [logicalId, 'Arn'] });

const request = (overrides: Partial<IncomingRequest> = {}): IncomingRequest => ({
  method: 'GET',
  url: '/order/abc/status',
  rawHeaders: ['Host', '127.0.0.1:3000', 'User-Agent', 'jest', 'Accept', 'a', 'accept', 'b'],
  body: Buffer.alloc(0),
  sourceIp: '127.0.0.1',
  requestId: 'req-1',
  requestTimeEpoch: Date.UTC(2025, 10, 24, 2, 50, 1),
  ...overrides,
});
const context = { stage: 'dev', apiId: 'local', accountId: '000000000000', domainName: '127.0.0.1:3000' };

function eventFor(method: string, url: string, body?: string, headers: string[] = []): APIGatewayProxyEvent {
  const path = new URL(url, 'http://x').pathname;
  const match = matchRoute(routes, path);
  if (!match) throw new Error(`no route for ${path}`);
  return toProxyEvent(request({ method, url, rawHeaders: headers, body: Buffer.from(body ?? '') }), match, context);
}

describe('routes from the API definition (swagger.yaml through the template)', () => {
  it('has a route for every path, each invoking the function its integration names', () => {
    const byResource = Object.fromEntries(routes.map((route) => [route.resource, route]));
    expect(Object.keys(byResource).sort()).toEqual(Object.keys(definition.paths as object).sort());
    expect(byResource['/order']?.methods.POST?.functionArn).toBe(arnOf('OrderApiFunction'));
    expect(byResource['/account/{customerId}']?.methods.GET?.functionArn).toBe(arnOf('AccountUpdateFunction'));
    expect(byResource['/stock']?.anyMethod?.functionArn).toBe(arnOf('StockUpdateFunction'));
  });

  it('matches a path to its resource and decodes its parameters', () => {
    const match = matchRoute(routes, '/order/a%20b/status');
    expect(match?.route.resource).toBe('/order/{orderId}/status');
    expect(match?.pathParameters).toEqual({ orderId: 'a b' });
  });

  it('prefers a literal segment over a parameter', () => {
    const literal = routesFromDefinition({ paths: { '/items/{id}': {}, '/items/special': {}, '/{proxy+}': {} } });
    expect(matchRoute(literal, '/items/special')?.route.resource).toBe('/items/special');
    expect(matchRoute(literal, '/items/7')?.route.resource).toBe('/items/{id}');
    expect(matchRoute(literal, '/any/thing/else')?.pathParameters).toEqual({ proxy: 'any/thing/else' });
  });

  it('matches no route for an unknown path or an empty parameter', () => {
    expect(matchRoute(routes, '/nowhere')).toBeUndefined();
    expect(matchRoute(routes, '/order//status')).toBeUndefined();
  });
});

describe('toProxyEvent', () => {
  it('builds a REST proxy event (payload 1.0) with API Gateway’s request context', () => {
    const event = eventFor('GET', '/order/abc/status?x=1&x=2&y=3', undefined, ['Host', '127.0.0.1:3000', 'User-Agent', 'jest', 'Accept', 'a', 'accept', 'b']);
    expect(event).toMatchObject({
      resource: '/order/{orderId}/status',
      path: '/order/abc/status',
      httpMethod: 'GET',
      pathParameters: { orderId: 'abc' },
      queryStringParameters: { x: '2', y: '3' },
      multiValueQueryStringParameters: { x: ['1', '2'], y: ['3'] },
      body: null,
      isBase64Encoded: false,
      stageVariables: null,
    });
    expect(event.headers).toMatchObject({ Host: '127.0.0.1:3000', 'User-Agent': 'jest', 'X-Forwarded-For': '127.0.0.1', 'X-Forwarded-Proto': 'http' });
    expect(event.multiValueHeaders).toMatchObject({ Accept: ['a'], accept: ['b'] });
    expect(event.requestContext).toMatchObject({
      requestId: 'req-1',
      stage: 'dev',
      resourcePath: '/order/{orderId}/status',
      httpMethod: 'GET',
      path: '/dev/order/abc/status',
      accountId: '000000000000',
      requestTime: '24/Nov/2025:02:50:01 +0000',
      identity: { sourceIp: '127.0.0.1', userAgent: 'jest' },
    });
  });

  it('has null parameters where the request has none, and the body as text', () => {
    const event = eventFor('POST', '/order', '{"a":1}', ['Content-Type', 'application/json']);
    expect(event.pathParameters).toBeNull();
    expect(event.queryStringParameters).toBeNull();
    expect(event.body).toBe('{"a":1}');
  });

  it('base64-encodes the body of a binary media type', () => {
    const match = matchRoute(routes, '/order');
    const event = toProxyEvent(request({ method: 'POST', url: '/order', rawHeaders: ['Content-Type', 'image/png'], body: Buffer.from([1, 2]) }), match!, { ...context, binaryMediaTypes: ['image/*'] });
    expect(event).toMatchObject({ body: 'AQI=', isBase64Encoded: true });
  });
});

describe('requestTime', () => {
  it('formats like API Gateway', () => {
    expect(requestTime(Date.UTC(2024, 0, 5, 7, 8, 9))).toBe('05/Jan/2024:07:08:09 +0000');
  });
});

describe('fromProxyResult', () => {
  it('maps the function’s answer to HTTP, headers and multi-value headers included', () => {
    const answer = fromProxyResult({ statusCode: 202, headers: { Location: '/x' }, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] }, body: '{"ok":true}' });
    expect(answer?.statusCode).toBe(202);
    expect(answer?.headers).toEqual({ Location: '/x', 'Set-Cookie': ['a=1', 'b=2'] });
    expect(answer?.body.toString()).toBe('{"ok":true}');
  });

  it('decodes a base64 body', () => {
    expect(fromProxyResult({ statusCode: 200, body: 'aGk=', isBase64Encoded: true })?.body.toString()).toBe('hi');
  });

  it.each([[null], ['text'], [{ statusCode: 'abc' }], [{ statusCode: 200, body: { not: 'a string' } }]])('refuses a malformed answer %j', (result) => {
    expect(fromProxyResult(result)).toBeUndefined();
  });
});

describe('gatewayResponse', () => {
  it('uses the definition’s status and template for its own answers', () => {
    const answer = gatewayResponse(definition, 'MISSING_AUTHENTICATION_TOKEN', { requestId: 'r' });
    expect(answer.statusCode).toBe(404);
    expect(JSON.parse(answer.body.toString())).toEqual({ message: expect.stringMatching(/No such route/) });
  });

  it('adds field errors in the contract’s shape and escapes the validation text into the JSON', () => {
    const answer = gatewayResponse(definition, 'BAD_REQUEST_BODY', { requestId: 'r', validationErrorString: 'a "quoted" thing', errors: [{ path: 'a', message: 'is required' }] });
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body.toString())).toEqual({ message: expect.stringContaining('a "quoted" thing'), errors: [{ path: 'a', message: 'is required' }] });
  });

  it('falls back to API Gateway’s defaults without a configured response', () => {
    const answer = gatewayResponse({}, 'DEFAULT_5XX', { requestId: 'r' });
    expect(answer.statusCode).toBe(502);
    expect(JSON.parse(answer.body.toString())).toEqual({ message: 'Internal server error' });
  });
});

describe('validateRequest', () => {
  const operation = (resource: string, method: string) => (definition.paths as Record<string, Record<string, Record<string, unknown>>>)[resource]?.[method] ?? {};

  it('reads which checks an operation turns on from its request validator', () => {
    expect(validatorSettings(definition, operation('/order', 'post'))).toEqual({ body: true, parameters: true });
    expect(validatorSettings(definition, operation('/order/{orderId}', 'get'))).toEqual({ body: false, parameters: true });
  });

  it('refuses a body that breaks the schema, with one error per field', () => {
    const event = eventFor('POST', '/order', JSON.stringify({ customerId: 'x', items: [{ productId: 'p', qty: 0 }] }), ['Content-Type', 'application/json']);
    const refusal = validateRequest(definition, operation('/order', 'post'), operationContract('/order', 'POST'), event);
    expect(refusal?.statusCode).toBe(400);
    const body = JSON.parse(refusal?.body.toString() ?? '{}') as { errors: { path: string }[] };
    expect(body.errors.map((error) => error.path).sort()).toEqual(['items[0].qty', 'totalAmount']);
  });

  it('refuses malformed JSON', () => {
    const event = eventFor('POST', '/order', '{', []);
    expect(validateRequest(definition, operation('/order', 'post'), operationContract('/order', 'POST'), event)?.statusCode).toBe(400);
  });

  it('lets a valid body through, and leaves an empty body or another media type to the function', () => {
    const valid = JSON.stringify({ customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: 1 });
    const contract = operationContract('/order', 'POST');
    expect(validateRequest(definition, operation('/order', 'post'), contract, eventFor('POST', '/order', valid, ['Content-Type', 'application/json']))).toBeUndefined();
    expect(validateRequest(definition, operation('/order', 'post'), contract, eventFor('POST', '/order', '', []))).toBeUndefined();
    expect(validateRequest(definition, operation('/order', 'post'), contract, eventFor('POST', '/order', 'x=1', ['Content-Type', 'text/plain']))).toBeUndefined();
  });

  it('refuses a request without a required parameter', () => {
    const event = eventFor('GET', '/order/abc');
    const contract = { parameters: [{ name: 'X-Tenant', in: 'header', required: true }] };
    const refusal = validateRequest(definition, operation('/order/{orderId}', 'get'), contract, event);
    expect(refusal?.statusCode).toBe(400);
    expect(JSON.parse(refusal?.body.toString() ?? '{}')).toMatchObject({ errors: [{ path: 'X-Tenant', message: 'is required' }] });
  });
});
