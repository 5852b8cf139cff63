// API Gateway (REST, Lambda proxy integration) as data: the routes of an OpenAPI DefinitionBody,
// route matching, the proxy event v1 a function receives, the mapping of its answer back to HTTP,
// the gateway's own responses (x-amazon-apigateway-gateway-responses, rendered as API Gateway
// renders them) and its parameter validation.
import type { APIGatewayProxyEvent } from 'aws-lambda';

export const ANY_METHOD = 'x-amazon-apigateway-any-method';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

export interface RouteOperation {
  /** The function the integration invokes, as its ARN. */
  functionArn: string;
  /** The OpenAPI operation (undefined for implicit event routes). */
  operation?: Record<string, unknown>;
  /** The method requires an API key (an apiKey security scheme, or an implicit route's Auth.ApiKeyRequired). */
  apiKeyRequired: boolean;
}

export interface ApiRoute {
  /** The path as API Gateway names the resource: `/notes/{noteId}/history`. */
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

/** As API Gateway imports OpenAPI: an operation (or the document) whose security names an apiKey scheme requires the key. */
export function apiKeyRequired(definition: Record<string, unknown>, operation: Record<string, unknown>): boolean {
  const schemes = ((definition.components as { securitySchemes?: Record<string, { type?: string }> } | undefined)?.securitySchemes ?? {}) as Record<string, { type?: string }>;
  const security = (operation.security ?? definition.security ?? []) as Record<string, unknown>[];
  return security.some((requirement) => Object.keys(requirement).some((name) => schemes[name]?.type === 'apiKey'));
}

/** The routes of a resolved OpenAPI definition whose integrations invoke a Lambda function. */
export function routesFromDefinition(definition: Record<string, unknown>): ApiRoute[] {
  const routes: ApiRoute[] = [];
  for (const [resource, item] of Object.entries((definition.paths ?? {}) as Record<string, Record<string, Record<string, unknown>>>)) {
    const route: ApiRoute = { resource, ...routePattern(resource), methods: {} };
    for (const [method, operation] of Object.entries(item)) {
      const arn = integrationFunctionArn((operation['x-amazon-apigateway-integration'] as { uri?: unknown } | undefined)?.uri);
      if (!arn) continue;
      const target = { functionArn: arn, operation, apiKeyRequired: apiKeyRequired(definition, operation) };
      if (method === ANY_METHOD) route.anyMethod = target;
      else if (METHODS.includes(method)) route.methods[method.toUpperCase()] = target;
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
  /** The path the route matched (the event's `path`), and the path as the client called it (`requestContext.path`). */
  path: string;
  calledPath: string;
}

/**
 * The route of a path as the client called it, with or without the stage in front: `/dev/notes`
 * as on the execute-api URL, or `/notes` as behind a custom domain mapped to the stage at its root
 * (there, too, `requestContext.path` is what the client called).
 */
export function matchStagedRoute(routes: ApiRoute[], stage: string, calledPath: string): RouteMatch | undefined {
  // A path under the stage reads as the deployed URL does, before the unprefixed form: /Prod/ is
  // the root resource, not /{id} with id Prod (sam init's web template has both).
  if (calledPath === `/${stage}` || calledPath.startsWith(`/${stage}/`)) {
    const staged = matchRoute(routes, calledPath.slice(stage.length + 1) || '/');
    if (staged) return { ...staged, calledPath };
  }
  return matchRoute(routes, calledPath);
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
    return { route, pathParameters, path, calledPath: path };
  }
  return undefined;
}

export interface IncomingRequest {
  method: string;
  /** Path and query as received: `/notes/1/history?x=1`. */
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
  const path = match.path;
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
      path: match.calledPath,
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

export type GatewayResponseType =
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'INVALID_API_KEY'
  | 'THROTTLED'
  | 'QUOTA_EXCEEDED'
  | 'REQUEST_TOO_LARGE'
  | 'BAD_REQUEST_PARAMETERS'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'API_CONFIGURATION_ERROR'
  | 'DEFAULT_5XX';

/** One of API Gateway's own refusals: its response type, the status it has when no gateway response sets one, and $context.error.message. */
export interface GatewayError {
  type: GatewayResponseType;
  statusCode: number;
  message: string;
  /** x-amzn-ErrorType, as API Gateway sends it with its own answers. */
  errorType: string;
  validationErrorString?: string;
}

/** The refusals the local gateway produces, with the statuses and messages API Gateway uses for them. */
export const GATEWAY_ERRORS = {
  // An unknown resource, or a method the resource does not have (API Gateway's "not found").
  noRoute: { type: 'MISSING_AUTHENTICATION_TOKEN', statusCode: 403, message: 'Missing Authentication Token', errorType: 'MissingAuthenticationTokenException' },
  // A missing key and a wrong one alike.
  invalidApiKey: { type: 'INVALID_API_KEY', statusCode: 403, message: 'Forbidden', errorType: 'ForbiddenException' },
  throttled: { type: 'THROTTLED', statusCode: 429, message: 'Too Many Requests', errorType: 'TooManyRequestsException' },
  quotaExceeded: { type: 'QUOTA_EXCEEDED', statusCode: 429, message: 'Limit Exceeded', errorType: 'LimitExceededException' },
  // Lambda refused the invocation: the event is over its 6 MB synchronous payload limit.
  lambdaPayloadTooLarge: { type: 'REQUEST_TOO_LARGE', statusCode: 413, message: 'Request Too Long', errorType: 'BadRequestException' },
  // The function failed: an unhandled error, a crash, or its own Timeout.
  functionError: { type: 'INTEGRATION_FAILURE', statusCode: 502, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  // Lambda refused the invocation (TooManyRequestsException: reserved concurrency reached). The
  // Lambda developer guide ("Handling Lambda errors with an API Gateway API") gives 500 with the same
  // body as a function error; AWS names no response type for it, so DEFAULT_5XX's template applies.
  functionThrottled: { type: 'DEFAULT_5XX', statusCode: 500, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  // No answer within the integration timeout (29 s); the function keeps running.
  integrationTimeout: { type: 'INTEGRATION_TIMEOUT', statusCode: 504, message: 'Endpoint request timed out', errorType: 'InternalServerErrorException' },
  // The function answered something that is not a proxy result ("Malformed Lambda proxy response").
  malformedProxyResponse: { type: 'API_CONFIGURATION_ERROR', statusCode: 502, message: 'Internal server error', errorType: 'InternalServerErrorException' },
} as const satisfies Record<string, GatewayError>;

/** API Gateway's request validation refusal for missing required parameters. */
export function missingParameters(names: string[]): GatewayError {
  // API Gateway's wording; its exact text for several parameters is not documented.
  const text = `Missing required request parameters: [${names.join(', ')}]`;
  return { type: 'BAD_REQUEST_PARAMETERS', statusCode: 400, message: text, errorType: 'BadRequestException', validationErrorString: text };
}

/** API Gateway's payload limit for REST APIs. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * Over 10 MB API Gateway answers before any of its own logic runs: a plain-text 413 that no
 * gateway response template shapes (REQUEST_TOO_LARGE is not applied to it).
 */
export const payloadOverApiGatewayLimit = (): HttpAnswer => ({
  statusCode: 413,
  headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  body: Buffer.from(`HTTP content length exceeded ${MAX_PAYLOAD_BYTES} bytes.`),
});

/** What a gateway response may refer to: $context variables and, in its headers, method.request.* values. */
export interface GatewayRequest {
  requestId: string;
  extendedRequestId: string;
  httpMethod: string;
  /** The path as the client called it, and the matched resource when there is one. */
  path: string;
  resourcePath?: string;
  stage: string;
  apiId: string;
  accountId: string;
  domainName: string;
  sourceIp: string;
  userAgent: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  pathParameters: Record<string, string>;
  query: Record<string, string>;
}

interface GatewayResponseDefinition {
  statusCode?: unknown;
  responseParameters?: Record<string, string>;
  responseTemplates?: Record<string, string>;
}

/** The template API Gateway uses where neither the type nor its DEFAULT_4XX/5XX sets one. */
const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/** $context as API Gateway offers it to a gateway response: flat, dotted names to strings. */
function contextVariables(error: GatewayError, request: GatewayRequest): Record<string, string> {
  return {
    requestId: request.requestId,
    extendedRequestId: request.extendedRequestId,
    httpMethod: request.httpMethod,
    path: request.path,
    resourcePath: request.resourcePath ?? '',
    stage: request.stage,
    apiId: request.apiId,
    accountId: request.accountId,
    domainName: request.domainName,
    domainPrefix: request.domainName.split('.')[0] ?? '',
    'identity.sourceIp': request.sourceIp,
    'identity.userAgent': request.userAgent,
    'error.message': error.message,
    // "The quoted value of $context.error.message": quoted, not escaped.
    'error.messageString': `"${error.message}"`,
    'error.responseType': error.type,
    'error.validationErrorString': error.validationErrorString ?? '',
  };
}

/**
 * Plain variable substitution, as API Gateway documents gateway response templates (not VTL, no
 * escaping). The longest dotted name that is a variable wins; an unknown one renders empty.
 */
export function substituteContext(template: string, variables: Record<string, string>): string {
  return template.replace(/\$context((?:\.[A-Za-z0-9_]+)+)/g, (_whole, dotted: string) => {
    const names = dotted.slice(1).split('.');
    for (let length = names.length; length > 0; length -= 1) {
      const value = variables[names.slice(0, length).join('.')];
      if (value !== undefined) return value + (length < names.length ? `.${names.slice(length).join('.')}` : '');
    }
    return '';
  });
}

/** gatewayresponse.header.X = 'static' | method.request.{header,path,querystring}.name */
function responseHeaders(parameters: Record<string, string>, request: GatewayRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [target, source] of Object.entries(parameters)) {
    const name = /^gatewayresponse\.header\.(.+)$/.exec(target)?.[1];
    if (!name) continue;
    const literal = /^'(.*)'$/s.exec(source)?.[1];
    const [, location, parameter] = /^method\.request\.(header|path|querystring)\.(.+)$/.exec(source) ?? [];
    const value =
      literal ??
      (location === 'header' ? request.headers[(parameter ?? '').toLowerCase()] : location === 'path' ? request.pathParameters[parameter ?? ''] : location === 'querystring' ? request.query[parameter ?? ''] : undefined);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

/**
 * API Gateway's own answer for an error, from the definition's x-amazon-apigateway-gateway-responses:
 * the type's own response, else DEFAULT_4XX or DEFAULT_5XX (whose status, when set, applies to every
 * type it stands in for), else API Gateway's default; its status, headers and application/json
 * template rendered with $context values shaped like API Gateway's.
 */
export function gatewayResponse(definition: Record<string, unknown>, error: GatewayError, request: GatewayRequest): HttpAnswer {
  const configured = (definition['x-amazon-apigateway-gateway-responses'] ?? {}) as Record<string, GatewayResponseDefinition>;
  const own = configured[error.type];
  const fallback = configured[error.statusCode >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'];
  const response = own ?? fallback ?? {};
  const statusCode = Number(own?.statusCode ?? fallback?.statusCode ?? error.statusCode);
  const template = response.responseTemplates?.['application/json'] ?? DEFAULT_TEMPLATE;
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': error.errorType, ...responseHeaders(response.responseParameters ?? {}, request) },
    body: Buffer.from(substituteContext(template, contextVariables(error, request))),
  };
}

/** What the local gateway needs of an operation's contract (the app's `validator` provides it, e.g. from its OpenAPI file). */
export interface RequestContract {
  parameters: { name: string; in: string; required: boolean }[];
}

export type ContractLookup = (resource: string, method: string) => RequestContract | undefined;

/** Whether the operation's x-amazon-apigateway-request-validator (or the definition's default) validates parameters. */
export function validatesParameters(definition: Record<string, unknown>, operation: Record<string, unknown>): boolean {
  const name = operation['x-amazon-apigateway-request-validator'] ?? definition['x-amazon-apigateway-request-validator'];
  const validators = (definition['x-amazon-apigateway-request-validators'] ?? {}) as Record<string, { validateRequestParameters?: boolean }>;
  return typeof name === 'string' && validators[name]?.validateRequestParameters === true;
}

/**
 * API Gateway's parameter validation in front of the function: every required parameter present
 * and not blank. Validators that also turn on body validation are not emulated: API Gateway checks
 * bodies against its own draft-4 models with wording the local runtime cannot reproduce, and an app's
 * functions check bodies themselves.
 */
export function missingRequiredParameters(
  definition: Record<string, unknown>,
  operation: Record<string, unknown>,
  contract: RequestContract | undefined,
  event: APIGatewayProxyEvent,
): GatewayError | undefined {
  if (!contract || !validatesParameters(definition, operation)) return undefined;
  const headers = Object.fromEntries(Object.entries(event.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const missing = contract.parameters.filter((parameter) => {
    if (!parameter.required) return false;
    const source = parameter.in === 'header' ? headers : parameter.in === 'query' ? (event.queryStringParameters ?? {}) : (event.pathParameters ?? {});
    const value = source[parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name];
    return value === undefined || value.trim() === '';
  });
  return missing.length > 0 ? missingParameters(missing.map((parameter) => parameter.name)) : undefined;
}
