// Preloaded (node --require) into the process that hosts the local stack for `npm run bench`, and
// so into every Lambda worker thread it starts: workers inherit the process's execArgv, and with
// it the preload, before the worker's own script runs. Nothing in src/ or local/ knows about it.
//
// In each thread it adds the request counter to every AWS SDK client the moment the client sends
// its first request (by patching the SDK's one Client class as it is loaded), and in a worker it
// also times the handler's module load and each invocation, as Lambda's Init Duration and Duration.
// Workers post what they saw to the main thread every FLUSH_MS; the main thread adds its own
// (the SQS pollers, which stand in for Lambda's event source mappings) and hands it all out through
// a global the stack host reads.
import Module from 'node:module';
import { join } from 'node:path';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { countRequests, mergeTally, RequestLog } from './awsRequests';
import { BENCH_GLOBAL, DURATION_SAMPLES, emptyInvocations, EVENT_SOURCE_SCOPE, mergeInvocations, type BenchInstrument, type InvocationStats, type InvocationTally, type Observed } from './observed';

const CHANNEL = 'order-capture.bench.instrument';
const FLUSH_MS = 250;

const requests = new RequestLog();
let invocations: InvocationTally = {};
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
const scope = isMainThread || !functionName ? EVENT_SOURCE_SCOPE : functionName;

// ------------------------------------------------------------------ the SDK's clients
const counted = new WeakSet<object>();
const patchedClasses = new WeakSet<object>();

type SdkClient = { middlewareStack: Parameters<typeof countRequests>[0]; send: (...args: unknown[]) => unknown };

function patchClientClass(exports: unknown): void {
  const Client = (exports as { Client?: { prototype?: SdkClient } } | undefined)?.Client;
  const prototype = Client?.prototype;
  if (!prototype || typeof prototype.send !== 'function' || patchedClasses.has(prototype)) return;
  patchedClasses.add(prototype);
  const send = prototype.send;
  prototype.send = function (this: SdkClient, ...args: unknown[]) {
    if (!counted.has(this.middlewareStack)) {
      counted.add(this.middlewareStack);
      countRequests(this.middlewareStack, requests, () => scope);
    }
    return send.apply(this, args);
  };
}

// ------------------------------------------------------------------ the handler (workers only)
const handlerFile = (() => {
  const taskRoot = process.env.LAMBDA_TASK_ROOT;
  const handler = process.env._HANDLER;
  if (isMainThread || !taskRoot || !handler) return undefined;
  return join(taskRoot, `${handler.slice(0, handler.lastIndexOf('.'))}.js`);
})();
const handlerExport = process.env._HANDLER?.slice(process.env._HANDLER.lastIndexOf('.') + 1);

function stats(): InvocationStats {
  return (invocations[functionName ?? 'unknown'] ??= emptyInvocations());
}

type Handler = (this: unknown, ...args: unknown[]) => unknown;

function timed(handler: Handler): Handler {
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const started = performance.now();
    const finish = (ok: boolean) => {
      const ms = performance.now() - started;
      const current = stats();
      current.invocations += 1;
      if (!ok) current.failed += 1;
      current.billedMs += Math.max(1, Math.ceil(ms));
      if (current.durationSamplesMs.length < DURATION_SAMPLES) current.durationSamplesMs.push(ms);
    };
    let result: unknown;
    try {
      result = handler.apply(this, args);
    } catch (error) {
      finish(false);
      throw error;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => finish(true),
        () => finish(false),
      );
    } else finish(true);
    return result;
  };
  // The runtime tells callback-style handlers (three parameters) from async ones by their arity.
  Object.defineProperty(wrapped, 'length', { value: handler.length });
  return wrapped;
}

// ------------------------------------------------------------------ module loading
type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: Load; _resolveFilename: (request: string, parent: unknown, isMain: boolean) => string };
const load = moduleInternals._load;
moduleInternals._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
  const isHandler = handlerFile !== undefined && request.endsWith('.js') && safeResolve(request, parent, isMain) === handlerFile;
  const started = performance.now();
  const exports = load.call(this, request, parent, isMain);
  if (/^@smithy\/(core\/client|smithy-client)$/.test(request)) patchClientClass(exports);
  if (!isHandler || !handlerExport) return exports;
  const current = stats();
  current.coldStarts += 1;
  current.initMsTotal += performance.now() - started;
  const handler = (exports as Record<string, unknown>)[handlerExport];
  if (typeof handler !== 'function') return exports;
  const wrapped = timed(handler as Handler);
  // esbuild's CommonJS exports are getters that cannot be redefined; hand out a view instead.
  return new Proxy(exports as object, { get: (target, property) => (property === handlerExport ? wrapped : Reflect.get(target, property)) });
};

function safeResolve(request: string, parent: unknown, isMain: boolean): string | undefined {
  try {
    return moduleInternals._resolveFilename(request, parent, isMain);
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ reporting
const channel = new BroadcastChannel(CHANNEL);
channel.unref();

if (isMainThread) {
  const fromWorkers: Observed = { requests: {}, invocations: {} };
  channel.onmessage = (message: unknown) => {
    const observed = (message as { data: Observed }).data;
    mergeTally(fromWorkers.requests, observed.requests);
    mergeInvocations(fromWorkers.invocations, observed.invocations);
  };
  const instrument: BenchInstrument = {
    drain() {
      const drained: Observed = { requests: mergeTally(fromWorkers.requests, requests.drain()), invocations: fromWorkers.invocations };
      fromWorkers.requests = {};
      fromWorkers.invocations = {};
      return drained;
    },
  };
  (globalThis as Record<symbol, unknown>)[BENCH_GLOBAL] = instrument;
} else {
  const flush = () => {
    if (requests.empty && Object.keys(invocations).length === 0) return;
    channel.postMessage({ requests: requests.drain(), invocations } satisfies Observed);
    invocations = {};
  };
  setInterval(flush, FLUSH_MS).unref();
}
