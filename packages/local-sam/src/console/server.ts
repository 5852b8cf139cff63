// The live console at /console, served on the API's port (apiServer.ts hands it every request
// below /console). The page shows the pipeline of template.yaml with each queue's depth, in-flight
// and dead-letter counts, each function's invocations, errors and p99 duration, the metrics the
// functions log as EMF, and the app's own panels (panels.ts); the state is pushed to it as
// server-sent events once a second. The emulators are read only while a page is connected. A
// dead-letter queue can be redriven from it.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS } from '../emulators';
import type { ProvisionedQueue, ProvisionedStack } from '../provision';
import type { MetricSeries } from './emf';
import type { FunctionFigures, Observations } from './observations';
import { readPanels, type ConsolePanel, type PanelState } from './panels';
import { redriveOf, type Pipeline } from './pipeline';
import { queueDepths, redrive, type QueueDepth } from './queues';

export const CONSOLE_PATH = '/console';
export const isConsolePath = (path: string): boolean => path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);

export interface ConsoleOptions {
  stack: ProvisionedStack;
  pipeline: Pipeline;
  observations: Observations;
  /** The emulators' own endpoints: what the console reads or moves bypasses any proxy the functions go through. */
  dynamoEndpoint: string;
  messagingEndpoint: string;
  /** Where index.html, console.js and console.css are. */
  assetsDir: string;
  /** The app's own panels, shown below the pipeline (panels.ts). */
  panels?: ConsolePanel[];
  log: (line: string) => void;
}

export interface ConsoleState {
  at: string;
  queues: Record<string, QueueDepth>;
  functions: Record<string, FunctionFigures>;
  panels: PanelState[];
  metrics: MetricSeries[];
  /** What could not be read this time, e.g. an emulator that stopped answering. */
  problems: string[];
}

export interface LocalConsole {
  serve(request: IncomingMessage, response: ServerResponse): void;
  stop(): Promise<void>;
}

const REFRESH_MS = 1000;

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  response.writeHead(statusCode, { 'Content-Type': 'application/json', 'Content-Length': String(payload.length), 'Cache-Control': 'no-store' });
  response.end(payload);
}

export function startConsole(options: ConsoleOptions): LocalConsole {
  const { stack, observations } = options;
  const clientConfig = { region: stack.template.region, credentials: LOCAL_CREDENTIALS };
  const sqs = new SQSClient({ ...clientConfig, endpoint: options.messagingEndpoint, useQueueUrlAsEndpoint: false });
  const db = new DynamoDBClient({ ...clientConfig, endpoint: options.dynamoEndpoint });
  const panels = readPanels(options.panels ?? [], { stack, dynamodb: db, sqs }, REFRESH_MS);
  const clients = new Set<ServerResponse>();
  let latest: ConsoleState | undefined;
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;
  let stopped = false;

  const broadcast = (event: string, data: unknown, to: Iterable<ServerResponse> = clients) => {
    const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of to) client.write(message);
  };

  async function read(): Promise<ConsoleState> {
    const problems: string[] = [];
    const [queues, panelStates] = await Promise.all([queueDepths(sqs, stack.queues).then((value) => ({ value }), (reason: Error) => ({ reason })), panels.read(problems)]);
    if ('reason' in queues) problems.push(`queues: ${queues.reason.message}`);
    return {
      at: new Date().toISOString(),
      queues: 'value' in queues ? queues.value : (latest?.queues ?? {}),
      functions: observations.functions(),
      panels: panelStates,
      metrics: observations.metrics.list(),
      problems,
    };
  }

  /** Reads and pushes the state now (once at a time), then again in a second while a page is connected. */
  function refresh(): Promise<void> {
    clearTimeout(timer);
    refreshing ??= read()
      .then(
        (state) => {
          latest = state;
          broadcast('state', state);
        },
        // A console that cannot read must not take the stack down with it.
        (error: unknown) => options.log(`console: ${(error as Error).message}`),
      )
      .finally(() => {
        refreshing = undefined;
        if (clients.size > 0 && !stopped) timer = setTimeout(() => void refresh(), REFRESH_MS);
      });
    return refreshing;
  }

  function events(response: ServerResponse): void {
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    // The page reconnects by itself after a restart of the stack.
    response.write('retry: 2000\n\n');
    broadcast('pipeline', options.pipeline, [response]);
    if (latest) broadcast('state', latest, [response]);
    clients.add(response);
    // The response's close, not the request's: that one comes as soon as the request is read.
    response.on('close', () => {
      clients.delete(response);
      if (clients.size === 0) clearTimeout(timer);
    });
    if (clients.size === 1) void refresh();
  }

  async function redriveRequest(request: IncomingMessage, response: ServerResponse, logicalId: string): Promise<void> {
    // A page of another site could post here too; a browser names that page's origin.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) return sendJson(response, 403, { message: `A redrive must come from the console's own page, not ${origin}.` });
    const deadLetters = stack.queues.find((queue) => queue.logicalId === logicalId);
    const sources: ProvisionedQueue[] = deadLetters ? stack.queues.filter((queue) => redriveOf(queue)?.deadLetterTargetArn === deadLetters.arn) : [];
    if (!deadLetters || sources.length === 0) return sendJson(response, 404, { message: `${logicalId} is not a dead-letter queue of this stack.` });
    // Where each message came from is not recorded locally (fauxqs sets no DeadLetterQueueSourceArn).
    if (sources.length > 1) return sendJson(response, 409, { message: `${sources.map((queue) => queue.logicalId).join(' and ')} all dead-letter into ${logicalId}; which one a message came from is not known locally.` });
    const source = sources[0] as ProvisionedQueue;
    try {
      const moved = await redrive(sqs, deadLetters, source);
      options.log(`redrove ${moved} message(s) from ${deadLetters.logicalId} to ${source.logicalId}`);
      sendJson(response, 200, { moved, from: deadLetters.logicalId, to: source.logicalId });
    } catch (error) {
      sendJson(response, 502, { message: `The redrive stopped: ${(error as Error).message}` });
    }
    if (clients.size > 0) void refresh();
  }

  async function asset(response: ServerResponse, file: string): Promise<void> {
    const body = await readFile(join(options.assetsDir, file));
    response.writeHead(200, { 'Content-Type': ASSETS[file] ?? 'application/octet-stream', 'Content-Length': String(body.length), 'Cache-Control': 'no-cache' });
    response.end(body);
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    request.resume();
    if (path === CONSOLE_PATH) {
      response.writeHead(302, { Location: `${CONSOLE_PATH}/` });
      return void response.end();
    }
    const rest = path.slice(CONSOLE_PATH.length + 1);
    const redriveMatch = /^redrive\/([A-Za-z0-9]+)$/.exec(rest);
    if (redriveMatch) return method === 'POST' ? redriveRequest(request, response, redriveMatch[1] as string) : sendJson(response, 405, { message: `${path} takes POST.` });
    const file = rest === '' ? 'index.html' : rest;
    if (rest !== 'events' && !ASSETS[file]) return sendJson(response, 404, { message: `No ${path} in the console.` });
    if (method !== 'GET' && method !== 'HEAD') return sendJson(response, 405, { message: `${path} takes GET.` });
    if (rest === 'events') return events(response);
    return asset(response, file);
  }

  return {
    serve(request, response) {
      route(request, response).catch((error: unknown) => {
        options.log(`console: ${(error as Error).message}`);
        if (!response.headersSent) sendJson(response, 500, { message: 'The console could not answer; the stack log says why.' });
        else response.destroy();
      });
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      for (const client of clients) client.end();
      clients.clear();
      await refreshing;
      sqs.destroy();
      db.destroy();
    },
  };
}
