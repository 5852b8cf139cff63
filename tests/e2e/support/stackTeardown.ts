// Stops the e2e stack the way Ctrl-C would, and makes sure nothing it started outlives the run.
export default async function teardown(): Promise<void> {
  await globalThis.__E2E_STACK__?.stop();
}
