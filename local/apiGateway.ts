// API Gateway (REST, Lambda proxy integration) as data: the routes of an OpenAPI DefinitionBody,
// route matching, the proxy event v1 a function receives, the mapping of its answer back to HTTP,
// and the gateway's own responses (x-amazon-apigateway-gateway-responses).
import type { APIGatewayProxyEvent } from 'aws-lambda';

export const ANY_METHOD = 'x-amazon-apigateway-any-method';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

export interface RouteOperation {
  /** The function the integration invokes, as its ARN. */
  functionArn: string;
  /** The OpenAPI operation (undefined for x-amazon-apigateway-any-method and implicit event routes). */
  operation?: Record<string, unknown>;
}

export interface ApiRoute {
  /** The path as API Gateway names the resource: `/order/{orderId}/status`. */
  resource: string;
  pattern: RegExp;
  parameterNames: string[];
  methods: Record<string, RouteOperation>;
  anyMethod?: RouteOperation;
}

/** `.../functions/arn:aws:lambda:...:function:name/invocations` -> the function ARN. */
export function integrationFunctionArn(uri: unknown): string | undefined {
  return typeof uri === 'string' ? /functions\/(arn:[^/]+)\/invocations/.exec(uri)?.[1] : undefined;
}

function routePattern(resource: string): { pattern: RegExp; parameterNames: string[] } {
  const parameterNames: string[] = [];
  const source = resource
    .split('/')
    .map((segment) => {
      const parameter = /^\{([^}]+?)(\+?)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter[1] ?? '');
      // A greedy {proxy+} spans segments; a plain parameter is one non-empty segment.
      return parameter[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), parameterNames };
}

/** The routes of a resolved OpenAPI definition whose integrations invoke a Lambda function. */
export function routesFromDefinition(definition: Record<string, unknown>): ApiRoute[] {
  const routes: ApiRoute[] = [];
  for (const [resource, item] of Object.entries((definition.paths ?? {}) as Record<string, Record<string, Record<string, unknown>>>)) {
    const route: ApiRoute = { resource, ...routePattern(resource), methods: {} };
    for (const [method, operation] of Object.entries(item)) {
      const arn = integrationFunctionArn((operation['x-amazon-apigateway-integration'] as { uri?: unknown } | undefined)?.uri);
      if (!arn) continue;
      if (method === ANY_METHOD) route.anyMethod = { functionArn: arn };
      else if (METHODS.includes(method)) route.methods[method.toUpperCase()] = { functionArn: arn, operation };
    }
    routes.push(route);
  }
  return sortRoutes(routes);
}

/** API Gateway prefers the most specific resource: literal segments before parameters before greedy ones. */
export function sortRoutes(routes: ApiRoute[]): ApiRoute[] {
  const rank = (route: ApiRoute) => route.resource.split('/').map((segment) => (segment.endsWith('+}') ? 2 : segment.startsWith('{') ? 1 : 0));
  return [...routes].sort((a, b) => {
    const [left, right] = [rank(a), rank(b)];
    for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
      const difference = (left[index] ?? -1) - (right[index] ?? -1);
      if (difference !== 0) return difference;
    }
    return 0;
  });
}

export interface RouteMatch {
  route: ApiRoute;
  pathParameters: Record<string, string>;
}

export function matchRoute(routes: ApiRoute[], path: string): RouteMatch | undefined {
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const pathParameters: Record<string, string> = {};
    route.parameterNames.forEach((name, index) => {
      const raw = match[index + 1] ?? '';
      try {
        pathParameters[name] = decodeURIComponent(raw);
      } catch {
        pathParameters[name] = raw;
      }
    });
    return { route, pathParameters };
  }
  return undefined;
}

export interface IncomingRequest {
  method: string;
  /** Path and query as received: `/order/1/status?x=1`. */
  url: string;
  /** Node's rawHeaders: name, value, name, value ... with the client's casing. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  requestId: string;
  requestTimeEpoch: number;
}

export interface ApiContext {
  stage: string;
  apiId: string;
  accountId: string;
  domainName: string;
  /** Content types API Gateway passes base64-encoded (x-amazon-apigateway-binary-media-types). */
  binaryMediaTypes?: string[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's requestTime: `24/Nov/2025:02:50:01 +0000`. */
export function requestTime(epoch: number): string {
  const date = new Date(epoch);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

function isBinary(contentType: string | undefined, binaryMediaTypes: string[]): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return binaryMediaTypes.some((pattern) => {
    const [major, minor] = pattern.toLowerCase().split('/');
    const [typeMajor, typeMinor] = type.split('/');
    return (major === '*' || major === typeMajor) && (minor === '*' || minor === typeMinor);
  });
}

/** The REST API Lambda proxy event (payload format 1.0) for one request. */
export function toProxyEvent(request: IncomingRequest, match: RouteMatch, context: ApiContext): APIGatewayProxyEvent {
  const url = new URL(request.url, 'http://local');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const addHeader = (name: string, value: string) => {
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  };
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) addHeader(request.rawHeaders[index] ?? '', request.rawHeaders[index + 1] ?? '');
  // What API Gateway adds in front of every integration.
  const port = context.domainName.split(':')[1] ?? '80';
  for (const [name, value] of [
    ['X-Forwarded-For', request.sourceIp],
    ['X-Forwarded-Port', port],
    ['X-Forwarded-Proto', 'http'],
  ] as const) {
    if (!Object.keys(headers).some((existing) => existing.toLowerCase() === name.toLowerCase())) addHeader(name, value);
  }

  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiValueQuery[name] ??= []).push(value);
  }
  const header = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  const binary = isBinary(header('content-type'), context.binaryMediaTypes ?? []);
  const path = url.pathname;
  const resourcePath = match.route.resource;

  return {
    resource: resourcePath,
    path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(multiValueQuery).length > 0 ? multiValueQuery : null,
    pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
    stageVariables: null,
    body: request.body.length === 0 ? null : binary ? request.body.toString('base64') : request.body.toString('utf8'),
    isBase64Encoded: binary && request.body.length > 0,
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      authorizer: null,
      domainName: context.domainName,
      domainPrefix: context.domainName.split('.')[0] ?? context.domainName,
      extendedRequestId: request.requestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: header('user-agent') ?? null,
        userArn: null,
      },
      path: `/${context.stage}${path}`,
      protocol: 'HTTP/1.1',
      requestId: request.requestId,
      requestTime: requestTime(request.requestTimeEpoch),
      requestTimeEpoch: request.requestTimeEpoch,
      resourceId: resourcePath,
      resourcePath,
      stage: context.stage,
    },
  };
}

export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** A function's proxy result -> HTTP; undefined when it is malformed (API Gateway answers 502 then). */
export function fromProxyResult(result: unknown): HttpAnswer | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Record<string, unknown>;
  const status = Number(statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  const merged: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries((multiValueHeaders ?? {}) as Record<string, unknown[]>)) merged[name] = value.map(String);
  for (const [name, value] of Object.entries((headers ?? {}) as Record<string, unknown>)) merged[name] = String(value);
  const text = typeof body === 'string' ? body : '';
  return { statusCode: status, headers: merged, body: isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8') };
}

/** The gateway response types the local API produces, with API Gateway's default status codes. */
export const GATEWAY_RESPONSES = {
  BAD_REQUEST_BODY: 400,
  BAD_REQUEST_PARAMETERS: 400,
  MISSING_AUTHENTICATION_TOKEN: 403,
  REQUEST_TOO_LARGE: 413,
  DEFAULT_5XX: 502,
} as const;

export type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;

const DEFAULT_MESSAGES: Record<GatewayResponseType, string> = {
  BAD_REQUEST_BODY: 'Invalid request body',
  BAD_REQUEST_PARAMETERS: 'Missing required request parameters',
  MISSING_AUTHENTICATION_TOKEN: 'Missing Authentication Token',
  REQUEST_TOO_LARGE: 'Request Too Long',
  DEFAULT_5XX: 'Internal server error',
};

export interface FieldError {
  path: string;
  message: string;
}

/**
 * API Gateway's own answer of a type, shaped by the definition's x-amazon-apigateway-gateway-responses
 * (status and application/json template); field errors are added as `errors`, the contract's shape.
 */
export function gatewayResponse(
  definition: Record<string, unknown>,
  type: GatewayResponseType,
  context: { validationErrorString?: string; requestId: string; errors?: FieldError[] },
): HttpAnswer {
  const configured = (definition['x-amazon-apigateway-gateway-responses'] ?? {}) as Record<string, { statusCode?: unknown; responseTemplates?: Record<string, string> }>;
  const fallback = GATEWAY_RESPONSES[type] >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const response = configured[type] ?? configured[fallback];
  const statusCode = Number(configured[type]?.statusCode ?? GATEWAY_RESPONSES[type]);
  const template = response?.responseTemplates?.['application/json'];
  const inJson = (value: string) => JSON.stringify(value).slice(1, -1);
  let body: Record<string, unknown> | string = template
    ? template
        .replaceAll('$context.error.validationErrorString', inJson(context.validationErrorString ?? ''))
        .replaceAll('$context.error.messageString', JSON.stringify(DEFAULT_MESSAGES[type]))
        .replaceAll('$context.error.message', inJson(DEFAULT_MESSAGES[type]))
        .replaceAll('$context.requestId', inJson(context.requestId))
    : { message: DEFAULT_MESSAGES[type] };
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as Record<string, unknown>;
    } catch {
      // A template that is not JSON is sent as written.
    }
  }
  if (typeof body === 'object' && context.errors && context.errors.length > 0) body = { ...body, errors: context.errors };
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

/** What the local gateway needs of an operation's contract (src/http/contract.ts provides it from swagger.yaml). */
export interface RequestContract {
  parameters: { name: string; in: string; required: boolean }[];
  validateBody?: (body: unknown) => FieldError[];
}

export type ContractLookup = (resource: string, method: string) => RequestContract | undefined;

/** Which checks the operation's x-amazon-apigateway-request-validator (or the definition's default) turns on. */
export function validatorSettings(definition: Record<string, unknown>, operation: Record<string, unknown>): { body: boolean; parameters: boolean } {
  const name = operation['x-amazon-apigateway-request-validator'] ?? definition['x-amazon-apigateway-request-validator'];
  const validators = (definition['x-amazon-apigateway-request-validators'] ?? {}) as Record<string, { validateRequestBody?: boolean; validateRequestParameters?: boolean }>;
  const validator = typeof name === 'string' ? validators[name] : undefined;
  return { body: validator?.validateRequestBody === true, parameters: validator?.validateRequestParameters === true };
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/**
 * API Gateway's request validation in front of the function: required parameters, and the body
 * against its JSON schema when it is sent as JSON (or without a Content-Type, which API Gateway
 * reads as JSON). Another content type passes through, for the function to refuse. An empty body
 * passes through too: the function says precisely what is missing.
 */
export function validateRequest(
  definition: Record<string, unknown>,
  operation: Record<string, unknown>,
  contract: RequestContract | undefined,
  event: APIGatewayProxyEvent,
): HttpAnswer | undefined {
  if (!contract) return undefined;
  const settings = validatorSettings(definition, operation);
  const requestId = event.requestContext.requestId;
  const lowerHeaders = Object.fromEntries(Object.entries(event.headers).map(([name, value]) => [name.toLowerCase(), value]));
  if (settings.parameters) {
    const missing = contract.parameters.filter((parameter) => {
      if (!parameter.required) return false;
      const source = parameter.in === 'header' ? lowerHeaders : parameter.in === 'query' ? (event.queryStringParameters ?? {}) : (event.pathParameters ?? {});
      const value = source[parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name];
      return value === undefined || value === '';
    });
    if (missing.length > 0) {
      return gatewayResponse(definition, 'BAD_REQUEST_PARAMETERS', {
        requestId,
        validationErrorString: `Missing required request parameters: [${missing.map((parameter) => parameter.name).join(', ')}]`,
        errors: missing.map((parameter) => ({ path: parameter.name, message: 'is required' })),
      });
    }
  }
  const contentType = lowerHeaders['content-type'];
  if (!settings.body || !contract.validateBody || !event.body || (contentType && !JSON_TYPE.test(contentType.trim()))) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body);
  } catch {
    return gatewayResponse(definition, 'BAD_REQUEST_BODY', { requestId, validationErrorString: 'the body is not valid JSON', errors: [{ path: '(body)', message: 'is not valid JSON' }] });
  }
  const errors = contract.validateBody(body);
  if (errors.length === 0) return undefined;
  return gatewayResponse(definition, 'BAD_REQUEST_BODY', { requestId, validationErrorString: errors.map((error) => `${error.path} ${error.message}`).join('; '), errors });
}
