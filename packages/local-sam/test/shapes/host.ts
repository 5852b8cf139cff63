// Runs one fixture app's stack in a process of its own for a test file (fauxqs is an ES module,
// which Jest's module sandbox cannot import): started with the options the test sends, it
// reports what is running, relays every log line, and stops when told to or when the test goes.
import { startLocalStack, type LocalStack } from '../../src/runtime';
import type { SchedulerClock } from '../../src/scheduler';

export interface HostOptions {
  templatePath: string;
  stackName: string;
  parameters?: Record<string, string>;
  /** Run the schedules this many times faster than real time (60: a minute each second). */
  scheduleSpeed?: number;
}

/** What the test sees of the running stack. */
export function describeStack(local: LocalStack) {
  return {
    url: local.url,
    warnings: local.warnings,
    region: local.stack.template.region,
    emulators: { dynamoEndpoint: local.emulators.dynamoEndpoint, messagingEndpoint: local.emulators.messagingEndpoint },
    physical: Object.fromEntries(Object.entries(local.stack.physical).map(([id, resource]) => [id, { ref: resource.ref, attributes: resource.attributes }])),
    outputs: local.stack.outputs,
    queues: local.stack.queues,
    api: local.api ? { logicalId: local.api.logicalId, stage: local.api.stage } : undefined,
    functions: local.functions.functions.map((pool) => ({ logicalId: pool.definition.logicalId, codeDir: pool.definition.built.codeDir, handlerFile: pool.definition.built.handlerFile })),
    eventSources: local.pollers.map(({ source }) => ({ ...source, queue: source.queue.logicalId })),
    schedules: local.schedules.map(({ cron, ...schedule }) => ({ ...schedule, cron: cron?.expression })),
  };
}

export type StackDescription = ReturnType<typeof describeStack>;

export type HostMessage = { type: 'ready'; stack: StackDescription } | { type: 'log'; line: string } | { type: 'failed'; message: string };

/** A clock `speed` times faster than the real one, from now on. */
function fastClock(speed: number): SchedulerClock {
  const start = Date.now();
  return { now: () => start + (Date.now() - start) * speed, setTimeout: (run, ms) => setTimeout(run, ms / speed) };
}

async function main(): Promise<void> {
  const send = (message: HostMessage) => process.send?.(message);
  const options = JSON.parse(process.argv[2] ?? '{}') as HostOptions;
  let local: LocalStack;
  try {
    local = await startLocalStack({
      port: 0,
      templatePath: options.templatePath,
      stackName: options.stackName,
      parameters: options.parameters ?? {},
      log: (source, line) => send({ type: 'log', line: `[${source}] ${line}` }),
      ...(options.scheduleSpeed ? { scheduleClock: fastClock(options.scheduleSpeed) } : {}),
    });
  } catch (error) {
    send({ type: 'failed', message: (error as Error).message });
    process.exit(1);
  }
  const stop = () => void local.stop().finally(() => process.exit(0));
  process.on('message', (message) => message === 'stop' && stop());
  process.on('disconnect', stop);
  send({ type: 'ready', stack: describeStack(local) });
}

void main();
