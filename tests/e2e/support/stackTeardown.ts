// Stops the e2e stack the way Ctrl-C would, and makes sure nothing it started outlives the run.
import { stopStack } from './stackSetup';

export default async function teardown(): Promise<void> {
  await stopStack(globalThis.__E2E_STACK__);
}
