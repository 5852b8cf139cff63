// Starts the whole local stack (`npm start`) as a child process of its own, with the template
// parameters a guarantee needs, and gives the test what it needs to reach it: HTTP, the emulators'
// SDK clients, the Lambda Invoke API, the fault injector's counts. `kill()` ends it the hard way
// (SIGKILL to the whole process group, DynamoDB Local's JVM included); `stop()` the way Ctrl-C would.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { FaultConfig, FaultCounts } from '../../../local/faults';
import type { stateOf } from '../../../local/start';

export type StackState = ReturnType<typeof stateOf>;

export const ROOT = join(__dirname, '..', '..', '..');
export const GUARANTEES_DIR = join(ROOT, '.local', 'guarantees');

export interface StackOptions {
  /** Names the stack's folder under .local/guarantees (bundles, state file, log: each start begins a new log). */
  name: string;
  /** Template parameter overrides; template defaults otherwise. */
  parameters?: Record<string, string>;
  /** Accept values outside the template's constraints (e.g. a 1 s visibility timeout). */
  relaxedParameters?: boolean;
  /** Keep the emulators' data in this folder (`npm start -- --persist DIR`). */
  persistDir?: string;
  /** Have DynamoDB report transaction conflicts, as it does on AWS (`--transaction-conflicts`). */
  transactionConflicts?: boolean;
  /** Faults to inject, as a `--faults` file holds them (local/faults.ts); windows count from the stack's start. */
  faults?: FaultConfig;
}

export interface Clients {
  db: DynamoDBDocumentClient;
  sqs: SQSClient;
  sns: SNSClient;
}

export class StackProcess {
  private clientsCache: Clients | undefined;

  private constructor(
    readonly options: StackOptions,
    readonly child: ChildProcess,
    readonly state: StackState,
    readonly logFile: string,
  ) {}

  static async start(options: StackOptions): Promise<StackProcess> {
    try {
      return await StackProcess.startOnce(options);
    } catch (error) {
      // A machine busy enough to take over 10 s for a function's init phase (Lambda's limit, which
      // the runtime keeps) gets a second chance; any other failure is final.
      if (!/did not initialise within/.test((error as Error).message)) throw error;
      return StackProcess.startOnce(options);
    }
  }

  private static async startOnce(options: StackOptions): Promise<StackProcess> {
    const dir = join(GUARANTEES_DIR, options.name);
    mkdirSync(dir, { recursive: true });
    const stateFile = join(dir, 'stack.json');
    const logFile = join(dir, 'stack.log');
    rmSync(stateFile, { force: true });
    const log = openSync(logFile, 'w');
    const args = [require.resolve('tsx/cli'), '--disable-warning=ExperimentalWarning', join(ROOT, 'local', 'start.ts'), '--port', '0', '--lambda-port', '0'];
    for (const [name, value] of Object.entries(options.parameters ?? {})) args.push('--param', `${name}=${value}`);
    if (options.relaxedParameters) args.push('--relaxed-params');
    if (options.transactionConflicts) args.push('--transaction-conflicts');
    if (options.faults) {
      const faultFile = join(dir, 'faults.json');
      writeFileSync(faultFile, JSON.stringify(options.faults, null, 2));
      args.push('--faults', faultFile);
    }
    if (options.persistDir) args.push('--persist', options.persistDir);
    // --parent-pid: an interrupted test run must not leave the stack (and its JVM) behind.
    args.push('--state-file', stateFile, '--env-vars-file', join(dir, 'env.json'), '--build-dir', join(dir, 'build'), '--parent-pid', String(process.pid));
    // Its own process group, so that the whole stack can be stopped, or killed, at once.
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', log, log], detached: true, env: { ...process.env, FORCE_COLOR: '0' } });
    closeSync(log);

    const deadline = Date.now() + 180_000;
    while (!existsSync(stateFile)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        if (child.exitCode === null) killGroup(child);
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
        throw new Error(`The local stack ${options.name} did not start (see ${logFile}):\n${tail}`);
      }
      await sleep(100);
    }
    return new StackProcess(options, child, JSON.parse(readFileSync(stateFile, 'utf8')) as StackState, logFile);
  }

  get url(): string {
    return this.state.url;
  }

  get clients(): Clients {
    if (!this.clientsCache) {
      const env = this.state.sdkEnvironment;
      const config = {
        region: env.AWS_REGION,
        credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
      };
      this.clientsCache = {
        db: DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }), {
          marshallOptions: { removeUndefinedValues: true },
          // Amounts come back as their exact decimal text, as the functions read them.
          unmarshallOptions: { wrapNumbers: true },
        }),
        sqs: new SQSClient({ ...config, endpoint: env.AWS_ENDPOINT_URL_SQS }),
        sns: new SNSClient({ ...config, endpoint: env.AWS_ENDPOINT_URL_SNS }),
      };
    }
    return this.clientsCache;
  }

  table(logicalId: string): string {
    return must(this.state.tables[logicalId], logicalId).name;
  }

  queueUrl(logicalId: string): string {
    return must(this.state.queues[logicalId], logicalId).url;
  }

  /** The dead-letter queue of a work queue, from its redrive policy. */
  deadLetterQueueUrl(queueLogicalId: string): string {
    const { deadLetterTargetArn } = JSON.parse(must(this.state.queues[queueLogicalId], queueLogicalId).attributes.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string };
    return must(Object.values(this.state.queues).find((queue) => queue.arn === deadLetterTargetArn), `${queueLogicalId}'s dead-letter queue`).url;
  }

  /** Queues some function consumes (those with a redrive policy), by logical id. */
  get workQueues(): string[] {
    return Object.values(this.state.queues)
      .filter((queue) => queue.attributes.RedrivePolicy)
      .map((queue) => queue.logicalId);
  }

  topicArn(logicalId: string): string {
    return must(this.state.topics[logicalId], logicalId).arn;
  }

  /** Per fault rule, the calls (invocations) it matched and the faults it injected so far. */
  async faultCounts(): Promise<FaultCounts> {
    if (!this.state.faults) throw new Error(`The stack ${this.options.name} injects no faults`);
    const response = await fetch(this.state.faults.countsUrl);
    if (response.status !== 200) throw new Error(`${this.state.faults.countsUrl} answered ${response.status}`);
    return (await response.json()) as FaultCounts;
  }

  /** How many DynamoDB requests the stack's conflict emulation has refused so far. */
  async transactionConflicts(): Promise<number> {
    const { rules } = await this.faultCounts();
    return rules.filter(({ rule }) => rule.kind === 'transaction-conflict').reduce((sum, { injected }) => sum + injected, 0);
  }

  /** Invokes a function once through the local Lambda Invoke API; throws if it failed. */
  async invoke<T = unknown>(functionLogicalId: string, event: unknown = {}): Promise<T> {
    const response = await fetch(`${this.state.lambdaUrl}/2015-03-31/functions/${functionLogicalId}/invocations`, { method: 'POST', body: JSON.stringify(event) });
    const body = (await response.json()) as T;
    if (response.status !== 200 || response.headers.get('x-amz-function-error')) throw new Error(`${functionLogicalId} failed: ${JSON.stringify(body)}`);
    return body;
  }

  /** Ends the stack the way Ctrl-C would, and makes sure nothing it started outlives it. */
  async stop(): Promise<void> {
    this.destroyClients();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => killGroup(this.child), 20_000);
    await exited;
    clearTimeout(killer);
    await groupGone(this.child);
  }

  /** A crash: SIGKILL to every process of the stack at once (node, the JVM, esbuild), no clean-up. */
  async kill(): Promise<void> {
    this.destroyClients();
    killGroup(this.child);
    await groupGone(this.child);
  }

  private destroyClients(): void {
    if (!this.clientsCache) return;
    this.clientsCache.db.destroy();
    this.clientsCache.sqs.destroy();
    this.clientsCache.sns.destroy();
    this.clientsCache = undefined;
  }
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Waits until no process of the group runs any more (zombies, left for init to reap, do not count). */
async function groupGone(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (groupAlive(child.pid as number) && Date.now() < deadline) await sleep(50);
}

function groupAlive(pgid: number): boolean {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .some((pid) => {
      try {
        // "pid (comm) state ppid pgrp ..."; comm may contain spaces, so read after its closing parenthesis.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(pgrp) === pgid && state !== 'Z';
      } catch {
        return false;
      }
    });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not part of the local stack`);
  return value;
}
