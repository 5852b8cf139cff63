// Preloaded (NODE_OPTIONS=--require) into the processes `npm start` runs for `npm run bench`; it
// serves only in the stack's own process (INSTRUMENT_SCRIPT_ENV names its script) and, through the
// NODE_OPTIONS of their environment, in every Lambda worker thread that process starts. Nothing in
// src/ or local-sam knows about it, and it changes none of their options: it observes, and names
// each worker's thread (what /proc shows) so that the functions' CPU can be told from the runtime's.
//
// In each thread it counts the AWS calls sent through node:http (awsRequests.ts) and where their
// DynamoDB writes landed (partitions.ts); in a worker it also times the handler's module load and
// each invocation, as Lambda's Init Duration and Duration; in the main thread it counts the
// functions' log output and reads the configuration each thread runs with. Workers post what they
// saw to the main thread every FLUSH_MS; the main thread adds its own (the SQS pollers, which
// stand in for Lambda's event source mappings) and answers GET /drain on a loopback port, which it
// writes to the file INSTRUMENT_FILE_ENV names.
import http from 'node:http';
import Module from 'node:module';
import { realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import workerThreads from 'node:worker_threads';
import { mergeTally, observeAwsCalls, RequestLog, type Observation } from './awsRequests';
import { LAMBDA_THREAD_NAME } from './cpu';
import { keySchemaOf, mergePartitions, PartitionLog, type KeySchemas } from './partitions';
import {
  DURATION_SAMPLES,
  emptyInvocations,
  EVENT_SOURCE_SCOPE,
  INSTRUMENT_FILE_ENV,
  INSTRUMENT_SCRIPT_ENV,
  mergeInvocations,
  type Drained,
  type InvocationStats,
  type InvocationTally,
  type LogVolume,
  type NodeConfiguration,
  type Observed,
  type StackConfiguration,
} from './observed';

const CHANNEL = 'order-capture.bench.instrument';
const FLUSH_MS = 250;
const { isMainThread } = workerThreads;
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
const scope = isMainThread || !functionName ? EVENT_SOURCE_SCOPE : functionName;

type Message = { type: 'observed'; observed: Omit<Observed, 'logs'> } | { type: 'hello'; name: string; configuration: NodeConfiguration } | { type: 'schemas'; schemas: KeySchemas };

/** This file's own `--require`, as the benchmark put it into NODE_OPTIONS. */
const preload = `--require ${JSON.stringify(__filename)}`;
const configuration = (): NodeConfiguration => ({ execArgv: [...process.execArgv], nodeOptions: (process.env.NODE_OPTIONS ?? '').replace(preload, '').trim() });

/** A path with its symbolic links resolved (npm runs a package's bin through node_modules/.bin). */
const realPath = (path: string) => {
  try {
    return realpathSync(resolve(path));
  } catch {
    return resolve(path);
  }
};
const serving = isMainThread ? process.env[INSTRUMENT_SCRIPT_ENV] !== undefined && realPath(process.argv[1] ?? '') === realPath(process.env[INSTRUMENT_SCRIPT_ENV]) : Boolean(functionName);
if (serving) start();

function start(): void {
  const requests = new RequestLog();
  const partitions = new PartitionLog();
  let schemas: KeySchemas = {};
  let invocations: InvocationTally = {};
  const channel = new workerThreads.BroadcastChannel(CHANNEL);
  channel.unref();
  const post = (message: Message) => channel.postMessage(message);

  observeAwsCalls(http, (observation: Observation) => {
    requests.record(scope, observation);
    partitions.record(observation, schemas);
    // The tables' key schemas, as the stack created them at start-up.
    if (observation.operation === 'CreateTable' && !observation.errorName) {
      const schema = keySchemaOf(observation.input);
      if (schema) schemas = { ...schemas, [schema[0]]: schema[1] };
    }
  });

  const stats = (): InvocationStats => (invocations[functionName ?? 'unknown'] ??= emptyInvocations());
  if (!isMainThread) {
    nameThread();
    timeHandler(stats);
    channel.onmessage = (event) => {
      const message = (event as { data: Message }).data;
      if (message.type === 'schemas') schemas = message.schemas;
    };
    post({ type: 'hello', name: functionName ?? 'unknown', configuration: configuration() });
    setInterval(() => {
      if (requests.empty && partitions.empty && Object.keys(invocations).length === 0) return;
      post({ type: 'observed', observed: { requests: requests.drain(), invocations, partitions: partitions.drain() } });
      invocations = {};
    }, FLUSH_MS).unref();
    return;
  }

  const fromWorkers: Omit<Observed, 'logs'> = { requests: {}, invocations: {}, partitions: {} };
  const workers: StackConfiguration['workers'] = {};
  const environments: Record<string, number> = {};
  let logs: LogVolume = { bySource: {}, errors: [] };
  channel.onmessage = (event) => {
    const message = (event as { data: Message }).data;
    if (message.type === 'hello') {
      workers[message.name] = message.configuration;
      post({ type: 'schemas', schemas });
    } else if (message.type === 'observed') {
      mergeTally(fromWorkers.requests, message.observed.requests);
      mergeInvocations(fromWorkers.invocations, message.observed.invocations);
      mergePartitions(fromWorkers.partitions, message.observed.partitions);
    }
  };
  observeWorkers((name) => {
    environments[name] = (environments[name] ?? 0) + 1;
  }, () => logs);

  const drain = (): Drained => {
    const drained: Drained = {
      requests: mergeTally(fromWorkers.requests, requests.drain()),
      invocations: fromWorkers.invocations,
      partitions: mergePartitions(fromWorkers.partitions, partitions.drain()),
      logs,
      configuration: {
        node: process.version,
        stack: { ...configuration(), script: process.argv[1] ?? '', args: process.argv.slice(2) },
        workers: { ...workers },
        environments: { ...environments },
      },
    };
    Object.assign(fromWorkers, { requests: {}, invocations: {}, partitions: {} });
    logs = { bySource: {}, errors: [] };
    return drained;
  };
  const server = http.createServer((request, response) => {
    const body = request.url === '/drain' ? JSON.stringify(drain()) : undefined;
    response.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
    response.end(body ?? '{}');
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const file = process.env[INSTRUMENT_FILE_ENV];
    if (file && typeof address === 'object' && address) writeFileSync(file, JSON.stringify({ url: `http://127.0.0.1:${address.port}` }));
  });
  server.unref();
}

/**
 * Every Worker the stack starts gets this preload in its NODE_OPTIONS (a worker reads NODE_OPTIONS
 * from its `env`, as a Lambda process does), and its output is counted as CloudWatch Logs would
 * ingest it. The class is replaced on node:worker_threads before the stack's code reads it.
 */
function observeWorkers(started: (name: string) => void, logs: () => LogVolume): void {
  type Options = ConstructorParameters<typeof workerThreads.Worker>[1];
  const Original = workerThreads.Worker;
  class ObservedWorker extends Original {
    constructor(filename: string | URL, options: Options = {}) {
      const env = options.env && typeof options.env === 'object' ? (options.env as Record<string, string>) : undefined;
      const name = env?.AWS_LAMBDA_FUNCTION_NAME;
      super(filename, name && env ? { ...options, env: { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, preload].filter(Boolean).join(' ') } } : options);
      if (!name) return;
      started(name);
      for (const stream of [options.stdout ? this.stdout : undefined, options.stderr ? this.stderr : undefined]) {
        let partial = '';
        stream?.on('data', (chunk: Buffer) => {
          const volume = (logs().bySource[name] ??= { lines: 0, bytes: 0 });
          const text = partial + chunk.toString('utf8');
          const lines = text.split('\n');
          partial = lines.pop() ?? '';
          volume.lines += lines.length;
          volume.bytes += chunk.length;
          const errors = logs().errors;
          for (const line of lines) if (errors.length < 20 && /"level":"(ERROR|CRITICAL)"|\bERROR\b/.test(line)) errors.push(`[${name}] ${line.slice(0, 400)}`);
        });
      }
    }
  }
  (workerThreads as { Worker: typeof Original }).Worker = ObservedWorker;
}

/**
 * Names this execution environment's thread, so that its CPU time can be told from the runtime's
 * (host.ts reads /proc/<pid>/task/<tid>/stat). A synchronous write runs on the calling thread, so
 * /proc/thread-self is this worker's own. Without /proc the name stays as it was: nothing else depends on it.
 */
function nameThread(): void {
  try {
    writeFileSync('/proc/thread-self/comm', LAMBDA_THREAD_NAME);
  } catch {
    // Not Linux.
  }
}

type Handler = (this: unknown, ...args: unknown[]) => unknown;

/** Times the handler's module load (Lambda's Init Duration) and each of its invocations (Duration). */
function timeHandler(stats: () => InvocationStats): void {
  const taskRoot = process.env.LAMBDA_TASK_ROOT;
  const handlerName = process.env._HANDLER;
  if (!taskRoot || !handlerName) return;
  const handlerFile = join(taskRoot, `${handlerName.slice(0, handlerName.lastIndexOf('.'))}.js`);
  const handlerExport = handlerName.slice(handlerName.lastIndexOf('.') + 1);

  const timed = (handler: Handler): Handler => {
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
  };

  type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
  const internals = Module as unknown as { _load: Load; _resolveFilename: (request: string, parent: unknown, isMain: boolean) => string };
  const load = internals._load;
  const resolves = (request: string, parent: unknown, isMain: boolean) => {
    try {
      return internals._resolveFilename(request, parent, isMain) === handlerFile;
    } catch {
      return false;
    }
  };
  internals._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    const isHandler = request.endsWith('.js') && resolves(request, parent, isMain);
    const started = performance.now();
    const exports = load.call(this, request, parent, isMain);
    if (!isHandler) return exports;
    const current = stats();
    current.coldStarts += 1;
    current.initMsTotal += performance.now() - started;
    const handler = (exports as Record<string, unknown>)[handlerExport];
    if (typeof handler !== 'function') return exports;
    const wrapped = timed(handler as Handler);
    // esbuild's CommonJS exports are getters that cannot be redefined; hand out a view instead.
    return new Proxy(exports as object, { get: (target, property) => (property === handlerExport ? wrapped : Reflect.get(target, property)) });
  };
}
