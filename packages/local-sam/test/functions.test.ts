import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRuntimeModule, esbuildOptions } from '../src/build';
import { FaultInjector, type FaultRule } from '../src/faults';
import { FunctionError, FunctionPool, functionDefinitions, InvocationThrottled, type FunctionDefinition, type InvocationRecord, type PoolOptions } from '../src/functions';
import type { ProvisionedStack } from '../src/provision';
import { createResolver, loadTemplate, placeholderResource, type PhysicalResources } from '../src/template';

const template = loadTemplate(join(__dirname, 'templates', 'helpdesk', 'template.yaml'));

/** The project's stack as provision() would report it, with made-up local names. */
function localStack(): ProvisionedStack {
  const physical: PhysicalResources = {};
  for (const resource of Object.values(template.resources)) physical[resource.logicalId] = placeholderResource(template, resource);
  physical.TicketTable = { type: 'AWS::DynamoDB::Table', ref: 'local-tickets', attributes: { Arn: 'arn:local:tickets' } };
  physical.TicketTopic = { type: 'AWS::SNS::Topic', ref: 'arn:local:topic', attributes: {} };
  const functions = Object.values(template.resources)
    .filter((resource) => resource.type === 'AWS::Serverless::Function')
    .map((resource) => ({ logicalId: resource.logicalId, name: physical[resource.logicalId]?.ref ?? '', arn: physical[resource.logicalId]?.attributes.Arn ?? '' }));
  return { template, physical, resolve: createResolver(template, physical), tables: [], queues: [], topics: [], subscriptions: [], functions, ignored: [], outputs: {}, queueByArn: () => undefined };
}

describe('functionDefinitions', () => {
  const built = { logicalId: 'TicketApiFunction', codeDir: '/build/TicketApiFunction', handlerFile: '/build/TicketApiFunction/ticketApi.js', handlerExport: 'handler' };
  const [definition] = functionDefinitions(localStack(), [built], { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1' });

  it('gives a function its template environment resolved to local names, the SDK endpoints and Lambda’s reserved variables', () => {
    expect(definition?.environment).toMatchObject({
      TICKET_TABLE_NAME: 'local-tickets',
      TICKET_TOPIC_ARN: 'arn:local:topic',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
      AWS_LAMBDA_FUNCTION_NAME: definition?.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      LAMBDA_TASK_ROOT: '/build/TicketApiFunction',
      _HANDLER: 'ticketApi.handler',
    });
  });

  it('tells the function the log group its LoggingConfig names, as Lambda does', () => {
    const stack = localStack();
    stack.physical.TicketApiFunctionLogGroup = { type: 'AWS::Logs::LogGroup', ref: '/helpdesk/tickets-api', attributes: {} };
    const [named] = functionDefinitions({ ...stack, resolve: createResolver(stack.template, stack.physical) }, [built], {});
    expect(named?.environment.AWS_LAMBDA_LOG_GROUP_NAME).toBe('/helpdesk/tickets-api');
  });

  it('takes Timeout and MemorySize from the template (Globals included)', () => {
    expect(definition?.timeoutSeconds).toBe(Number(template.parameters.FunctionTimeoutSeconds));
    expect(definition?.memorySize).toBeGreaterThanOrEqual(128);
  });
});

describe('esbuildOptions', () => {
  it('follows the function’s Metadata.BuildProperties, as sam build does', () => {
    const resource = template.resources.TicketApiFunction!;
    const options = esbuildOptions(template, resource, '/out');
    expect(options).toMatchObject({
      entryPoints: ['src/handlers/ticketApi.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outdir: '/out',
      external: [],
      mainFields: ['module', 'main'],
      minify: true,
      sourcemap: false,
      target: ['es2023'],
    });
  });
});

describe('FunctionPool', () => {
  let dir: string;
  let workerScript: string;
  const handlers = {
    'echo.js': `let calls = 0;
exports.handler = async (event, context) => {
  if (event.hang) return new Promise(() => {});
  if (event.fail) throw new TypeError('bad input');
  calls += 1;
  return { calls, requestId: context.awsRequestId, functionName: context.functionName, hasTimeLeft: context.getRemainingTimeInMillis() > 0, greeting: process.env.GREETING };
};`,
    'callback.js': 'exports.handler = (event, context, callback) => callback(null, "called back");',
    'node.js': 'exports.handler = async () => ({ execArgv: process.execArgv, preloaded: globalThis.preloaded === true, sourceMaps: process.sourceMapsEnabled });',
    'priority.js': 'exports.handler = async () => require("node:os").getPriority();',
    'initFails.js': 'throw new Error("GREETING is not set");',
    'effect.js': `exports.handler = async (event) => {
  if (event.waitMs) await new Promise((resolve) => setTimeout(resolve, event.waitMs));
  require('node:fs').writeFileSync(event.file, 'done');
  return 'done';
};`,
  };

  const definitionFor = (file: string, environment: Record<string, string> = {}): FunctionDefinition => ({
    logicalId: 'Echo',
    name: 'local-Echo',
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:local-Echo',
    built: { logicalId: 'Echo', codeDir: dir, handlerFile: join(dir, file), handlerExport: 'handler' },
    timeoutSeconds: 1,
    memorySize: 128,
    environment: { GREETING: 'hello', ...environment },
    events: {},
  });
  const pools: FunctionPool[] = [];
  const pool = (file: string, options: Partial<PoolOptions> = {}, environment: Record<string, string> = {}) => {
    const created = new FunctionPool(definitionFor(file, environment), { workerScript, log: () => undefined, maxConcurrency: 2, ...options });
    pools.push(created);
    return created;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pool-'));
    for (const [file, code] of Object.entries(handlers)) writeFileSync(join(dir, file), code);
    workerScript = await buildRuntimeModule(join(__dirname, '..', 'src', 'lambdaWorker.ts'), join(dir, 'lambdaWorker.js'));
  });

  afterAll(async () => {
    await Promise.all(pools.map((created) => created.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('invokes the handler with a Lambda context in the function’s own environment', async () => {
    await expect(pool('echo.js').invoke({}, 'request-1')).resolves.toEqual({ calls: 1, requestId: 'request-1', functionName: 'local-Echo', hasTimeLeft: true, greeting: 'hello' });
  });

  it('reuses a warm execution environment for the next invocation', async () => {
    const echo = pool('echo.js');
    await echo.invoke({});
    await expect(echo.invoke({})).resolves.toMatchObject({ calls: 2 });
    expect(echo.size).toBe(1);
  });

  it('runs concurrent invocations in separate environments, up to its limit', async () => {
    const echo = pool('echo.js');
    const results = (await Promise.all([echo.invoke({}), echo.invoke({}), echo.invoke({})])) as { calls: number }[];
    expect(echo.size).toBe(2);
    expect(results.map((result) => result.calls).sort()).toEqual([1, 1, 2]);
  });

  it('runs the function with the NODE_OPTIONS of its environment, as Lambda does', async () => {
    await expect(pool('node.js', {}, { NODE_OPTIONS: '--enable-source-maps' }).invoke({})).resolves.toMatchObject({ sourceMaps: true });
    await expect(pool('node.js').invoke({})).resolves.toMatchObject({ sourceMaps: false });
  });

  it('starts an execution environment as plain Node, whatever flags and preloads the runtime itself runs with', async () => {
    const runtime = await buildRuntimeModule(join(__dirname, '..', 'src', 'functions.ts'), join(dir, 'functions.js'));
    const preload = join(dir, 'preload.js');
    writeFileSync(preload, 'globalThis.preloaded = true;');
    const script = `
      const { FunctionPool } = require(${JSON.stringify(runtime)});
      const pool = new FunctionPool(${JSON.stringify(definitionFor('node.js'))}, { workerScript: ${JSON.stringify(workerScript)}, log: () => undefined });
      pool.invoke({}).then((result) => { console.log(JSON.stringify({ runtime: globalThis.preloaded === true, worker: result })); return pool.stop(); });`;
    const output = execFileSync(process.execPath, ['--require', preload, '--no-deprecation', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(output.trim())).toEqual({ runtime: true, worker: { execArgv: [], preloaded: false, sourceMaps: false } });
  });

  // Linux keeps a nice value per thread: the environment's thread is lowered, the runtime's is not.
  (process.platform === 'linux' ? it : it.skip)('runs an execution environment below the runtime’s CPU priority, so that the emulators are not starved', async () => {
    const runtimePriority = getPriority();
    await expect(pool('priority.js').invoke({})).resolves.toBe(Math.min(19, runtimePriority + 10));
    expect(getPriority()).toBe(runtimePriority);
  });

  it('supports callback-style handlers', async () => {
    await expect(pool('callback.js').invoke({})).resolves.toBe('called back');
  });

  it('reports the handler’s error with its type', async () => {
    const failure = pool('echo.js').invoke({ fail: true });
    await expect(failure).rejects.toBeInstanceOf(FunctionError);
    await expect(failure).rejects.toMatchObject({ errorType: 'TypeError', message: 'bad input' });
  });

  it('terminates an invocation that runs past the Timeout, and the next one starts afresh', async () => {
    const echo = pool('echo.js');
    await expect(echo.invoke({})).resolves.toMatchObject({ calls: 1 });
    await expect(echo.invoke({ hang: true })).rejects.toMatchObject({ errorType: 'Sandbox.Timedout', message: 'Task timed out after 1.00 seconds' });
    await expect(echo.invoke({})).resolves.toMatchObject({ calls: 1 });
  });

  it('fails the invocation when the module cannot initialise', async () => {
    await expect(pool('initFails.js').invoke({})).rejects.toMatchObject({ errorType: 'Error', message: 'GREETING is not set' });
  });

  it('refuses invocations once stopped', async () => {
    const echo = pool('echo.js');
    await echo.stop();
    await expect(echo.invoke({})).rejects.toThrow(/stopped/);
  });

  describe('with faults injected', () => {
    const withFaults = (file: string, ...rules: FaultRule[]) => {
      const injector = new FaultInjector({ seed: 1, rules });
      injector.arm();
      return pool(file, { faults: injector });
    };
    const effect = (name: string) => join(dir, `${name}-${Math.random().toString(36).slice(2)}`);

    it('throttles an invocation beyond the reserved concurrency at once, without running it', async () => {
      const capped = withFaults('effect.js', { function: 'Echo', kind: 'reserved-concurrency', concurrency: 1 });
      const [running, beyond] = [effect('running'), effect('beyond')];
      const first = capped.invoke({ file: running, waitMs: 300 });
      await expect(capped.invoke({ file: beyond })).rejects.toBeInstanceOf(InvocationThrottled);
      await expect(first).resolves.toBe('done');
      expect([existsSync(running), existsSync(beyond)]).toEqual([true, false]);
      await expect(capped.invoke({ file: effect('after') })).resolves.toBe('done');
    });

    it('fails every invocation of an outage as a function error, without running the handler', async () => {
      const down = withFaults('effect.js', { function: 'Echo', kind: 'outage' });
      const file = effect('outage');
      await expect(down.invoke({ file })).rejects.toMatchObject({ errorType: 'Runtime.ExitError' });
      expect(existsSync(file)).toBe(false);
    });

    it('lets an invocation run past its Timeout: its effects happen, its caller sees Sandbox.Timedout', async () => {
      const late = withFaults('effect.js', { function: 'Echo', kind: 'timeout', times: 1 });
      const file = effect('timeout');
      await expect(late.invoke({ file })).rejects.toMatchObject({ errorType: 'Sandbox.Timedout', message: 'Task timed out after 1.00 seconds' });
      expect(existsSync(file)).toBe(true);
      await expect(late.invoke({ file: effect('next') })).resolves.toBe('done');
    });

    it('leaves other functions alone', async () => {
      const other = withFaults('echo.js', { function: 'SomethingElse', kind: 'outage' });
      await expect(other.invoke({})).resolves.toMatchObject({ calls: 1 });
    });
  });

  describe('observed', () => {
    it('tells the observer of each invocation that ended, with its duration and, when it failed, Lambda’s error type', async () => {
      const records: InvocationRecord[] = [];
      const echo = pool('echo.js', { onInvocation: (record) => records.push(record) });
      await echo.invoke({});
      await echo.invoke({ fail: true }).catch(() => undefined);
      await echo.invoke({ hang: true }).catch(() => undefined);
      expect(records).toEqual([
        { functionLogicalId: 'Echo', durationMs: expect.any(Number) },
        { functionLogicalId: 'Echo', durationMs: expect.any(Number), errorType: 'TypeError' },
        { functionLogicalId: 'Echo', durationMs: expect.any(Number), errorType: 'Sandbox.Timedout' },
      ]);
    });

    it('counts an invocation that no environment could initialise as an error without a duration', async () => {
      const records: InvocationRecord[] = [];
      await pool('initFails.js', { onInvocation: (record) => records.push(record) })
        .invoke({})
        .catch(() => undefined);
      expect(records).toEqual([{ functionLogicalId: 'Echo', errorType: 'Error' }]);
    });

    it('counts the invocations a stop cut short, but not those still waiting for an environment', async () => {
      const records: InvocationRecord[] = [];
      const echo = pool('echo.js', { onInvocation: (record) => records.push(record) });
      await echo.warm();
      // Two environments at most: the third waits.
      const invocations = [echo.invoke({ hang: true }), echo.invoke({ hang: true }), echo.invoke({})].map((invocation) => invocation.catch(() => undefined));
      await echo.stop();
      await Promise.all(invocations);
      expect(records.map((record) => record.errorType)).toEqual(['Runtime.ExitError', 'Runtime.ExitError']);
    });
  });
});
