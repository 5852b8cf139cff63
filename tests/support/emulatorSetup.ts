// Starts the emulators once for the integration project and hands their endpoints to the
// test workers through the environment (workers inherit it).
import { startEmulators, type Emulators } from 'local-sam';

declare global {
  var __EMULATORS__: Emulators | undefined;
}

export default async function setup(): Promise<void> {
  const emulators = await startEmulators();
  Object.assign(process.env, emulators.sdkEnvironment);
  globalThis.__EMULATORS__ = emulators;
}
