// Starts `local-sam start` in a child process of its own, as a test suite or a benchmark does, and
// gives back the state file's contents once it appears (state.ts), and two ways to end it:
// stop() as Ctrl-C would, kill() as a crash (SIGKILL to the whole process group, DynamoDB Local's
// JVM included). The child stops by itself should the process that spawned it die (--parent-pid).
//
//   const stack = await spawnLocalStack({ workDir: '.local/e2e', parameters: { MaxReceiveCount: '2' } });
//   await fetch(`${stack.state.url}/notes`);
//   await stack.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { FaultConfig } from './faults';
import type { LocalStackState } from './state';

/** The `local-sam` command's script. */
export const LOCAL_SAM_BIN = join(__dirname, '..', 'bin', 'local-sam.cjs');

export interface SpawnOptions {
  /** Where the state file, the log, the env-vars file and the bundles go (created if missing). */
  workDir: string;
  /** The app's folder, the child's working directory (default: the current one). */
  appDir?: string;
  /** Default: template.yaml in appDir. */
  templatePath?: string;
  stackName?: string;
  /** The API's port (default 0: any free port). */
  port?: number;
  /** Also serve the Lambda Invoke API (0: any free port). */
  lambdaPort?: number;
  parameters?: Record<string, string>;
  relaxedParameters?: boolean;
  persistDir?: string;
  transactionConflicts?: boolean;
  /** A --faults spec: a config (written to workDir/faults.json), a file or the inline form. */
  faults?: FaultConfig | string;
  apiKeys?: boolean;
  seed?: boolean;
  /** More `local-sam start` options, as on the command line. */
  args?: string[];
  /** Run this instead of `node <LOCAL_SAM_BIN>` (e.g. ['npm', 'start', '--']); the start options follow it. */
  command?: string[];
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** The stack's output, appended to nothing: a new file at each start (default workDir/stack.log). */
  logFile?: string;
  /** How long to wait for the state file (default 180 s). */
  timeoutMs?: number;
}

export interface SpawnedStack {
  state: LocalStackState;
  child: ChildProcess;
  stateFile: string;
  envVarsFile: string;
  logFile: string;
  /** Ends the stack as Ctrl-C would, and makes sure nothing it started outlives it. */
  stop(): Promise<void>;
  /** A crash: SIGKILL to every process of the stack at once, no clean-up. */
  kill(): Promise<void>;
}

/** `local-sam start` options for these spawn options (the state, env-vars and build paths aside). */
export function startArguments(options: Omit<SpawnOptions, 'workDir'>, faultsFile?: string): string[] {
  const args = ['--port', String(options.port ?? 0)];
  if (options.templatePath) args.push('--template', resolvePath(options.templatePath));
  if (options.stackName) args.push('--stack-name', options.stackName);
  if (options.lambdaPort !== undefined) args.push('--lambda-port', String(options.lambdaPort));
  for (const [name, value] of Object.entries(options.parameters ?? {})) args.push('--param', `${name}=${value}`);
  if (options.relaxedParameters) args.push('--relaxed-params');
  if (options.persistDir) args.push('--persist', resolvePath(options.persistDir));
  if (options.transactionConflicts) args.push('--transaction-conflicts');
  if (options.faults !== undefined) args.push('--faults', typeof options.faults === 'string' ? options.faults : (faultsFile as string));
  if (options.apiKeys) args.push('--api-keys');
  if (options.seed) args.push('--seed');
  return [...args, ...(options.args ?? [])];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function spawnLocalStack(options: SpawnOptions): Promise<SpawnedStack> {
  const workDir = resolvePath(options.workDir);
  mkdirSync(workDir, { recursive: true });
  const stateFile = join(workDir, 'state.json');
  const envVarsFile = join(workDir, 'env.json');
  const logFile = options.logFile ?? join(workDir, 'stack.log');
  rmSync(stateFile, { force: true });
  let faultsFile: string | undefined;
  if (options.faults !== undefined && typeof options.faults !== 'string') {
    faultsFile = join(workDir, 'faults.json');
    writeFileSync(faultsFile, JSON.stringify(options.faults, null, 2));
  }
  const args = [...startArguments(options, faultsFile), '--state-file', stateFile, '--env-vars-file', envVarsFile, '--build-dir', join(workDir, 'build'), '--parent-pid', String(process.pid)];
  const [program, ...programArgs] = options.command ?? [process.execPath, LOCAL_SAM_BIN, 'start'];
  const log = openSync(logFile, 'w');
  // Its own process group, so that the whole stack can be stopped, or killed, at once.
  const child = spawn(program as string, [...programArgs, ...args], {
    cwd: options.appDir ?? process.cwd(),
    stdio: ['ignore', log, log],
    detached: true,
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
  });
  closeSync(log);

  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  while (!existsSync(stateFile)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) killGroup(child);
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      throw new Error(`The local stack did not start (see ${logFile}):\n${tail}`);
    }
    await sleep(100);
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalStackState;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const stackRuns = () => processRuns(state.pid);

  return {
    state,
    child,
    stateFile,
    envVarsFile,
    logFile,
    async stop() {
      if (exited() && !stackRuns()) return;
      // The stack itself takes SIGTERM; a command in front of it (npm) gets Ctrl-C's SIGINT, for its whole group.
      if (state.pid === child.pid) child.kill('SIGTERM');
      else signalGroup(child, 'SIGINT');
      for (const until = Date.now() + 20_000; (!exited() || stackRuns()) && Date.now() < until; ) await sleep(50);
      killGroup(child);
      await groupGone(child);
    },
    async kill() {
      killGroup(child);
      await groupGone(child);
    },
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // Already gone.
  }
}

const killGroup = (child: ChildProcess) => signalGroup(child, 'SIGKILL');

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
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
