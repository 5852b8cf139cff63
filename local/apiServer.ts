// The REST API on a local port: the template's AWS::Serverless::Api (its DefinitionBody, usually an
// AWS::Include of swagger.yaml) in front of the function pools, with API Gateway's own behaviour
// (unknown routes, request validation, the 10 MB limit, 502 for a failing function), Swagger UI
// at /docs and the live console at /console (console/server.ts).
import { listen, type RunningServer } from './loopbackServer';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import {
  fromProxyResult,
  gatewayResponse,
  matchRoute,
  routesFromDefinition,
  sortRoutes,
  toProxyEvent,
  validateRequest,
  type ApiRoute,
  type ContractLookup,
  type HttpAnswer,
} from './apiGateway';
import { isConsolePath, type LocalConsole } from './console/server';
import type { FunctionRuntime } from './functions';
import type { ProvisionedStack } from './provision';

/** API Gateway's payload limit for REST APIs. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

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
      if (method === 'any') route.anyMethod = { functionArn: fn.arn };
      else route.methods[method.toUpperCase()] = { functionArn: fn.arn };
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
  /** The live console, at /console beside /docs. */
  console?: LocalConsole;
  log: (line: string) => void;
}

export type RunningApi = RunningServer;

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

function send(response: ServerResponse, answer: HttpAnswer, requestId: string): void {
  response.writeHead(answer.statusCode, { ...answer.headers, 'x-amzn-RequestId': requestId, 'Content-Length': String(answer.body.length) });
  response.end(answer.body);
}

export async function startApiServer(options: ApiServerOptions, port: number, host = '127.0.0.1'): Promise<RunningApi> {
  const { api, functions, stack } = options;
  const context = { stage: api.stage, apiId: 'local', accountId: stack.template.accountId, binaryMediaTypes: (api.definition['x-amazon-apigateway-binary-media-types'] ?? []) as string[] };

  async function answer(request: IncomingMessage, requestId: string, requestTimeEpoch: number): Promise<HttpAnswer> {
    const { body, tooLarge } = await readBody(request);
    if (tooLarge) return gatewayResponse(api.definition, 'REQUEST_TOO_LARGE', { requestId });
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    const match = matchRoute(api.routes, path);
    const target = match && (match.route.methods[method] ?? match.route.anyMethod);
    if (!match || !target) {
      if (!match && (method === 'GET' || method === 'HEAD') && (path === '/docs' || path.startsWith('/docs/'))) {
        const page = await docs(path, api);
        if (page) return page;
      }
      // API Gateway answers an unknown resource or method as a missing token (mapped to 404 by the definition).
      return gatewayResponse(api.definition, 'MISSING_AUTHENTICATION_TOKEN', { requestId });
    }
    const event = toProxyEvent(
      { method, url: request.url ?? '/', rawHeaders: request.rawHeaders, body, sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1', requestId, requestTimeEpoch },
      match,
      { ...context, domainName: request.headers.host ?? `${host}:${port}` },
    );
    if (target.operation) {
      const refusal = validateRequest(api.definition, target.operation, options.contract?.(match.route.resource, method), event);
      if (refusal) return refusal;
    }
    const pool = functions.byArn(target.functionArn);
    if (!pool) return gatewayResponse(api.definition, 'DEFAULT_5XX', { requestId });
    try {
      const result = fromProxyResult(await pool.invoke(event, requestId));
      if (result) return result;
      options.log(`${pool.definition.logicalId} returned a malformed proxy response for ${method} ${path}`);
    } catch {
      // The pool has logged the function's error; the caller sees only API Gateway's 5XX.
    }
    return gatewayResponse(api.definition, 'DEFAULT_5XX', { requestId });
  }

  const server = createServer((request, response) => {
    // The console streams its page's updates, so it answers for itself rather than through answer().
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (options.console && isConsolePath(path) && !matchRoute(api.routes, path)) return options.console.serve(request, response);
    const requestId = randomUUID();
    const started = Date.now();
    answer(request, requestId, started)
      .catch(() => gatewayResponse(api.definition, 'DEFAULT_5XX', { requestId }))
      .then((result) => {
        send(response, result, requestId);
        options.log(`${request.method} ${request.url} ${result.statusCode} ${Date.now() - started} ms`);
      })
      .catch(() => response.destroy());
  });
  return listen(server, port, host);
}
