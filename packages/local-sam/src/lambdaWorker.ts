// Runs inside a worker thread: one Lambda execution environment. It loads the function's bundle
// once (the init phase, with the function's own process.env set by the parent) and then handles
// one invocation at a time, with a Lambda `context`. Bundled to JavaScript by build.ts.
import { readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { getPriority, setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface WorkerConfig {
  handlerFile: string;
  handlerExport: string;
  functionName: string;
  functionArn: string;
  memorySize: number;
  logGroupName: string;
  logStreamName: string;
  /** V8 code cache shared by all environments: each worker loads the SDK afresh, and this halves that. */
  compileCacheDir?: string;
  /** How much lower than the runtime's this environment's CPU priority is, as `nice -n` counts (on Linux a thread has its own; elsewhere the whole process is lowered). */
  niceIncrement?: number;
}

export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  event: unknown;
  /** Epoch milliseconds when the parent will terminate this worker. */
  deadline: number;
}

export interface SerializedError {
  errorType: string;
  errorMessage: string;
  stack?: string[];
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'initError'; error: SerializedError }
  | { type: 'result'; requestId: string; result: unknown }
  | { type: 'error'; requestId: string; error: SerializedError };

type Callback = (error?: unknown, result?: unknown) => void;
type Handler = (event: unknown, context: object, callback: Callback) => unknown;

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message, stack: error.stack?.split('\n').slice(1).map((line) => line.trim()) };
  return { errorType: 'Error', errorMessage: String(error) };
}

function lambdaContext(config: WorkerConfig, message: InvokeMessage) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: config.functionArn,
    memoryLimitInMB: String(config.memorySize),
    awsRequestId: message.requestId,
    logGroupName: config.logGroupName,
    logStreamName: config.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    // The deprecated completion methods; modern handlers return a promise.
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Calls an async handler, or a callback-style one (three parameters), and settles on whichever it uses. */
function call(handler: Handler, event: unknown, context: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback: Callback = (error, result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result));
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof (returned as Promise<unknown>).then === 'function') (returned as Promise<unknown>).then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    } catch (error) {
      reject(error);
    }
  });
}

/** Whether Node reads the file as an ES module: .mjs, or .js under a package.json with "type": "module". */
function isEsm(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string }).type === 'module';
    } catch {
      if (dirname(dir) === dir) return false;
    }
  }
}

/** Loads the handler as Lambda's Node.js runtime does: ES modules by import (top-level await included), CommonJS by require. */
async function loadHandler(config: WorkerConfig): Promise<Handler> {
  const exported = (isEsm(config.handlerFile)
    ? await import(pathToFileURL(config.handlerFile).href)
    : // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(config.handlerFile)) as Record<string, unknown>;
  let candidate: unknown = exported;
  for (const name of config.handlerExport.split('.')) candidate = (candidate as Record<string, unknown> | undefined)?.[name];
  if (typeof candidate !== 'function') throw Object.assign(new Error(`${config.handlerFile} does not export a function ${config.handlerExport}`), { name: 'Runtime.HandlerNotFound' });
  return candidate as Handler;
}

function main(port: NonNullable<typeof parentPort>): void {
  const config = workerData as WorkerConfig;
  if (config.niceIncrement) {
    try {
      setPriority(Math.min(19, getPriority() + config.niceIncrement));
    } catch {
      // Not allowed here: the environment runs at the runtime's own priority.
    }
  }
  const post = (reply: WorkerReply) => port.postMessage(reply);
  if (config.compileCacheDir) enableCompileCache(config.compileCacheDir);

  const loading = loadHandler(config);
  loading.then(
    () => post({ type: 'ready' }),
    (error: unknown) => post({ type: 'initError', error: serializeError(error) }),
  );

  port.on('message', (message: InvokeMessage) => {
    // Invocations come only after 'ready'.
    void loading.then((handler) =>
      call(handler, message.event, lambdaContext(config, message)).then(
        // The result crosses the thread boundary as JSON, as it would leave Lambda.
        (result) => post({ type: 'result', requestId: message.requestId, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) }),
        (error: unknown) => post({ type: 'error', requestId: message.requestId, error: serializeError(error) }),
      ),
    );
  });
}

if (!isMainThread && parentPort) main(parentPort);
