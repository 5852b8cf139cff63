// local-sam/tools: the building blocks under the runtime, for an app's own template tests and
// benchmarks: reading and resolving a template as the runtime does, provisioning it on emulators,
// and what the runtime derives from it (routes, function definitions, event sources, schedules,
// esbuild options), plus the fault injector and its AWS proxy on their own.
export {
  createResolver,
  loadTemplate,
  physicalName,
  placeholderResource,
  resourceReferences,
  ruleViolations,
  TemplateError,
  type PhysicalResources,
  type Resolver,
  type RuleViolation,
  type Template,
  type TemplateResource,
} from './template';
export { provision, type ProvisionedQueue, type ProvisionedStack, type ProvisionedTable, type ProvisionedTopic } from './provision';
export { integrationFunctionArn, routesFromDefinition, type ApiRoute } from './apiGateway';
export { localApi, type LocalApi } from './apiServer';
export { esbuildOptions, buildFunctions, type BuiltFunction } from './build';
export { functionDefinitions, type FunctionDefinition } from './functions';
export { sqsEventSources, type SqsEventSource } from './poller';
export { rateIntervalMs, scheduleSources, type ScheduleSource } from './scheduler';
export { samEnvVars, type SamEnvVars } from './samEnvVars';
export { FaultInjector } from './faults';
export { COUNTS_PATH, startAwsProxy, wireCallOf, type AwsProxy, type WireCall } from './awsProxy';
export { defaultStackName } from './stackName';
