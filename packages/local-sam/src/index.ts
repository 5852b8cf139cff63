// local-sam's public API. The command line (`local-sam start`) is bin/local-sam.cjs; the README
// documents each of these.

// Running a stack: in this process, or in a child process as tests do.
export { startLocalStack, type LocalStack, type LocalStackOptions } from './runtime';
export { spawnLocalStack, startArguments, LOCAL_SAM_BIN, type SpawnOptions, type SpawnedStack } from './spawn';
export { stateOf, type LocalStackState, type StateFunction, type StateQueue, type StateTable, type StateTopic } from './state';

// What an app adds (local-sam.config.ts).
export { defineApp, type LocalSamApp } from './defineApp';
export type { ContractLookup, RequestContract } from './apiGateway';
export type { ConsolePanel, PanelContext, PanelCount, PanelItem, PanelTone, PanelView } from './console/panels';

// Faults on demand.
export { faultReport, formatRule, parseFaultConfig, readFaultSpec, THROTTLING_ERRORS, type FaultConfig, type FaultCounts, type FaultRule } from './faults';

// Where the emulators run and what an AWS SDK client needs to reach them.
export { DYNAMODB_LOCAL_JVM_OPTIONS_ENV, freePort, LOCAL_CREDENTIALS, LOCAL_REGION, startEmulators, type Emulators, type EmulatorOptions } from './emulators';
