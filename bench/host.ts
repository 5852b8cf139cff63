// The benchmark's side of the stack host (stackHost.ts): starts it with the instrument preloaded,
// waits until it is ready, and asks it for counts.
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { HostCommand, HostMessage, HostReady, LogVolume } from './stackHost';
import type { Observed } from './observed';

export interface Host {
  ready: HostReady;
  /** Counts since the last drain; waits first for the workers' periodic flush to arrive. */
  drain(): Promise<{ observed: Observed; logs: LogVolume }>;
  stop(): Promise<void>;
}

const FLUSH_WAIT_MS = 700;

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
}

export async function launchHost(root: string, options: HostOptions = {}): Promise<Host> {
  // A preload is plain JavaScript: it runs before any loader hook, in every worker too.
  const preload = join(root, '.local', 'bench', 'instrument.cjs');
  await build({ entryPoints: [join(root, 'bench', 'instrument.ts')], outfile: preload, bundle: true, platform: 'node', format: 'cjs', target: 'node22', packages: 'external', logLevel: 'silent' });

  const args = [
    ...(options.functionConcurrency ? ['--function-concurrency', String(options.functionConcurrency)] : []),
    ...(options.pollerConcurrency ? ['--poller-concurrency', String(options.pollerConcurrency)] : []),
  ];
  const child: ChildProcess = fork(join(root, 'bench', 'stackHost.ts'), args, {
    cwd: root,
    execPath: process.execPath,
    execArgv: ['--require', preload, '--import', 'tsx', '--disable-warning=ExperimentalWarning'],
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
  return {
    ready,
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
