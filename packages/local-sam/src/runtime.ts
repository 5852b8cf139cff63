// Puts the local stack together from a SAM template: emulators, resources, function bundles and
// their worker pools, queue pollers, schedules and the API. The port opens only once all of it is
// ready. `local-sam start` (start.ts) is its command line; in-process use:
//
//   const local = await startLocalStack({ templatePath: 'template.yaml', port: 0, parameters: { MaxReceiveCount: '2' } });
//   local.url, local.stack (provision.ts), local.functions.get('MyFunction').invoke(event)
//   lambdaPort: 0 also serves the Lambda Invoke API (lambdaApi.ts) at local.lambdaUrl
//   faults: { seed, rules } injects AWS's failure modes (faults.ts); counts: local.faults.injector.counts()
//   local.warnings: what of the template does not run locally, one line each (compatibility.ts);
//     a template that cannot run at all is refused before anything starts
//   scheduleClock: a faster clock for the schedules (tests)
//   await local.stop();   // API, schedules, pollers, workers, emulators (and DynamoDB Local's JVM)
import { SQSClient } from '@aws-sdk/client-sqs';
import { join, resolve as resolvePath } from 'node:path';
import type { ContractLookup } from './apiGateway';
import { localApi, startApiServer, type ApiKey, type LocalApi, type RunningApi } from './apiServer';
import { startAwsProxy, throughProxy } from './awsProxy';
import { checkRuleTargets, FaultInjector, type FaultConfig } from './faults';
import { startLambdaApi } from './lambdaApi';
import { buildFunctions, buildRuntimeModule, LOCAL_DIR } from './build';
import { checkTemplate } from './compatibility';
import { Observations } from './console/observations';
import { pipelineOf } from './console/pipeline';
import type { ConsolePanel } from './console/panels';
import { startConsole } from './console/server';
import { freePort, LOCAL_CREDENTIALS, startEmulators, type Emulators } from './emulators';
import { functionDefinitions, FunctionRuntime } from './functions';
import { runtimeLog, terminalSink, type LogSink } from './logs';
import { DEFAULT_POLLER_CONCURRENCY, sqsEventSources, SqsPoller } from './poller';
import { provision, type ProvisionedStack } from './provision';
import { scheduleSources, startSchedules, type ScheduleSource, type SchedulerClock } from './scheduler';
import { provisionSnsEventSources, snsInvoker, type SnsEventSource } from './snsEvents';
import { defaultStackName } from './stackName';
import { loadTemplate } from './template';

export interface LocalStackOptions {
  /** Default: template.yaml in the current folder. */
  templatePath?: string;
  /** Template parameter overrides, as `sam deploy --parameter-overrides`. */
  parameters?: Record<string, string>;
  /** Accept parameter values outside the template's constraints (fast retries in tests). */
  relaxedParameters?: boolean;
  /** Default: samconfig.toml's stack_name beside the template, else the template's folder name (stackName.ts). */
  stackName?: string;
  /** The app's request validator: for a route and method, the parameters and body schema the local gateway checks (apiGateway.ts). */
  validator?: ContractLookup;
  /** The app's own panels in the console (console/panels.ts). */
  consolePanels?: ConsolePanel[];
  /** 0 picks a free port. */
  port?: number;
  /** Enforce API keys and the usage plan as the deployed API does (apiServer.ts); off, the API takes any request. */
  apiKeys?: boolean;
  /** Faults to inject into the functions' AWS calls and invocations, from the moment the stack is ready (faults.ts). */
  faults?: FaultConfig;
  /** Also serve the Lambda Invoke API (as `sam local start-lambda`) on this port; 0 picks a free one. */
  lambdaPort?: number;
  host?: string;
  /** Where fauxqs listens (default 127.0.0.1), e.g. the Docker bridge's address for containers. */
  messagingHost?: string;
  /** Keep emulator data in this folder between runs. */
  persistDir?: string;
  /** Where the bundles go; inside the project, so that external packages resolve. */
  buildDir?: string;
  log?: LogSink;
  /** Execution environments per function at most. */
  functionConcurrency?: number;
  /** Concurrent batches per SQS event source unless its ScalingConfig caps it lower. */
  pollerConcurrency?: number;
  /** The schedules' time (default: the real one); a test passes a faster clock to see cron() and rate() schedules fire. */
  scheduleClock?: SchedulerClock;
}

export interface LocalStack {
  url: string;
  /** The key to send as x-api-key, when apiKeys was given. */
  apiKey?: ApiKey;
  /** The Lambda Invoke API's base URL, when lambdaPort was given. */
  lambdaUrl?: string;
  stack: ProvisionedStack;
  emulators: Emulators;
  api: LocalApi | undefined;
  functions: FunctionRuntime;
  pollers: SqsPoller[];
  schedules: ScheduleSource[];
  /** The functions' `Type: SNS` events, each delivered through a queue of its own (snsEvents.ts). */
  snsEventSources: SnsEventSource[];
  /** What of the template does not run locally, and what that means, one line each (compatibility.ts). */
  warnings: string[];
  /** When faults are injected: the proxy the functions and pollers call AWS through, and the injector (its counts). */
  faults?: { endpoint: string; injector: FaultInjector };
  startupMs: number;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = Date.now();
  const observations = new Observations();
  const sink = observations.sink(options.log ?? terminalSink());
  const log = runtimeLog(sink);
  const templatePath = resolvePath(options.templatePath ?? 'template.yaml');
  const template = loadTemplate(templatePath, options.parameters ?? {}, {
    stackName: options.stackName ?? defaultStackName(templatePath),
    enforceParameterConstraints: !options.relaxedParameters,
  });
  // Refused here, before anything starts, when unusable.
  const warnings = checkTemplate(template);
  const buildDir = options.buildDir ?? join(template.dir, LOCAL_DIR, 'build');
  const logicalIdsOf = (type: string) => Object.values(template.resources).filter((resource) => resource.type === type).map((resource) => resource.logicalId);
  // Refused before anything starts: a rule for a function or a table the template does not have.
  if (options.faults) checkRuleTargets(options.faults, { functions: logicalIdsOf('AWS::Serverless::Function'), tables: [...logicalIdsOf('AWS::DynamoDB::Table'), ...logicalIdsOf('AWS::Serverless::SimpleTable')] });
  const injector = options.faults ? new FaultInjector(options.faults, { log: (line) => sink('faults', line) }) : undefined;

  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`stopping: ${(error as Error).message}`);
      }
    }
  };

  try {
    // DynamoDB Local's CORS allow-list names the API's origin, so the port is chosen before it starts.
    const host = options.host ?? '127.0.0.1';
    const port = options.port === 0 ? await freePort() : (options.port ?? 3000);
    // The JVM of DynamoDB Local takes longest; bundling happens meanwhile.
    const emulatorsStarting = startEmulators({
      corsOrigins: [`http://${host}:${port}`, ...(host === '127.0.0.1' ? [`http://localhost:${port}`] : [])],
      ...(options.messagingHost ? { messagingHost: options.messagingHost } : {}),
      ...(options.persistDir ? { persistDir: resolvePath(options.persistDir) } : {}),
    });
    const building = Promise.all([
      buildFunctions(template, buildDir),
      buildRuntimeModule(join(__dirname, 'lambdaWorker.ts'), join(buildDir, '.runtime', 'lambdaWorker.js')),
    ]);
    // Settled, not Promise.all: emulators that start after a failed build must still be stopped.
    const [emulatorsResult, buildResult] = await Promise.allSettled([emulatorsStarting, building]);
    if (emulatorsResult.status === 'fulfilled') cleanups.push(() => emulatorsResult.value.stop());
    if (emulatorsResult.status === 'rejected') throw emulatorsResult.reason;
    if (buildResult.status === 'rejected') throw buildResult.reason;
    const emulators = emulatorsResult.value;
    const [built, workerScript] = buildResult.value;
    const stack = await provision(template, emulators);
    // The functions and the pollers (Lambda's own SQS client) reach AWS through the injector; provisioning goes direct.
    const tables = Object.fromEntries(Object.values(stack.tables).map((table) => [table.name, table.logicalId]));
    const proxy = injector && (await startAwsProxy(emulators, injector, { tables }));
    if (proxy) cleanups.push(() => proxy.stop());
    const definitions = functionDefinitions(stack, built, emulators.sdkEnvironment).map((definition) =>
      proxy ? { ...definition, environment: throughProxy(definition.environment, emulators, proxy.endpoint) } : definition,
    );
    const functions = new FunctionRuntime(definitions, {
      workerScript,
      log: sink,
      maxConcurrency: options.functionConcurrency,
      compileCacheDir: join(buildDir, '.compile-cache'),
      ...(injector ? { faults: injector } : {}),
      onInvocation: observations.onInvocation,
    });
    cleanups.push(() => functions.stop());
    // Every function's init phase now, so the first request does not pay for cold starts.
    await functions.warm();

    const sqs = new SQSClient({ region: template.region, credentials: LOCAL_CREDENTIALS, endpoint: proxy?.endpoint ?? emulators.messagingEndpoint, useQueueUrlAsEndpoint: false });
    cleanups.push(async () => sqs.destroy());
    const eventSources = sqsEventSources(stack, definitions, options.pollerConcurrency ?? DEFAULT_POLLER_CONCURRENCY);
    const pollers = eventSources.map(
      (source) =>
        new SqsPoller(source, {
          sqs,
          region: template.region,
          invoke: (event) => functions.get(source.functionLogicalId).invoke(event),
          log: (line) => sink(`${source.functionLogicalId}:${source.eventName}`, line),
        }),
    );
    const sns = await provisionSnsEventSources(stack, definitions, emulators, options.pollerConcurrency ?? DEFAULT_POLLER_CONCURRENCY);
    warnings.push(...sns.warnings);
    for (const source of sns.sources) {
      const log = (line: string) => sink(`${source.functionLogicalId}:${source.eventName}`, line);
      const invoke = snsInvoker(source, (event) => functions.get(source.functionLogicalId).invoke(event), log);
      pollers.push(new SqsPoller(source.delivery, { sqs, region: template.region, invoke, log }));
    }
    for (const poller of pollers) poller.start();
    // Stopping the functions ends in-flight batches at once (undeleted, so they run again later);
    // the pollers have been told to stop first, so no new batch starts meanwhile.
    cleanups.push(async () => {
      const stopping = Promise.all(pollers.map((poller) => poller.stop()));
      await functions.stop();
      await stopping;
    });

    const schedules = scheduleSources(definitions);
    for (const schedule of schedules) if (schedule.notRunLocally) warnings.push(`${schedule.functionLogicalId}.${schedule.eventName} (${schedule.expression}) does not run locally: ${schedule.notRunLocally}`);
    const scheduler = startSchedules(schedules, {
      region: template.region,
      account: template.accountId,
      invoke: (source, event) => functions.get(source.functionLogicalId).invoke(event),
      ...(options.scheduleClock ? { clock: options.scheduleClock } : {}),
    });
    cleanups.push(() => scheduler.stop());

    let lambdaUrl: string | undefined;
    if (options.lambdaPort !== undefined) {
      const lambdaApi = await startLambdaApi(functions, options.lambdaPort, host, (line) => sink('lambda', line));
      cleanups.push(() => lambdaApi.close());
      lambdaUrl = lambdaApi.url;
    }

    const api = localApi(stack);
    let running: RunningApi | undefined;
    if (api) {
      const localConsole = startConsole({
        stack,
        pipeline: pipelineOf({ stack, api, functions: definitions, eventSources, schedules }),
        observations,
        dynamoEndpoint: emulators.dynamoEndpoint,
        messagingEndpoint: emulators.messagingEndpoint,
        assetsDir: join(__dirname, 'console'),
        ...(options.consolePanels ? { panels: options.consolePanels } : {}),
        log: (line) => sink('console', line),
      });
      cleanups.push(() => localConsole.stop());
      running = await startApiServer({ stack, api, functions, ...(options.validator ? { contract: options.validator } : {}), apiKeys: options.apiKeys === true, console: localConsole, log: (line) => sink('api', line) }, port, host);
      cleanups.push(() => (running as RunningApi).close());
    }

    // Ready: fault windows count from here.
    injector?.arm();
    return {
      url: running?.url ?? '',
      ...(running?.apiKey ? { apiKey: running.apiKey } : {}),
      ...(lambdaUrl ? { lambdaUrl } : {}),
      stack,
      emulators,
      api,
      functions,
      pollers,
      schedules,
      snsEventSources: sns.sources,
      warnings,
      ...(proxy && injector ? { faults: { endpoint: proxy.endpoint, injector } } : {}),
      startupMs: Date.now() - started,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
