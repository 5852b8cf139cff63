// Starts the whole local stack once for the e2e project, as a user would (`local-sam start`, in a
// child process of its own, through local-sam's spawnLocalStack), with short visibility timeouts so
// that dead-lettering takes seconds, and the Lambda Invoke API on, so that every port the stack can
// open is there to be checked. Tests that need a stack with other options start their own.
import { join } from 'node:path';
import { spawnLocalStack, type SpawnOptions, type SpawnedStack } from 'local-sam';

declare global {
  var __E2E_STACK__: SpawnedStack | undefined;
}

const root = join(__dirname, '..', '..', '..');
export const E2E_DIR = join(root, '.local', 'e2e');
/** Retries become visible again after 2 s and dead-letter on the 2nd failed receive. */
export const E2E_PARAMETERS = { QueueVisibilityTimeoutSeconds: '2', MaxReceiveCount: '2' };

/** The app's stack with these options in E2E_DIR/<name> (its bundles, state file and log), once it is up. */
export function startStack(name: string, options: Omit<SpawnOptions, 'workDir' | 'appDir'>): Promise<SpawnedStack> {
  return spawnLocalStack({ appDir: root, workDir: name === '' ? E2E_DIR : join(E2E_DIR, name), ...options });
}

export default async function setup(): Promise<void> {
  const stack = await startStack('', { lambdaPort: 0, relaxedParameters: true, parameters: E2E_PARAMETERS });
  globalThis.__E2E_STACK__ = stack;
  process.env.E2E_STATE_FILE = stack.stateFile;
  process.env.E2E_ENV_VARS_FILE = stack.envVarsFile;
}
