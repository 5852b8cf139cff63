// The benchmark's side of the stack host (stackHost.ts): starts it with the instrument preloaded,
// waits until it is ready, and asks it for counts.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { HostCommand, HostMessage, HostReady, LogVolume } from './stackHost';
import type { Observed } from './observed';

/** CPU seconds used so far (Linux /proc; zeros elsewhere). */
export interface CpuSample {
  /** The host's main thread: the API, the SQS pollers, fauxqs (in process) and the log relay. */
  hostMainThread: number;
  /** The host's other threads: the Lambda workers, mostly (also V8's and libuv's helpers). */
  hostOtherThreads: number;
  /** What the host started: DynamoDB Local's JVM (and an idle esbuild service). */
  children: number;
}

export interface Host {
  ready: HostReady;
  cpu(): CpuSample;
  /** Counts since the last drain; waits first for the workers' periodic flush to arrive. */
  drain(): Promise<{ observed: Observed; logs: LogVolume }>;
  stop(): Promise<void>;
}

const FLUSH_WAIT_MS = 700;

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a /proc stat file, in seconds. */
function cpuSeconds(statFile: string): number {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

const commandLine = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
};

/** The processes a process started (DynamoDB Local's JVM, esbuild), from /proc; none where there is no /proc. */
function childrenOf(pid: number): { pid: number; command: string | undefined }[] {
  const children: { pid: number; command: string | undefined }[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return children;
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) children.push({ pid: Number(entry), command: commandLine(Number(entry)) });
    } catch {
      // It exited meanwhile.
    }
  }
  return children;
}

export interface HostOptions {
  functionConcurrency?: number;
  pollerConcurrency?: number;
  /** More Node flags for the host (and, inherited, its workers), e.g. --cpu-prof to see where its time goes. */
  nodeFlags?: string[];
}

export async function launchHost(root: string, options: HostOptions = {}): Promise<Host> {
  // Both plain JavaScript. The preload must run before any loader hook, in every worker too. The
  // host itself is bundled rather than run through tsx, because workers inherit the host's
  // execArgv: under tsx every Lambda worker would carry tsx's module hooks, which Lambda does not.
  const preload = join(root, '.local', 'bench', 'instrument.cjs');
  const hostScript = join(root, '.local', 'bench', 'stackHost.cjs');
  await Promise.all([
    build({ entryPoints: [join(root, 'bench', 'instrument.ts')], outfile: preload, bundle: true, platform: 'node', format: 'cjs', target: 'node22', packages: 'external', logLevel: 'silent' }),
    build({
      entryPoints: [join(root, 'bench', 'stackHost.ts')],
      outfile: hostScript,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      packages: 'external',
      sourcemap: 'inline',
      logLevel: 'silent',
      // The runtime finds its worker and the project from its own folder, local/.
      define: { __dirname: JSON.stringify(join(root, 'local')) },
    }),
  ]);

  const args = [
    ...(options.functionConcurrency ? ['--function-concurrency', String(options.functionConcurrency)] : []),
    ...(options.pollerConcurrency ? ['--poller-concurrency', String(options.pollerConcurrency)] : []),
  ];
  const child: ChildProcess = fork(hostScript, args, {
    cwd: root,
    execPath: process.execPath,
    execArgv: ['--require', preload, '--disable-warning=ExperimentalWarning', ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const next = (type: HostMessage['type'], timeoutMs: number) =>
    new Promise<HostMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stack host did not answer '${type}' within ${timeoutMs / 1000} s\n${output}`)), timeoutMs);
      const onMessage = (message: HostMessage) => {
        if (message.type !== type && message.type !== 'failed') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        if (message.type === 'failed') reject(new Error(`the stack host failed: ${message.message}\n${output}`));
        else resolve(message);
      };
      child.on('message', onMessage);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the stack host exited (code ${code})\n${output}`));
      });
    });
  const command = (message: HostCommand) => child.send(message);

  const ready = (await next('ready', 180_000)) as HostReady;
  const pid = child.pid ?? 0;
  return {
    ready,
    cpu() {
      const main = cpuSeconds(`/proc/${pid}/task/${pid}/stat`);
      return {
        hostMainThread: main,
        hostOtherThreads: cpuSeconds(`/proc/${pid}/stat`) - main,
        children: childrenOf(pid).reduce((total, entry) => total + cpuSeconds(`/proc/${entry.pid}/stat`), 0),
      };
    },
    async drain() {
      await new Promise((resolve) => setTimeout(resolve, FLUSH_WAIT_MS));
      const answer = next('drained', 30_000);
      command({ type: 'drain' });
      const message = (await answer) as Extract<HostMessage, { type: 'drained' }>;
      return { observed: message.observed, logs: message.logs };
    },
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      // Should the host have to be killed, what it started must not outlive it.
      const started = childrenOf(child.pid);
      command({ type: 'stop' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(killer);
      // Only if the same process is still there (a pid can be reused once its owner exits).
      for (const { pid, command } of started) {
        if (command === undefined || commandLine(pid) !== command) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
    },
  };
}
