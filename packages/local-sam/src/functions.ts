// The functions as Lambda runs them: each AWS::Serverless::Function gets a small pool of worker
// threads (execution environments) created on demand, one invocation per worker at a time, its
// own environment and its Timeout, after which the worker is terminated as Lambda would.
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { BuiltFunction } from './build';
import type { InvokeMessage, SerializedError, WorkerConfig, WorkerReply } from './lambdaWorker';
import type { LogSink } from './logs';
import type { ProvisionedStack } from './provision';

// Lambda allows 10 s for a function's initialisation. Locally the first workers start together
// while the JVM and esbuild are busy, and a loaded 2-core machine can take longer than that to load
// a bundle; a hung initialisation is still caught, just later.
const INIT_TIMEOUT_MS = 60_000;

/**
 * How far below the runtime's own (and the emulators') CPU priority each execution environment's
 * thread runs, as `nice -n` counts. On AWS the functions never take CPU from DynamoDB, SQS or SNS;
 * here they share the machine's cores, and DynamoDB Local applies write transactions one at a
 * time, so one of its threads preempted while applying one holds up every transaction behind it:
 * at 50 requests/s on two cores, in a benchmark app whose pipeline ends in a write transaction,
 * that transaction's p50 went from 6 ms (at 25/s) to 300 ms, and at 100/s requests piled up behind
 * it. With the functions 10 levels lower the emulators answer as separate services would (two runs
 * back to back: 100/s completed 61.6/s instead of 40.9, at the same CPU per request). Idle cores
 * make it moot.
 */
const ENVIRONMENT_NICE_INCREMENT = 10;

/** Each execution environment's V8 young generation; at 6 and 12 MB the benchmark saw no CPU cost. */
const YOUNG_GENERATION_MB = 6;

export interface FunctionDefinition {
  logicalId: string;
  name: string;
  arn: string;
  built: BuiltFunction;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
  /** The function's AWS::Serverless::Function Events, resolved. */
  events: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/** What Lambda does to an invocation besides running it, when the runtime injects faults (faults.ts). */
export type InvocationFault = 'throttle' | 'outage' | 'timeout';

export interface InvocationFaults {
  /** Asked once per invocation; `running` is how many invocations of the function are in flight already. */
  invocationFault(logicalId: string, running: number): InvocationFault | undefined;
}

/**
 * Lambda's refusal of an invocation beyond the function's reserved concurrency: it does not queue,
 * and the function never runs (the Invoke API's 429 TooManyRequestsException).
 */
export class InvocationThrottled extends Error {
  readonly reason = 'ReservedFunctionConcurrentInvocationLimitExceeded';
  constructor() {
    super('Rate Exceeded.');
    this.name = 'TooManyRequestsException';
  }
}

export const isThrottled = (error: unknown): error is InvocationThrottled => error instanceof Error && error.name === 'TooManyRequestsException';

/** How an invocation failed, in Lambda's terms (errorType Sandbox.Timedout for a timeout). */
export class FunctionError extends Error {
  readonly errorType: string;
  readonly trace: string[];
  constructor(error: SerializedError) {
    super(error.errorMessage);
    this.name = 'FunctionError';
    this.errorType = error.errorType;
    this.trace = error.stack ?? [];
  }
}

export interface PoolOptions {
  /** The bundled lambdaWorker.js. */
  workerScript: string;
  /** V8 compile cache folder for the workers (optional). */
  compileCacheDir?: string;
  /** Execution environments per function at most; further invocations wait (default 4). */
  maxConcurrency?: number;
  log: LogSink;
  /** Throttles, outages and overlong invocations to inject; none when absent. */
  faults?: InvocationFaults;
  /** Told of every invocation that ended (the console's figures); runs on the invocation's path, so it must be cheap. */
  onInvocation?: (record: InvocationRecord) => void;
}

/** A function's Environment.Variables from the template (Globals merged), resolved against the local stack. */
export function templateVariables(stack: ProvisionedStack, logicalId: string): Record<string, string> {
  const resource = stack.template.resources[logicalId];
  if (!resource) throw new Error(`No function ${logicalId} in the template`);
  const variables = (stack.resolve(resource.properties.Environment) as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)]));
}

/** The environment Lambda gives a function: the template's variables, then the reserved ones. */
export function lambdaEnvironment(
  stack: ProvisionedStack,
  logicalId: string,
  built: BuiltFunction,
  sdkEnvironment: Record<string, string>,
): Record<string, string> {
  const resource = stack.template.resources[logicalId];
  if (!resource) throw new Error(`No function ${logicalId} in the template`);
  const fn = stack.functions.find((candidate) => candidate.logicalId === logicalId);
  const name = fn?.name ?? logicalId;
  const runtime = String(stack.resolve(resource.properties.Runtime) ?? 'nodejs22.x');
  // Lambda's default group unless LoggingConfig names another (the template's own log groups).
  const logGroup = (stack.resolve(resource.properties.LoggingConfig) as { LogGroup?: string } | undefined)?.LogGroup ?? `/aws/lambda/${name}`;
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    ...templateVariables(stack, logicalId),
    ...sdkEnvironment,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(stack.resolve(resource.properties.MemorySize) ?? 128),
    AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${logicalId}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: built.codeDir,
    _HANDLER: String(stack.resolve(resource.properties.Handler)),
  };
}

export function functionDefinitions(stack: ProvisionedStack, built: BuiltFunction[], sdkEnvironment: Record<string, string>): FunctionDefinition[] {
  return built.map((bundle) => {
    const resource = stack.template.resources[bundle.logicalId];
    const fn = stack.functions.find((candidate) => candidate.logicalId === bundle.logicalId);
    if (!resource || !fn) throw new Error(`No function ${bundle.logicalId} in the template`);
    return {
      logicalId: bundle.logicalId,
      name: fn.name,
      arn: fn.arn,
      built: bundle,
      // SAM's defaults: 3 s and 128 MB.
      timeoutSeconds: Number(stack.resolve(resource.properties.Timeout) ?? 3),
      memorySize: Number(stack.resolve(resource.properties.MemorySize) ?? 128),
      environment: lambdaEnvironment(stack, bundle.logicalId, bundle, sdkEnvironment),
      events: (stack.resolve(resource.properties.Events) ?? {}) as FunctionDefinition['events'],
    };
  });
}

interface Invocation {
  requestId: string;
  event: unknown;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  /** The handler runs to completion, yet the invocation ends only when its Timeout kills the environment. */
  runsPastTimeout?: boolean;
  /** performance.now() when an execution environment took it. */
  startedAt?: number;
}

/** An invocation that ended, in the terms of Lambda's Invocations, Errors and Duration metrics. */
export interface InvocationRecord {
  functionLogicalId: string;
  /** From the handler's start to its end; absent when it never started (its environment failed to initialise). */
  durationMs?: number;
  /** Lambda's errorType when it failed: the handler's error, Sandbox.Timedout, Runtime.ExitError, ... */
  errorType?: string;
}

/** One execution environment. */
class Environment {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  current: Invocation | undefined;
  private timer: NodeJS.Timeout | undefined;
  private exited = false;

  constructor(
    private readonly definition: FunctionDefinition,
    options: PoolOptions,
    private readonly onFree: (environment: Environment) => void,
    private readonly onGone: (environment: Environment) => void,
  ) {
    const config: WorkerConfig = {
      handlerFile: definition.built.handlerFile,
      handlerExport: definition.built.handlerExport,
      functionName: definition.name,
      functionArn: definition.arn,
      memorySize: definition.memorySize,
      logGroupName: definition.environment.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
      logStreamName: definition.environment.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
      ...(options.compileCacheDir ? { compileCacheDir: options.compileCacheDir } : {}),
      niceIncrement: ENVIRONMENT_NICE_INCREMENT,
    };
    this.worker = new Worker(options.workerScript, {
      workerData: config,
      env: definition.environment,
      // Plain Node, as Lambda starts it, however the runtime itself was started (tsx's module hooks
      // would otherwise be inherited). Node reads the function's NODE_OPTIONS from `env`, as Lambda does.
      execArgv: [],
      stdout: true,
      stderr: true,
      // Lambda's MemorySize as the heap limit: a function that outgrows it dies, as it would there.
      // The young generation diverges: Lambda gives each environment a process of its own (and a
      // 512 MB function semi-spaces of 25 MB), here they all share one, and at V8's default size
      // their young generations took the stack past 1 GB at 100 requests/s in a benchmark.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(definition.memorySize, 64), maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: this.worker[stream] }).on('line', (line) => options.log(definition.logicalId, line, stream));
    }
    this.ready = new Promise<void>((resolve, reject) => {
      const initTimer = setTimeout(() => {
        reject(new FunctionError({ errorType: 'Runtime.InitTimeout', errorMessage: `${definition.logicalId} did not initialise within ${INIT_TIMEOUT_MS / 1000} seconds` }));
        void this.terminate();
      }, INIT_TIMEOUT_MS);
      this.worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          clearTimeout(initTimer);
          resolve();
        } else if (reply.type === 'initError') {
          clearTimeout(initTimer);
          reject(new FunctionError(reply.error));
          void this.terminate();
        } else this.settle(reply);
      });
      this.worker.on('error', (error) => {
        clearTimeout(initTimer);
        const failure = new FunctionError({ errorType: 'Runtime.ExitError', errorMessage: `the execution environment crashed: ${error.message}`, stack: error.stack?.split('\n').slice(1) });
        reject(failure);
        this.fail(failure);
      });
      this.worker.on('exit', (code) => {
        clearTimeout(initTimer);
        this.exited = true;
        reject(new FunctionError({ errorType: 'Runtime.ExitError', errorMessage: `the execution environment exited with code ${code}` }));
        this.fail(new FunctionError({ errorType: 'Runtime.ExitError', errorMessage: `the execution environment exited with code ${code} during the invocation` }));
        this.onGone(this);
      });
    });
    // Init failures are reported to whoever invokes; nobody may be waiting yet.
    this.ready.catch(() => undefined);
  }

  run(invocation: Invocation): void {
    this.current = invocation;
    invocation.startedAt = performance.now();
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const message: InvokeMessage = { type: 'invoke', requestId: invocation.requestId, event: invocation.event, deadline: Date.now() + timeoutMs };
    this.timer = setTimeout(() => {
      this.fail(new FunctionError({ errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.definition.timeoutSeconds.toFixed(2)} seconds` }));
      void this.terminate();
    }, timeoutMs);
    this.worker.postMessage(message);
  }

  private settle(reply: WorkerReply): void {
    const invocation = this.current;
    if (!invocation || !('requestId' in reply) || reply.requestId !== invocation.requestId) return;
    // Its effects have happened; its caller sees Sandbox.Timedout when the timer ends the environment.
    if (invocation.runsPastTimeout) return;
    clearTimeout(this.timer);
    this.current = undefined;
    if (reply.type === 'result') invocation.resolve(reply.result);
    else if (reply.type === 'error') invocation.reject(new FunctionError(reply.error));
    this.onFree(this);
  }

  private fail(error: FunctionError): void {
    clearTimeout(this.timer);
    const invocation = this.current;
    this.current = undefined;
    invocation?.reject(error);
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }
}

/** The execution environments of one function. */
export class FunctionPool {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: Invocation[] = [];
  private readonly maxConcurrency: number;
  /** Invocations accepted and not yet answered: the function's concurrency, as reserved concurrency counts it. */
  private inFlight = 0;
  private stopped = false;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly options: PoolOptions,
  ) {
    this.maxConcurrency = options.maxConcurrency ?? 4;
  }

  get size(): number {
    return this.all.size;
  }

  /** Invokes the function synchronously (RequestResponse); rejects with a FunctionError when it fails, InvocationThrottled when Lambda would not run it. */
  invoke(event: unknown, requestId: string = randomUUID()): Promise<unknown> {
    if (this.stopped) return Promise.reject(new Error(`${this.definition.logicalId} is stopped`));
    const fault = this.options.faults?.invocationFault(this.definition.logicalId, this.inFlight);
    if (fault === 'throttle') return Promise.reject(new InvocationThrottled());
    this.inFlight += 1;
    return new Promise<unknown>((resolve, reject) => {
      const invocation: Invocation = {
        requestId,
        event,
        resolve: (result) => {
          this.ended(invocation);
          resolve(result);
        },
        reject: (error) => {
          const detail = error instanceof FunctionError ? `${error.errorType}: ${error.message}` : error.message;
          this.options.log(this.definition.logicalId, `ERROR Invoke Error requestId=${requestId} ${detail}`, 'stderr');
          this.ended(invocation, error);
          reject(error);
        },
        runsPastTimeout: fault === 'timeout',
      };
      if (fault === 'outage') {
        // The handler never runs: nothing it would have done happens.
        invocation.reject(new FunctionError({ errorType: 'Runtime.ExitError', errorMessage: 'the execution environment is unavailable (an outage injected by --faults)' }));
        return;
      }
      this.waiting.push(invocation);
      this.dispatch();
    }).finally(() => {
      this.inFlight -= 1;
    });
  }

  private ended(invocation: Invocation, error?: Error): void {
    // An invocation dropped by stop() never ran: Lambda would not count it.
    if (!this.options.onInvocation || (error && !(error instanceof FunctionError))) return;
    this.options.onInvocation({
      functionLogicalId: this.definition.logicalId,
      ...(invocation.startedAt === undefined ? {} : { durationMs: performance.now() - invocation.startedAt }),
      ...(error instanceof FunctionError ? { errorType: error.errorType } : {}),
    });
  }

  /** Starts one execution environment ahead of the first invocation (its init phase). */
  async warm(): Promise<void> {
    if (this.all.size > 0) return;
    const environment = this.spawn();
    await environment.ready;
    this.idle.push(environment);
    this.dispatch();
  }

  private spawn(): Environment {
    const environment = new Environment(
      this.definition,
      this.options,
      (free) => {
        this.idle.push(free);
        this.dispatch();
      },
      (gone) => {
        this.all.delete(gone);
        const index = this.idle.indexOf(gone);
        if (index >= 0) this.idle.splice(index, 1);
        this.dispatch();
      },
    );
    this.all.add(environment);
    return environment;
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && !this.stopped) {
      const environment = this.idle.pop();
      if (environment) {
        environment.run(this.waiting.shift() as Invocation);
        continue;
      }
      if (this.all.size >= this.maxConcurrency) return;
      const invocation = this.waiting.shift() as Invocation;
      const fresh = this.spawn();
      fresh.ready.then(
        () => fresh.run(invocation),
        (error: Error) => invocation.reject(error),
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const invocation of this.waiting.splice(0)) invocation.reject(new Error(`${this.definition.logicalId} stopped before the invocation ran`));
    await Promise.all([...this.all].map((environment) => environment.terminate()));
  }
}

/** Every function of the stack, by logical id and by ARN (as API integrations name them). */
export class FunctionRuntime {
  private readonly pools = new Map<string, FunctionPool>();

  constructor(definitions: FunctionDefinition[], options: PoolOptions) {
    for (const definition of definitions) this.pools.set(definition.logicalId, new FunctionPool(definition, options));
  }

  get functions(): FunctionPool[] {
    return [...this.pools.values()];
  }

  get(logicalId: string): FunctionPool {
    const pool = this.pools.get(logicalId);
    if (!pool) throw new Error(`No function ${logicalId}`);
    return pool;
  }

  /** By the function's ARN, or a qualified one (`:live`, `:1`): locally every alias and version is the one function. */
  byArn(arn: string): FunctionPool | undefined {
    const unqualified = arn.split(':').slice(0, 7).join(':');
    return this.functions.find((pool) => pool.definition.arn === unqualified);
  }

  async warm(): Promise<void> {
    await Promise.all(this.functions.map((pool) => pool.warm()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.functions.map((pool) => pool.stop()));
  }
}
