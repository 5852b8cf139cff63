// Tests against the emulators wait on real queues and a JVM-backed database.
jest.setTimeout(60_000);
