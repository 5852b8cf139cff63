// Starts the whole local stack once for the e2e project, as a user would (`npm start`, in a child
// process of its own), with short visibility timeouts so that dead-lettering takes seconds, and the
// Lambda Invoke API on, so that every port npm start can open is there to be checked. Tests that
// need a stack with other options start their own with startStack.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../../local/emulators';

declare global {
  var __E2E_STACK__: ChildProcess | undefined;
}

const root = join(__dirname, '..', '..', '..');
export const E2E_DIR = join(root, '.local', 'e2e');
/** Retries become visible again after 2 s and dead-letter on the 2nd failed receive. */
export const E2E_PARAMETERS = { QueueVisibilityTimeoutSeconds: '2', MaxReceiveCount: '2' };

export interface StartedStack {
  child: ChildProcess;
  stateFile: string;
  envVarsFile: string;
}

/** `npm start` with these options in E2E_DIR/<name> (its bundles, state file and log), once its state file says it is up. */
export async function startStack(name: string, options: string[]): Promise<StartedStack> {
  const dir = name === '' ? E2E_DIR : join(E2E_DIR, name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const stateFile = join(dir, `stack-${process.pid}.json`);
  const envVarsFile = join(dir, `env-${process.pid}.json`);
  const logFile = join(dir, 'stack.log');
  rmSync(stateFile, { force: true });
  const log = openSync(logFile, 'w');
  const args = [require.resolve('tsx/cli'), '--disable-warning=ExperimentalWarning', join(root, 'local', 'start.ts'), '--port', String(port), ...options];
  // --parent-pid: an interrupted test run must not leave the stack (and its JVM) behind.
  args.push('--state-file', stateFile, '--env-vars-file', envVarsFile, '--build-dir', join(dir, 'build'), '--parent-pid', String(process.pid));
  // Its own process group, so that stopping it can end the stack and everything it started.
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', log, log], detached: true, env: { ...process.env, FORCE_COLOR: '0' } });

  const deadline = Date.now() + 180_000;
  while (!existsSync(stateFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
      throw new Error(`The local stack did not start (see ${logFile}):\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, stateFile, envVarsFile };
}

/** Stops a stack the way Ctrl-C would, and makes sure nothing it started outlives the run. */
export async function stopStack(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
}

export default async function setup(): Promise<void> {
  const options = ['--lambda-port', '0', '--relaxed-params', ...Object.entries(E2E_PARAMETERS).flatMap(([name, value]) => ['--param', `${name}=${value}`])];
  const { child, stateFile, envVarsFile } = await startStack('', options);
  globalThis.__E2E_STACK__ = child;
  process.env.E2E_STATE_FILE = stateFile;
  process.env.E2E_ENV_VARS_FILE = envVarsFile;
}
