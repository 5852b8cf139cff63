// The local stack for `npm run bench`, in a process of its own so that the load generator does not
// share its event loop with the API and the pollers. Started by run.ts with the instrument
// preloaded (see instrument.ts); talks to it over the IPC channel:
//   -> { type: 'ready', ... }       once the API accepts connections
//   <- { type: 'drain' }            -> { type: 'drained', observed, logs }: counts since the last drain
//   <- { type: 'stop' }             stops the stack and exits
// Arguments: --function-concurrency N, --poller-concurrency N (the runtime's defaults otherwise).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, startLocalStack } from '../local/runtime';
import { BENCH_GLOBAL, type BenchInstrument, type Observed } from './observed';

export interface LogVolume {
  /** Log lines and bytes per function (what CloudWatch Logs would ingest), and the last error lines. */
  bySource: Record<string, { lines: number; bytes: number }>;
  errors: string[];
}

export interface HostReady {
  type: 'ready';
  url: string;
  dynamoEndpoint: string;
  messagingEndpoint: string;
  tables: Record<string, string>;
  /** AWS_LAMBDA_FUNCTION_NAME -> logical id. */
  functionIds: Record<string, string>;
  /**
   * How many invocations of each function can run at once here: its pool of execution
   * environments, and for a queue consumer no more than its pollers hand it batches.
   */
  slots: Record<string, number>;
}

export type HostMessage = HostReady | { type: 'drained'; observed: Observed; logs: LogVolume } | { type: 'failed'; message: string };
export type HostCommand = { type: 'drain' } | { type: 'stop' };

const send = (message: HostMessage) => process.send?.(message);

/** The last lines of any kind, for the report when the stack fails to start. */
const recent: string[] = [];

async function main(): Promise<void> {
  const instrument = (globalThis as Record<symbol, unknown>)[BENCH_GLOBAL] as BenchInstrument | undefined;
  if (!instrument) throw new Error('the stack host must run with bench/instrument preloaded (node --require)');

  const { values } = parseArgs({ options: { 'function-concurrency': { type: 'string' }, 'poller-concurrency': { type: 'string' } }, strict: true });
  const concurrency = {
    ...(values['function-concurrency'] ? { functionConcurrency: Number(values['function-concurrency']) } : {}),
    ...(values['poller-concurrency'] ? { pollerConcurrency: Number(values['poller-concurrency']) } : {}),
  };
  let logs: LogVolume = { bySource: {}, errors: [] };
  const local = await startLocalStack({
    ...concurrency,
    port: 0,
    // Its own bundles: `npm start` or the e2e tests may be rebuilding .local/build meanwhile.
    buildDir: join(PROJECT_ROOT, '.local', 'bench', 'build'),
    // The functions' lines are counted, not shown: the progress display owns the terminal.
    log: (source, line) => {
      recent.push(`[${source}] ${line.slice(0, 400)}`);
      if (recent.length > 30) recent.shift();
      const volume = (logs.bySource[source] ??= { lines: 0, bytes: 0 });
      volume.lines += 1;
      volume.bytes += Buffer.byteLength(line) + 1;
      if (/"level":"(ERROR|CRITICAL)"|\bERROR\b/.test(line) && logs.errors.length < 20) logs.errors.push(`[${source}] ${line.slice(0, 400)}`);
    },
  });
  // Start-up traffic (provisioning, warming) is not part of any measurement.
  instrument.drain();
  logs = { bySource: {}, errors: [] };

  send({
    type: 'ready',
    url: local.url,
    dynamoEndpoint: local.emulators.dynamoEndpoint,
    messagingEndpoint: local.emulators.messagingEndpoint,
    tables: Object.fromEntries(local.stack.tables.map((table) => [table.logicalId, table.name])),
    functionIds: Object.fromEntries(local.stack.functions.map((fn) => [fn.name, fn.logicalId])),
    slots: Object.fromEntries(
      local.functions.functions.map((pool) => {
        // The pool's size is not published; read it rather than assume the runtime's default.
        const environments = (pool as unknown as { maxConcurrency?: number }).maxConcurrency ?? Number.POSITIVE_INFINITY;
        const lanes = local.pollers.filter((poller) => poller.source.functionLogicalId === pool.definition.logicalId).reduce((total, poller) => total + poller.source.concurrency, 0);
        return [pool.definition.logicalId, lanes > 0 ? Math.min(environments, lanes) : environments];
      }),
    ),
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await local.stop();
    process.exit(code);
  };
  process.on('message', (command: HostCommand) => {
    if (command.type === 'drain') {
      send({ type: 'drained', observed: instrument.drain(), logs });
      logs = { bySource: {}, errors: [] };
    } else if (command.type === 'stop') void stop(0);
  });
  // The benchmark went away (crashed or interrupted): do not leave emulators behind.
  process.on('disconnect', () => void stop(1));
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: `${(error as Error).stack ?? String(error)}\n${recent.join('\n')}` });
  process.exit(1);
});
