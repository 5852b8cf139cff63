// The local stack as the benchmark runs it: `npm start` itself, with the same entry point, process
// layout and flags a user gets, and the instrument (instrument.ts) preloaded through NODE_OPTIONS.
// The benchmark reaches it the way a test does, through local-sam's spawnLocalStack: the state file
// says when it is ready and where it listens, SIGINT to its process group (Ctrl-C) stops it, and
// --parent-pid stops it should the benchmark die. Counts come from the instrument's GET /drain.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { DYNAMODB_LOCAL_JVM_OPTIONS_ENV, LOCAL_SAM_BIN, spawnLocalStack } from 'local-sam';
import { splitStackCpu, type CpuSample, type ThreadCpu } from './cpu';
import { INSTRUMENT_FILE_ENV, INSTRUMENT_SCRIPT_ENV, type Drained } from './observed';

/** One process of `npm start`'s tree and its resident memory. */
export interface ProcessMemory {
  pid: number;
  /** npm, sh, the stack (node), DynamoDB Local (java), esbuild, or the command's name. */
  role: string;
  rssMb: number;
}

export interface StackReady {
  url: string;
  dynamoEndpoint: string;
  messagingEndpoint: string;
  /** Logical id -> table name. */
  tables: Record<string, string>;
  /** `npm start` as package.json defines it. */
  startScript: string;
}

export interface Stack {
  ready: StackReady;
  /** Seconds from spawning npm start to the stack's state file (emulators started, tables and queues made, functions built). */
  startSeconds: number;
  /** CPU seconds used so far, by who used them (Linux /proc; zeros elsewhere). */
  cpu(): CpuSample;
  /** Every process of npm start's tree (npm's own included), found from /proc by parent. */
  memory(): ProcessMemory[];
  /** Everything observed since the last drain; waits first for the workers' periodic flush. */
  drain(): Promise<Drained>;
  stop(): Promise<void>;
}

const FLUSH_WAIT_MS = 700;
const READY_TIMEOUT_MS = 180_000;

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of a /proc stat file after the command name. */
function statFields(file: string): string[] | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * The whole machine's CPU time from /proc/stat, in seconds: `busy` that every process ran (user,
 * nice, system, interrupts), `steal` that the hypervisor gave to other guests while this one waited.
 */
export function machineCpuSeconds(): { busy: number; steal: number } {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { busy: ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0)) / TICKS_PER_SECOND, steal: (steal ?? 0) / TICKS_PER_SECOND };
  } catch {
    return { busy: 0, steal: 0 };
  }
}

/** utime + stime of a /proc stat file, in seconds; with `reaped`, also those of the children it has waited for. */
export function cpuSeconds(statFile: string, reaped = false): number {
  const fields = statFields(statFile);
  if (!fields) return 0;
  const own = Number(fields[11]) + Number(fields[12]);
  return (reaped ? own + Number(fields[13]) + Number(fields[14]) : own) / TICKS_PER_SECOND;
}

const commandLine = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
};

/** The threads of a process, each one's name and CPU seconds; none where there is no /proc. */
function threadsOf(pid: number): ThreadCpu[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      return [{ tid: Number(tid), name, seconds: cpuSeconds(`/proc/${pid}/task/${tid}/stat`) }];
    } catch {
      return [];
    }
  });
}

/** Every process below `root`, from /proc; none where there is no /proc. */
export function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  for (const entry of entries) {
    const parent = statFields(`/proc/${entry}/stat`)?.[1];
    if (parent) parents.set(Number(entry), Number(parent));
  }
  const below = new Set<number>([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (below.has(parent) && !below.has(pid)) {
        below.add(pid);
        grew = true;
      }
    }
  }
  below.delete(root);
  return [...below];
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export const DYNAMODB_LOCAL_ROLE = 'DynamoDB Local (java)';

function roleOf(pid: number, stackPid: number): string {
  if (pid === stackPid) return 'stack (node)';
  const command = (commandLine(pid) ?? '').split('\0');
  // npm sets its process title to its own command line ("npm start --port 0 ..."), spaces and all.
  if (/^npm( |$)/.test(command[0] ?? '') || command.some((part) => /\bnpm-cli\.js$/.test(part))) return 'npm';
  const program = command[0]?.split('/').pop() ?? '';
  if (program === 'java' && command.some((part) => part.includes('DynamoDBLocal'))) return DYNAMODB_LOCAL_ROLE;
  if (program === 'esbuild') return 'esbuild';
  if (program === 'sh' || program === 'dash' || program === 'bash') return 'sh';
  return program || String(pid);
}

/**
 * The script `npm start` finally runs with node, and the node flags before it, from package.json:
 * `... && local-sam start` (the package's bin, no flags) or `... && node [flags] <script>`.
 */
export function startCommand(startScript: string, root: string): { script: string; flags: string[] } {
  const words = (startScript.split('&&').pop() ?? '').trim().split(/\s+/);
  if (words[0] === 'local-sam') return { script: realpathSync(LOCAL_SAM_BIN), flags: [] };
  const at = words.indexOf('node');
  const index = words.findIndex((word, i) => i > at && !word.startsWith('-'));
  if (at < 0 || index < 0) throw new Error(`package.json's start script does not end in "local-sam start" or "node <script>": ${startScript}`);
  return { script: resolve(root, words[index] as string), flags: words.slice(at + 1, index) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `instrument: false` runs npm start exactly as a user does, with nothing preloaded (drain() then
 * fails). `jvmOptions` go to DynamoDB Local after the runtime's own (none: its defaults alone).
 */
export async function launchStack(root: string, { instrument: instrumented = true, jvmOptions = [] as string[] } = {}): Promise<Stack> {
  const benchDir = join(root, '.local', 'bench');
  const instrument = join(benchDir, 'instrument.cjs');
  const instrumentFile = join(benchDir, `instrument-${process.pid}.json`);
  rmSync(instrumentFile, { force: true });
  if (instrumented) await build({
    entryPoints: [join(root, 'bench', 'instrument.ts')],
    outfile: instrument,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    logLevel: 'silent',
    // What the instrument borrows from local-sam must not load the AWS SDK into every worker: the
    // functions bring their own, and an unused import of it is dropped.
    plugins: [
      { name: 'sdk-without-side-effects', setup: (context) => context.onResolve({ filter: /^@aws-sdk\// }, ({ path }) => ({ path, external: true, sideEffects: false })) },
      // local-sam ships TypeScript sources, which plain Node cannot load: what the instrument uses of it is bundled in.
      { name: 'local-sam-bundled', setup: (context) => context.onResolve({ filter: /^local-sam(\/tools)?$/ }, ({ path }) => ({ path: require.resolve(path) })) },
    ],
  });

  const startScript = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const launched = performance.now();
  const spawned = await spawnLocalStack({
    appDir: root,
    workDir: benchDir,
    // npm start itself, as a user runs it (npm's process is part of the memory figures).
    command: ['npm', 'start', '--'],
    timeoutMs: READY_TIMEOUT_MS,
    env: {
      // Only the instrument, if any: whatever else this process was started with is not what `npm start` gets.
      NODE_OPTIONS: instrumented ? `--require ${JSON.stringify(instrument)}` : '',
      // The runtime's JVM options unless told otherwise, whatever this process was started with.
      [DYNAMODB_LOCAL_JVM_OPTIONS_ENV]: jvmOptions.join(' '),
      ...(instrumented ? { [INSTRUMENT_SCRIPT_ENV]: startCommand(startScript, root).script, [INSTRUMENT_FILE_ENV]: instrumentFile } : {}),
    },
  });
  const startSeconds = (performance.now() - launched) / 1000;
  const output = () => readFileSync(spawned.logFile, 'utf8').slice(-8000);
  const npmPid = spawned.child.pid ?? 0;
  for (const deadline = Date.now() + 10_000; instrumented && !existsSync(instrumentFile); await sleep(100)) {
    if (Date.now() > deadline) {
      await spawned.kill();
      throw new Error(`the instrument did not start\n${output()}`);
    }
  }
  const { state } = spawned;
  const instrumentUrl = instrumented ? (JSON.parse(readFileSync(instrumentFile, 'utf8')) as { url: string }).url : undefined;
  const stackPid = state.pid;

  return {
    ready: {
      url: state.url,
      dynamoEndpoint: state.endpoints.dynamodb,
      messagingEndpoint: state.endpoints.sqs,
      tables: Object.fromEntries(Object.entries(state.tables).map(([logicalId, table]) => [logicalId, table.name])),
      startScript,
    },
    startSeconds,
    cpu: () =>
      splitStackCpu(
        stackPid,
        cpuSeconds(`/proc/${stackPid}/stat`),
        threadsOf(stackPid),
        descendants(stackPid).map((pid) => ({ isDynamoDbLocal: roleOf(pid, stackPid) === DYNAMODB_LOCAL_ROLE, seconds: cpuSeconds(`/proc/${pid}/stat`) })),
      ),
    memory: () => [npmPid, ...descendants(npmPid)].map((pid) => ({ pid, role: roleOf(pid, stackPid), rssMb: rssMb(pid) })).filter((entry) => entry.rssMb > 0),
    async drain() {
      if (!instrumentUrl) throw new Error('this stack runs without the instrument');
      await sleep(FLUSH_WAIT_MS);
      const response = await fetch(`${instrumentUrl}/drain`);
      if (!response.ok) throw new Error(`the instrument answered ${response.status}\n${output()}`);
      return (await response.json()) as Drained;
    },
    async stop() {
      await spawned.stop();
      rmSync(instrumentFile, { force: true });
    },
  };
}
