import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  apiKeyRequired,
  fromProxyResult,
  GATEWAY_ERRORS,
  gatewayResponse,
  matchRoute,
  matchStagedRoute,
  missingParameters,
  missingRequiredParameters,
  payloadOverApiGatewayLimit,
  requestTime,
  routesFromDefinition,
  sortRoutes,
  substituteContext,
  toProxyEvent,
  validatesParameters,
  type GatewayError,
  type GatewayRequest,
  type IncomingRequest,
} from '../src/apiGateway';
import { createResolver, loadTemplate } from '../src/template';

const template = loadTemplate(join(__dirname, 'templates', 'helpdesk', 'template.yaml'));
const api = Object.values(template.resources).find((resource) => resource.type === 'AWS::Serverless::Api');
const definition = createResolver(template, {})(api?.properties.DefinitionBody) as Record<string, unknown>;
const routes = routesFromDefinition(definition);
const arnOf = (logicalId: string) => createResolver(template, {})({ 'Fn::GetAtt': [logicalId, 'Arn'] });

const request = (overrides: Partial<IncomingRequest> = {}): IncomingRequest => ({
  method: 'GET',
  url: '/ticket/abc/status',
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
  const match = matchStagedRoute(routes, 'dev', path);
  if (!match) throw new Error(`no route for ${path}`);
  return toProxyEvent(request({ method, url, rawHeaders: headers, body: Buffer.from(body ?? '') }), match, context);
}

describe('routes from the API definition (swagger.yaml through the template)', () => {
  it('has a route for every path, each invoking the function its integration names', () => {
    const byResource = Object.fromEntries(routes.map((route) => [route.resource, route]));
    expect(Object.keys(byResource).sort()).toEqual(Object.keys(definition.paths as object).sort());
    expect(byResource['/ticket']?.methods.POST?.functionArn).toBe(arnOf('TicketApiFunction'));
    expect(byResource['/team/{requesterId}']?.methods.GET?.functionArn).toBe(arnOf('TeamUpdateFunction'));
    expect(byResource['/seat']?.anyMethod?.functionArn).toBe(arnOf('SeatUpdateFunction'));
  });

  it('matches a path to its resource and decodes its parameters', () => {
    const match = matchRoute(routes, '/ticket/a%20b/status');
    expect(match?.route.resource).toBe('/ticket/{ticketId}/status');
    expect(match?.pathParameters).toEqual({ ticketId: 'a b' });
  });

  it('prefers a literal segment over a parameter', () => {
    const literal = routesFromDefinition({ paths: { '/items/{id}': {}, '/items/special': {}, '/{proxy+}': {} } });
    expect(matchRoute(literal, '/items/special')?.route.resource).toBe('/items/special');
    expect(matchRoute(literal, '/items/7')?.route.resource).toBe('/items/{id}');
    expect(matchRoute(literal, '/any/thing/else')?.pathParameters).toEqual({ proxy: 'any/thing/else' });
  });

  it('matches no route for an unknown path or an empty parameter', () => {
    expect(matchRoute(routes, '/nowhere')).toBeUndefined();
    expect(matchRoute(routes, '/ticket//status')).toBeUndefined();
  });

  it('matches a path with or without the stage in front, keeping the path as called', () => {
    expect(matchStagedRoute(routes, 'dev', '/dev/ticket/abc/status')).toMatchObject({ path: '/ticket/abc/status', calledPath: '/dev/ticket/abc/status', pathParameters: { ticketId: 'abc' } });
    expect(matchStagedRoute(routes, 'dev', '/ticket/abc/status')).toMatchObject({ path: '/ticket/abc/status', calledPath: '/ticket/abc/status' });
    expect(matchStagedRoute(routes, 'dev', '/prod/ticket')).toBeUndefined();
  });

  it('reads a path under the stage as the deployed URL does, even where the unprefixed form also matches', () => {
    const rooted = sortRoutes(routesFromDefinition({ paths: { '/': { get: {} }, '/{id}': { get: {} } } }));
    expect(matchStagedRoute(rooted, 'Prod', '/Prod/')).toMatchObject({ path: '/', calledPath: '/Prod/' });
    expect(matchStagedRoute(rooted, 'Prod', '/Prod')).toMatchObject({ path: '/', calledPath: '/Prod' });
    expect(matchStagedRoute(rooted, 'Prod', '/Prod/abc')).toMatchObject({ path: '/abc', pathParameters: { id: 'abc' } });
    expect(matchStagedRoute(rooted, 'Prod', '/abc')).toMatchObject({ path: '/abc', pathParameters: { id: 'abc' } });
  });

  it('requires the API key where an operation’s security names an apiKey scheme, as API Gateway imports it', () => {
    expect(routes.every((route) => [...Object.values(route.methods), route.anyMethod].every((target) => target?.apiKeyRequired !== false))).toBe(true);
    const schemes = { components: { securitySchemes: { key: { type: 'apiKey' }, other: { type: 'oauth2' } } } };
    expect(apiKeyRequired(schemes, { security: [{ key: [] }] })).toBe(true);
    expect(apiKeyRequired(schemes, { security: [{ other: [] }] })).toBe(false);
    expect(apiKeyRequired({ ...schemes, security: [{ key: [] }] }, {})).toBe(true);
    expect(apiKeyRequired(schemes, {})).toBe(false);
  });
});

describe('toProxyEvent', () => {
  it('builds a REST proxy event (payload 1.0) with API Gateway’s request context', () => {
    const event = eventFor('GET', '/dev/ticket/abc/status?x=1&x=2&y=3', undefined, ['Host', '127.0.0.1:3000', 'User-Agent', 'jest', 'Accept', 'a', 'accept', 'b']);
    expect(event).toMatchObject({
      resource: '/ticket/{ticketId}/status',
      path: '/ticket/abc/status',
      httpMethod: 'GET',
      pathParameters: { ticketId: 'abc' },
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
      resourcePath: '/ticket/{ticketId}/status',
      httpMethod: 'GET',
      path: '/dev/ticket/abc/status',
      accountId: '000000000000',
      requestTime: '24/Nov/2025:02:50:01 +0000',
      identity: { sourceIp: '127.0.0.1', userAgent: 'jest' },
    });
  });

  it('gives a path called without the stage as requestContext.path, as a custom domain mapped at its root does', () => {
    expect(eventFor('GET', '/ticket/abc/status')).toMatchObject({ path: '/ticket/abc/status', requestContext: { path: '/ticket/abc/status', stage: 'dev' } });
  });

  it('has null parameters where the request has none, and the body as text', () => {
    const event = eventFor('POST', '/ticket', '{"a":1}', ['Content-Type', 'application/json']);
    expect(event.pathParameters).toBeNull();
    expect(event.queryStringParameters).toBeNull();
    expect(event.body).toBe('{"a":1}');
  });

  it('base64-encodes the body of a binary media type', () => {
    const match = matchRoute(routes, '/ticket');
    const event = toProxyEvent(request({ method: 'POST', url: '/ticket', rawHeaders: ['Content-Type', 'image/png'], body: Buffer.from([1, 2]) }), match!, { ...context, binaryMediaTypes: ['image/*'] });
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

const gatewayRequest = (overrides: Partial<GatewayRequest> = {}): GatewayRequest => ({
  requestId: 'c0ffee00-0000-4000-8000-000000000000',
  extendedRequestId: 'YIwYiFstIAMESqA=',
  httpMethod: 'GET',
  path: '/dev/nowhere',
  stage: 'dev',
  apiId: 'local',
  accountId: '000000000000',
  domainName: '127.0.0.1:3000',
  sourceIp: '127.0.0.1',
  userAgent: 'jest',
  headers: {},
  pathParameters: {},
  query: {},
  ...overrides,
});
const bodyOf = (answer: { body: Buffer }) => JSON.parse(answer.body.toString()) as unknown;
const configuredResponses = definition['x-amazon-apigateway-gateway-responses'] as Record<string, { statusCode?: number }>;

describe('gatewayResponse: the definition’s own answers, rendered as API Gateway renders them', () => {
  it('uses the type’s status, template and x-amzn-ErrorType', () => {
    const answer = gatewayResponse(definition, GATEWAY_ERRORS.noRoute, gatewayRequest());
    expect(answer.statusCode).toBe(404);
    expect(answer.headers).toMatchObject({ 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'MissingAuthenticationTokenException' });
    expect(bodyOf(answer)).toEqual({ message: expect.stringMatching(/No such route/) });
  });

  it('adds the headers its responseParameters map (a static Retry-After on THROTTLED)', () => {
    expect(gatewayResponse(definition, GATEWAY_ERRORS.throttled, gatewayRequest()).headers['Retry-After']).toBe('1');
  });

  it('falls back to DEFAULT_5XX’s template with the error’s own status (502 for a failing function, 504 for a timeout)', () => {
    const failed = gatewayResponse(definition, GATEWAY_ERRORS.functionError, gatewayRequest());
    const timedOut = gatewayResponse(definition, GATEWAY_ERRORS.integrationTimeout, gatewayRequest());
    expect([failed.statusCode, timedOut.statusCode]).toEqual([502, 504]);
    expect(bodyOf(failed)).toEqual(bodyOf(timedOut));
    expect(bodyOf(failed)).toEqual({ message: expect.stringMatching(/retry later/) });
  });

  it('lets a DEFAULT_4XX status stand in for every 4xx type it covers', () => {
    const custom = { 'x-amazon-apigateway-gateway-responses': { DEFAULT_4XX: { statusCode: 400, responseTemplates: { 'application/json': '{"m":"$context.error.responseType"}' } } } };
    const answer = gatewayResponse(custom, GATEWAY_ERRORS.invalidApiKey, gatewayRequest());
    expect([answer.statusCode, answer.body.toString()]).toEqual([400, '{"m":"INVALID_API_KEY"}']);
  });

  it('uses API Gateway’s own default without any configured response: {"message": $context.error.messageString}', () => {
    const answer = gatewayResponse({}, GATEWAY_ERRORS.throttled, gatewayRequest());
    expect([answer.statusCode, answer.body.toString()]).toEqual([429, '{"message":"Too Many Requests"}']);
  });

  it('maps method.request values into headers', () => {
    const custom = { 'x-amazon-apigateway-gateway-responses': { DEFAULT_4XX: { responseParameters: { 'gatewayresponse.header.x-tenant': 'method.request.header.X-Tenant', 'gatewayresponse.header.x-id': 'method.request.path.ticketId', 'gatewayresponse.header.x-q': 'method.request.querystring.q' } } } };
    const answer = gatewayResponse(custom, GATEWAY_ERRORS.noRoute, gatewayRequest({ headers: { 'x-tenant': 't1' }, pathParameters: { ticketId: 'o1' }, query: { q: 'v' } }));
    expect(answer.headers).toMatchObject({ 'x-tenant': 't1', 'x-id': 'o1', 'x-q': 'v' });
  });
});

describe('substituteContext: plain $context substitution, no VTL, no escaping', () => {
  it('replaces the longest variable name and keeps what follows it', () => {
    expect(substituteContext('$context.error.messageString|$context.error.message|$context.requestId.x', { 'error.message': 'm', 'error.messageString': '"m"', requestId: 'r' })).toBe('"m"|m|r.x');
  });

  it('renders an unknown variable empty, and quotes inside a value as they are', () => {
    expect(substituteContext('{"a":"$context.nothing","b":"$context.error.message"}', { 'error.message': 'say "hi"' })).toBe('{"a":"","b":"say "hi""}');
  });
});

describe('every gateway response in swagger.yaml', () => {
  const hostile = 'quote " backslash \\ newline \n tab \t end';
  const hostileRequest = gatewayRequest({
    requestId: hostile,
    extendedRequestId: hostile,
    httpMethod: hostile,
    path: hostile,
    resourcePath: hostile,
    stage: hostile,
    apiId: hostile,
    domainName: hostile,
    sourceIp: hostile,
    userAgent: hostile,
    headers: { 'x-tenant': hostile },
    pathParameters: { ticketId: hostile },
    query: { q: hostile },
  });
  /** Each configured type, and each error the local gateway produces, with hostile strings in every $context value. */
  const cases: [string, GatewayError][] = [
    ...Object.keys(configuredResponses).map((type): [string, GatewayError] => [
      type,
      { type: type as GatewayError['type'], statusCode: type === 'DEFAULT_5XX' ? 500 : 400, message: hostile, errorType: hostile, validationErrorString: hostile },
    ]),
    ...Object.entries(GATEWAY_ERRORS).map(([name, error]): [string, GatewayError] => [name, { ...error, message: hostile, validationErrorString: hostile }]),
    ['missingParameters', { ...missingParameters([hostile]), message: hostile }],
  ];

  it.each(cases)('%s renders as JSON in the contract’s error shape: a message and nothing else', (_name, error) => {
    const answer = gatewayResponse(definition, error, hostileRequest);
    const body = JSON.parse(answer.body.toString()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['message']);
    expect(typeof body.message).toBe('string');
    expect(answer.statusCode).toBeGreaterThanOrEqual(400);
  });

  it('defines DEFAULT_4XX and DEFAULT_5XX, so no type falls back to API Gateway’s own body', () => {
    expect(Object.keys(configuredResponses)).toEqual(expect.arrayContaining(['DEFAULT_4XX', 'DEFAULT_5XX']));
  });
});

describe('payloads over API Gateway’s 10 MB', () => {
  it('get API Gateway’s plain-text 413, which no template shapes', () => {
    const answer = payloadOverApiGatewayLimit();
    expect([answer.statusCode, answer.headers['Content-Type'], answer.body.toString()]).toEqual([413, 'text/plain; charset=utf-8', 'HTTP content length exceeded 10485760 bytes.']);
  });
});

describe('parameter validation', () => {
  const operation = (resource: string, method: string) => (definition.paths as Record<string, Record<string, Record<string, unknown>>>)[resource]?.[method] ?? {};

  it('validates parameters only, on every operation of the definition (bodies are the functions’)', () => {
    const validators = definition['x-amazon-apigateway-request-validators'] as Record<string, { validateRequestBody?: boolean }>;
    expect(Object.values(validators).every((validator) => validator.validateRequestBody === false)).toBe(true);
    expect(validatesParameters(definition, operation('/ticket', 'post'))).toBe(true);
    expect(validatesParameters(definition, operation('/ticket/{ticketId}', 'get'))).toBe(true);
  });

  it('refuses a request without a required parameter, or with a blank one', () => {
    const contract = { parameters: [{ name: 'X-Tenant', in: 'header', required: true }] };
    expect(missingRequiredParameters(definition, operation('/ticket/{ticketId}', 'get'), contract, eventFor('GET', '/ticket/abc'))).toEqual(missingParameters(['X-Tenant']));
    expect(missingRequiredParameters(definition, operation('/ticket/{ticketId}', 'get'), contract, eventFor('GET', '/ticket/abc', undefined, ['X-Tenant', ' ']))?.type).toBe('BAD_REQUEST_PARAMETERS');
    expect(missingRequiredParameters(definition, operation('/ticket/{ticketId}', 'get'), contract, eventFor('GET', '/ticket/abc', undefined, ['x-tenant', 't1']))).toBeUndefined();
  });

  it('lets through what the contract makes optional (Idempotency-Key, If-Match) and leaves bodies alone', () => {
    const event = eventFor('POST', '/ticket', '{"not":"an ticket"}', ['Content-Type', 'application/json']);
    const contract = {
      parameters: [
        { name: 'Idempotency-Key', in: 'header', required: false },
        { name: 'If-Match', in: 'header', required: false },
      ],
    };
    expect(missingRequiredParameters(definition, operation('/ticket', 'post'), contract, event)).toBeUndefined();
  });

  it('checks nothing for an operation whose validator does not validate parameters', () => {
    const unvalidated = { ...definition, 'x-amazon-apigateway-request-validator': undefined };
    const contract = { parameters: [{ name: 'X-Tenant', in: 'header', required: true }] };
    expect(missingRequiredParameters(unvalidated, {}, contract, eventFor('GET', '/ticket/abc'))).toBeUndefined();
  });
});
