// Starts the whole local stack (`local-sam start`, through local-sam's spawnLocalStack) as a child
// process of its own, with the template parameters a guarantee needs, and gives the test what it
// needs to reach it: HTTP, the emulators' SDK clients, the Lambda Invoke API, the fault injector's
// counts. `kill()` ends it the hard way (SIGKILL to the whole process group, DynamoDB Local's JVM
// included); `stop()` the way Ctrl-C would.
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { spawnLocalStack, type FaultConfig, type FaultCounts, type LocalStackState, type SpawnedStack } from 'local-sam';

export type StackState = LocalStackState;

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
  /** Faults to inject, as a `--faults` file holds them (local-sam's README); windows count from the stack's start. */
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
    readonly spawned: SpawnedStack,
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
    const spawned = await spawnLocalStack({
      appDir: ROOT,
      workDir: join(GUARANTEES_DIR, options.name),
      lambdaPort: 0,
      ...(options.parameters ? { parameters: options.parameters } : {}),
      ...(options.relaxedParameters ? { relaxedParameters: true } : {}),
      ...(options.transactionConflicts ? { transactionConflicts: true } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.persistDir ? { persistDir: options.persistDir } : {}),
    });
    return new StackProcess(options, spawned);
  }

  get state(): StackState {
    return this.spawned.state;
  }

  get logFile(): string {
    return this.spawned.logFile;
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
    await this.spawned.stop();
  }

  /** A crash: SIGKILL to every process of the stack at once (node, the JVM, esbuild), no clean-up. */
  async kill(): Promise<void> {
    this.destroyClients();
    await this.spawned.kill();
  }

  private destroyClients(): void {
    if (!this.clientsCache) return;
    this.clientsCache.db.destroy();
    this.clientsCache.sqs.destroy();
    this.clientsCache.sns.destroy();
    this.clientsCache = undefined;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not part of the local stack`);
  return value;
}
