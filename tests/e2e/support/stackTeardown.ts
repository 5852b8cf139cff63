// Stops the e2e stack the way Ctrl-C would, and makes sure nothing it started outlives the run.
export default async function teardown(): Promise<void> {
  const child = globalThis.__E2E_STACK__;
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
}
