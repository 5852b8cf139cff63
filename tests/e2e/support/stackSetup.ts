// Starts the whole local stack once for the e2e project, as a user would (`npm start`, in a child
// process of its own), with short visibility timeouts so that dead-lettering takes seconds, and the
// Lambda Invoke API on, so that every port npm start can open is there to be checked.
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

export default async function setup(): Promise<void> {
  mkdirSync(E2E_DIR, { recursive: true });
  const port = await freePort();
  const stateFile = join(E2E_DIR, `stack-${process.pid}.json`);
  const envVarsFile = join(E2E_DIR, `env-${process.pid}.json`);
  const logFile = join(E2E_DIR, 'stack.log');
  rmSync(stateFile, { force: true });
  const log = openSync(logFile, 'w');
  const args = [require.resolve('tsx/cli'), '--disable-warning=ExperimentalWarning', join(root, 'local', 'start.ts'), '--port', String(port), '--lambda-port', '0', '--relaxed-params'];
  for (const [name, value] of Object.entries(E2E_PARAMETERS)) args.push('--param', `${name}=${value}`);
  // --parent-pid: an interrupted test run must not leave the stack (and its JVM) behind.
  args.push('--state-file', stateFile, '--env-vars-file', envVarsFile, '--build-dir', join(E2E_DIR, 'build'), '--parent-pid', String(process.pid));
  // Its own process group, so that teardown can end the stack and everything it started.
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', log, log], detached: true, env: { ...process.env, FORCE_COLOR: '0' } });
  globalThis.__E2E_STACK__ = child;

  const deadline = Date.now() + 180_000;
  while (!existsSync(stateFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
      throw new Error(`The local stack did not start (see ${logFile}):\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.env.E2E_STATE_FILE = stateFile;
  process.env.E2E_ENV_VARS_FILE = envVarsFile;
}
