// The REST API on a local port: the template's AWS::Serverless::Api (its DefinitionBody, often an
// AWS::Include of an OpenAPI file) in front of the function pools, with API Gateway's own behaviour
// (routes with or without the stage prefix, API keys and the usage plan when asked for, parameter
// validation, payload limits, what a failing function answers, all through the definition's
// gateway responses), Swagger UI at /docs and the live console at /console (console/server.ts).
import { listen, type RunningServer } from './loopbackServer';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import {
  fromProxyResult,
  GATEWAY_ERRORS,
  gatewayResponse,
  MAX_PAYLOAD_BYTES,
  matchStagedRoute,
  missingRequiredParameters,
  payloadOverApiGatewayLimit,
  routesFromDefinition,
  sortRoutes,
  toProxyEvent,
  type ApiRoute,
  type ContractLookup,
  type GatewayError,
  type GatewayRequest,
  type HttpAnswer,
  type RouteOperation,
} from './apiGateway';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { isConsolePath, type LocalConsole } from './console/server';
import { isThrottled, type FunctionRuntime } from './functions';
import type { ProvisionedStack } from './provision';
import { generateApiKey, usagePlanOf, UsagePlanMeter, type UsagePlanLimits } from './usagePlan';

/** Lambda's limit on a synchronous invocation's payload (the whole event, as JSON). */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** API Gateway's default integration timeout for REST APIs. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

export interface LocalApi {
  logicalId: string;
  stage: string;
  definition: Record<string, unknown>;
  routes: ApiRoute[];
  /** The file the definition came from (served at /docs/openapi.yaml), when it came from one. */
  definitionFile?: string;
}

/** The stack's REST API: its definition and routes, plus implicit routes from functions' `Type: Api` events. */
export function localApi(stack: ProvisionedStack): LocalApi | undefined {
  const apis = Object.values(stack.template.resources).filter((resource) => resource.type === 'AWS::Serverless::Api');
  const api = apis[0];
  const implicit = implicitRoutes(stack, api?.logicalId);
  if (!api && implicit.length === 0) return undefined;
  const properties = api?.properties ?? {};
  let definition: Record<string, unknown> = {};
  let definitionFile: string | undefined;
  const include = (properties.DefinitionBody as { 'Fn::Transform'?: { Parameters?: { Location?: unknown } } } | undefined)?.['Fn::Transform']?.Parameters?.Location;
  if (properties.DefinitionBody) {
    definition = stack.resolve(properties.DefinitionBody) as Record<string, unknown>;
    if (typeof include === 'string') definitionFile = resolvePath(stack.template.dir, include);
  } else if (typeof properties.DefinitionUri === 'string') {
    definitionFile = resolvePath(stack.template.dir, properties.DefinitionUri);
    definition = stack.resolve(stack.resolve({ 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: properties.DefinitionUri } } })) as Record<string, unknown>;
  }
  const binary = (properties.BinaryMediaTypes ?? definition['x-amazon-apigateway-binary-media-types'] ?? []) as string[];
  if (binary.length > 0) definition['x-amazon-apigateway-binary-media-types'] = binary;
  return {
    logicalId: api?.logicalId ?? 'ServerlessRestApi',
    stage: String(stack.resolve(properties.StageName) ?? 'Prod'),
    definition,
    routes: sortRoutes([...routesFromDefinition(definition), ...implicit]),
    ...(definitionFile ? { definitionFile } : {}),
  };
}

function implicitRoutes(stack: ProvisionedStack, apiLogicalId: string | undefined): ApiRoute[] {
  const routes = new Map<string, ApiRoute>();
  for (const fn of stack.functions) {
    const events = (stack.template.resources[fn.logicalId]?.properties.Events ?? {}) as Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
    for (const event of Object.values(events)) {
      if (event.Type !== 'Api' || !event.Properties) continue;
      const restApi = event.Properties.RestApiId as { Ref?: string } | undefined;
      if (restApi && restApi.Ref !== apiLogicalId) continue;
      const path = String(stack.resolve(event.Properties.Path));
      const method = String(stack.resolve(event.Properties.Method)).toLowerCase();
      const route = routes.get(path) ?? { resource: path, ...routeOf(path), methods: {} };
      const target = { functionArn: fn.arn, apiKeyRequired: (stack.resolve(event.Properties.Auth) as { ApiKeyRequired?: unknown } | undefined)?.ApiKeyRequired === true };
      if (method === 'any') route.anyMethod = target;
      else route.methods[method.toUpperCase()] = target;
      routes.set(path, route);
    }
  }
  return [...routes.values()];
}

function routeOf(path: string): Pick<ApiRoute, 'pattern' | 'parameterNames'> {
  const [route] = routesFromDefinition({ paths: { [path]: {} } });
  return { pattern: route?.pattern ?? /^$/, parameterNames: route?.parameterNames ?? [] };
}

export interface ApiServerOptions {
  stack: ProvisionedStack;
  api: LocalApi;
  functions: FunctionRuntime;
  contract?: ContractLookup;
  /** Require the API key where the definition does, metered by the template's usage plan (off: one unthrottled key, as a local run is). */
  apiKeys?: boolean;
  /** The live console, at /console beside /docs. */
  console?: LocalConsole;
  log: (line: string) => void;
}

export interface ApiKey {
  value: string;
  /** The usage plan's limits; none when no usage plan lists the API. */
  limits?: UsagePlanLimits;
}

export interface RunningApi extends RunningServer {
  /** The key to send as x-api-key, when keys are enforced. */
  apiKey?: ApiKey;
}

/** Reads the whole body; past the limit it keeps draining (so the client reads the answer) but keeps nothing. */
function readBody(request: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve({ body: size > MAX_PAYLOAD_BYTES ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge: size > MAX_PAYLOAD_BYTES }));
    request.on('error', reject);
  });
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.map': 'application/json',
  '.yaml': 'application/yaml; charset=utf-8',
};

async function docs(path: string, api: LocalApi): Promise<HttpAnswer | undefined> {
  if (path === '/docs') return { statusCode: 302, headers: { Location: '/docs/' }, body: Buffer.alloc(0) };
  const file = path === '/docs/' ? 'index.html' : path.slice('/docs/'.length);
  if (file === 'swagger-initializer.js') {
    // Swagger UI's own initializer points at a demo API; ours points at this API's definition.
    const script = `window.onload = () => { window.ui = SwaggerUIBundle({ url: './openapi.yaml', dom_id: '#swagger-ui', deepLinking: true, presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' }); };\n`;
    return { statusCode: 200, headers: { 'Content-Type': CONTENT_TYPES['.js'] ?? '' }, body: Buffer.from(script) };
  }
  if (file === 'openapi.yaml') {
    const text = api.definitionFile ? await readFile(api.definitionFile) : Buffer.from(JSON.stringify(api.definition, null, 2));
    return { statusCode: 200, headers: { 'Content-Type': CONTENT_TYPES['.yaml'] ?? '' }, body: text };
  }
  if (file !== basename(file)) return undefined;
  try {
    const body = await readFile(join(dirname(require.resolve('swagger-ui-dist/package.json')), file));
    return { statusCode: 200, headers: { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }, body };
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, answer: HttpAnswer, requestId: string, extendedRequestId: string): void {
  response.writeHead(answer.statusCode, { ...answer.headers, 'x-amzn-RequestId': requestId, 'x-amz-apigw-id': extendedRequestId, 'Content-Length': String(answer.body.length) });
  response.end(answer.body);
}

/** API Gateway's extended request id: 16 base64 characters, e.g. `YIwYiFstIAMESqA=`. */
const extendedRequestIdOf = () => randomBytes(11).toString('base64');

/** The API key check of a method that requires one (the key from the x-api-key header, the API's HEADER key source), then the usage plan. */
function meterApiKey(key: ApiKey & { meter?: UsagePlanMeter }, headers: Record<string, string>): GatewayError | undefined {
  if (headers['x-api-key'] !== key.value) return GATEWAY_ERRORS.invalidApiKey;
  const admission = key.meter?.admit() ?? 'admitted';
  return admission === 'throttled' ? GATEWAY_ERRORS.throttled : admission === 'quotaExceeded' ? GATEWAY_ERRORS.quotaExceeded : undefined;
}

const TIMED_OUT = Symbol('integration timeout');

/** The Lambda proxy integration, and what API Gateway makes of each way an invocation can end. */
async function integrate(functions: FunctionRuntime, target: RouteOperation, event: APIGatewayProxyEvent, requestId: string, log: (line: string) => void): Promise<HttpAnswer | GatewayError> {
  const pool = functions.byArn(target.functionArn);
  if (!pool) return GATEWAY_ERRORS.functionError;
  // Lambda refuses a synchronous invocation over its payload limit (RequestEntityTooLargeException);
  // the local pools do not check it, so the gateway does, before invoking.
  if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_SYNC_PAYLOAD_BYTES) return GATEWAY_ERRORS.lambdaPayloadTooLarge;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), INTEGRATION_TIMEOUT_MS).unref();
  });
  try {
    const result = await Promise.race([pool.invoke(event, requestId), timeout]);
    if (result === TIMED_OUT) return GATEWAY_ERRORS.integrationTimeout;
    const answer = fromProxyResult(result);
    if (!answer) log(`${pool.definition.logicalId} returned a malformed proxy response for ${event.httpMethod} ${event.path}`);
    return answer ?? GATEWAY_ERRORS.malformedProxyResponse;
  } catch (error) {
    // The pool has logged the function's error; the caller sees only API Gateway's answer: 502 when
    // the function failed or timed out, 500 when Lambda refused to run it (a throttle).
    return isThrottled(error) ? GATEWAY_ERRORS.functionThrottled : GATEWAY_ERRORS.functionError;
  } finally {
    clearTimeout(timer);
  }
}

export async function startApiServer(options: ApiServerOptions, port: number, host = '127.0.0.1'): Promise<RunningApi> {
  const { api, functions, stack } = options;
  const context = { stage: api.stage, apiId: 'local', accountId: stack.template.accountId, binaryMediaTypes: (api.definition['x-amazon-apigateway-binary-media-types'] ?? []) as string[] };
  const limits = options.apiKeys ? usagePlanOf(stack, api.logicalId) : undefined;
  const apiKey = options.apiKeys ? { value: generateApiKey(), ...(limits ? { limits, meter: new UsagePlanMeter(limits) } : {}) } : undefined;

  async function answer(request: IncomingMessage, gateway: GatewayRequest, requestTimeEpoch: number): Promise<HttpAnswer> {
    const { body, tooLarge } = await readBody(request);
    if (tooLarge) return payloadOverApiGatewayLimit();
    const method = gateway.httpMethod;
    const match = matchStagedRoute(api.routes, api.stage, gateway.path);
    const refuse = (error: GatewayError) => gatewayResponse(api.definition, error, match ? { ...gateway, resourcePath: match.route.resource, pathParameters: match.pathParameters } : gateway);
    const target = match && (match.route.methods[method] ?? match.route.anyMethod);
    if (!match || !target) {
      if (!match && (method === 'GET' || method === 'HEAD') && (gateway.path === '/docs' || gateway.path.startsWith('/docs/'))) {
        const page = await docs(gateway.path, api);
        if (page) return page;
      }
      return refuse(GATEWAY_ERRORS.noRoute);
    }
    const resource = match.route.resource;
    if (apiKey && target.apiKeyRequired) {
      const refusal = meterApiKey(apiKey, gateway.headers);
      if (refusal) return refuse(refusal);
    }
    const event = toProxyEvent(
      { method, url: request.url ?? '/', rawHeaders: request.rawHeaders, body, sourceIp: gateway.sourceIp, requestId: gateway.requestId, requestTimeEpoch },
      match,
      { ...context, domainName: gateway.domainName },
    );
    if (apiKey && target.apiKeyRequired) Object.assign(event.requestContext.identity, { apiKey: apiKey.value, apiKeyId: 'local' });
    const missing = target.operation && missingRequiredParameters(api.definition, target.operation, options.contract?.(resource, method), event);
    if (missing) return refuse(missing);
    const result = await integrate(functions, target, event, gateway.requestId, options.log);
    return 'type' in result ? refuse(result) : result;
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://local');
    // The console streams its page's updates, so it answers for itself rather than through answer().
    if (options.console && isConsolePath(url.pathname) && !matchStagedRoute(api.routes, api.stage, url.pathname)) return options.console.serve(request, response);
    const gateway: GatewayRequest = {
      requestId: randomUUID(),
      extendedRequestId: extendedRequestIdOf(),
      httpMethod: request.method ?? 'GET',
      path: url.pathname,
      stage: api.stage,
      apiId: context.apiId,
      accountId: context.accountId,
      domainName: request.headers.host ?? `${host}:${port}`,
      sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: request.headers['user-agent'] ?? '',
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')])),
      pathParameters: {},
      query: Object.fromEntries(url.searchParams),
    };
    const started = Date.now();
    answer(request, gateway, started)
      .catch(() => gatewayResponse(api.definition, GATEWAY_ERRORS.functionError, gateway))
      .then((result) => {
        send(response, result, gateway.requestId, gateway.extendedRequestId);
        options.log(`${request.method} ${request.url} ${result.statusCode} ${Date.now() - started} ms`);
      })
      .catch(() => response.destroy());
  });
  const running = await listen(server, port, host);
  return { ...running, ...(apiKey ? { apiKey: { value: apiKey.value, ...(limits ? { limits } : {}) } } : {}) };
}
