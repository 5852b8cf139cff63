// What of a template runs locally, said before anything starts. A template that cannot run at all
// (no function to run, a reference to nothing) is refused with one sentence naming the culprit;
// anything else the runtime cannot emulate (a resource type, an event type, a property) becomes a
// warning saying what it means locally. Nothing is skipped silently.
//
//   const warnings = checkTemplate(template);   // throws TemplateError when the template is unusable
import { notRunLocally } from './build';
import { createResolver, resourceReferences, samGeneratedResource, TemplateError, type Template, type TemplateResource } from './template';

/** Resource types the runtime creates in an emulator or plays itself. */
const EMULATED = new Set(['AWS::Serverless::Function', 'AWS::Serverless::Api', 'AWS::Serverless::SimpleTable', 'AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::SNS::Subscription']);

/** Resource types that are accepted and have no local effect, with what that means. */
const NO_LOCAL_EFFECT: [RegExp, string][] = [
  [/^AWS::IAM::/, 'IAM is not enforced locally: every function may call every local resource'],
  [/^AWS::Lambda::Permission$/, 'invocations are not authorised locally'],
  [/^AWS::(SQS::QueuePolicy|SNS::TopicPolicy)$/, 'resource policies are not enforced locally'],
  [/^AWS::Logs::/, "log groups are not created: the functions' logs go to this terminal"],
  [/^AWS::CloudWatch::/, 'no metrics, alarms or dashboards locally'],
  [/^AWS::KMS::/, 'nothing is encrypted locally'],
  [/^AWS::ApiGateway::(UsagePlan|UsagePlanKey|ApiKey)$/, 'read by --api-keys (a usage plan and one key made at startup), not created'],
  [/^AWS::ApiGateway::Account$/, 'no API Gateway account settings locally'],
  [/^AWS::Lambda::(Version|Alias)$/, 'a function has one local version, which every alias names'],
];

/** Function properties that change nothing locally, or that the runtime cannot honour, with what that means. */
const FUNCTION_PROPERTIES: Record<string, string> = {
  Layers: 'layers are not mounted: /opt is empty, so code must not need them',
  VpcConfig: 'no VPC locally: the function reaches everything the machine reaches',
  FileSystemConfigs: 'no EFS locally: the mount path does not exist',
  ReservedConcurrentExecutions: 'not applied: each function has a pool of execution environments of its own, at most 4',
  ProvisionedConcurrencyConfig: 'not applied: each function is warmed once at startup',
  DeadLetterQueue: 'not applied: an asynchronous invocation (schedule, SNS) that fails is logged, not sent there',
  EventInvokeConfig: 'not applied: asynchronous invocations are not routed to destinations',
  FunctionUrlConfig: 'no function URL locally: invoke it through the API or the Lambda Invoke API (--lambda-port)',
  SnapStart: 'not applied: environments start from scratch',
  AutoPublishAlias: 'accepted: the alias names the function\'s one local version',
  DeploymentPreference: 'accepted: there is one local version and no traffic shifting',
  EphemeralStorage: 'not applied: /tmp is the machine’s',
};

/** Event types that run locally; their properties that do not. */
const EVENT_TYPES: Record<string, Record<string, string>> = {
  Api: {
    RequestModel: 'the request model is not validated locally',
  },
  SQS: {
    FilterCriteria: 'not applied: every message reaches the function',
    MetricsConfig: 'no event source metrics locally',
  },
  SNS: {
    Region: 'the topic is this stack’s local one',
    RedrivePolicy: 'not applied: a delivery that keeps failing is dropped after Lambda’s three attempts',
  },
  Schedule: {
    DeadLetterConfig: 'not applied: a failed run is logged, not sent there',
    RetryPolicy: 'not applied: a failed run is not retried',
  },
  ScheduleV2: {
    DeadLetterConfig: 'not applied: a failed run is logged, not sent there',
    RetryPolicy: 'not applied: a failed run is not retried',
    FlexibleTimeWindow: 'not applied: runs start at the scheduled time',
    StartDate: 'not applied: the schedule runs from startup',
    EndDate: 'not applied: the schedule runs until the stack stops',
  },
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const nodeMajor = Number(process.versions.node.split('.')[0]);

/** Refuses an unusable template; returns the warnings for a usable one, one line each. */
export function checkTemplate(template: Template): string[] {
  checkReferences(template);
  const resolve = createResolver(template, {});
  const resources = Object.values(template.resources);
  const functions = resources.filter((resource) => resource.type === 'AWS::Serverless::Function');
  if (functions.length === 0) throw new TemplateError(`${template.path} has no AWS::Serverless::Function: there is nothing to run locally`);
  const blocked = functions.map((fn) => [fn.logicalId, notRunLocally(fn, resolve)] as const).filter(([, reason]) => reason);
  if (blocked.length === functions.length) throw new TemplateError(`None of the template's functions runs locally (${blocked.map(([id, reason]) => `${id}: ${reason}`).join('; ')})`);

  const warnings: string[] = [];
  const grouped = new Map<string, string[]>();
  const group = (meaning: string, logicalId: string) => grouped.set(meaning, [...(grouped.get(meaning) ?? []), logicalId]);
  for (const [logicalId, reason] of blocked) warnings.push(`${logicalId} is not run locally (${reason}): its events and routes do nothing`);

  for (const resource of resources) {
    if (EMULATED.has(resource.type)) continue;
    if (resource.type === 'AWS::Serverless::Application') {
      warnings.push(`${resource.logicalId} (AWS::Serverless::Application) is not run locally: the nested application's resources do not exist here, and references to its outputs get placeholder values`);
      continue;
    }
    const known = NO_LOCAL_EFFECT.find(([pattern]) => pattern.test(resource.type));
    if (known) group(`${resource.type}: ${known[1]}`, resource.logicalId);
    else if (resource.type === 'AWS::Lambda::Function') group('AWS::Lambda::Function is not run locally (only AWS::Serverless::Function is): nothing invokes it', resource.logicalId);
    else group(`${resource.type} has no local emulator: it is not created, and Ref/GetAtt give placeholder names`, resource.logicalId);
  }

  const policies = functions.filter((fn) => fn.properties.Policies !== undefined || fn.properties.Role !== undefined);
  for (const fn of policies) group('Policies and Role (policy templates, managed policies, statements) are accepted and not enforced: every function may call every local resource', fn.logicalId);

  for (const fn of functions) {
    if (blocked.some(([id]) => id === fn.logicalId)) continue;
    const runtime = String(resolve(fn.properties.Runtime));
    const major = Number(/^nodejs(\d+)/.exec(runtime)?.[1]);
    if (major !== nodeMajor) group(`Runtime ${runtime} runs on this machine's Node.js ${process.versions.node}`, fn.logicalId);
    const buildMethod = fn.metadata.BuildMethod;
    if (buildMethod !== undefined && buildMethod !== 'esbuild') group(`BuildMethod ${String(buildMethod)} is not run locally: the code runs from CodeUri as it is`, fn.logicalId);
    const architecture = String(([] as unknown[]).concat(resolve(fn.properties.Architectures) ?? [])[0] ?? 'x86_64');
    if ((architecture === 'arm64') !== (process.arch === 'arm64')) group(`Architectures ${architecture} runs on this machine's ${process.arch}`, fn.logicalId);
    for (const [property, meaning] of Object.entries(FUNCTION_PROPERTIES)) if (fn.properties[property] !== undefined) group(`${property}: ${meaning}`, fn.logicalId);
    warnings.push(...eventWarnings(fn, template));
  }
  const names = (ids: string[]) => (ids.length > 4 ? `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more` : ids.join(', '));
  for (const [meaning, ids] of grouped) warnings.push(`${meaning} (${names(ids)})`);
  return warnings;
}

function eventWarnings(fn: TemplateResource, template: Template): string[] {
  const warnings: string[] = [];
  const events = isObject(fn.properties.Events) ? fn.properties.Events : {};
  const apis = Object.values(template.resources).filter((resource) => resource.type === 'AWS::Serverless::Api');
  for (const [name, event] of Object.entries(events)) {
    if (!isObject(event)) continue;
    const type = String(event.Type);
    const properties = isObject(event.Properties) ? event.Properties : {};
    const unsupported = EVENT_TYPES[type];
    if (!unsupported) {
      warnings.push(`${fn.logicalId}.${name} (event type ${type}) is not emulated locally: nothing triggers it; invoke the function through the Lambda Invoke API (--lambda-port) instead`);
      continue;
    }
    for (const [property, meaning] of Object.entries(unsupported)) if (properties[property] !== undefined) warnings.push(`${fn.logicalId}.${name}: ${property} ${meaning}`);
    if (type === 'Api') {
      const restApi = (properties.RestApiId as { Ref?: unknown } | undefined)?.Ref;
      if (apis.length > 1 && restApi !== apis[0]?.logicalId) warnings.push(`${fn.logicalId}.${name}: only the first AWS::Serverless::Api (${apis[0]?.logicalId}) is served locally`);
      const auth = isObject(properties.Auth) ? properties.Auth : {};
      if (auth.Authorizer !== undefined && auth.Authorizer !== 'NONE' && auth.Authorizer !== 'AWS_IAM') warnings.push(`${fn.logicalId}.${name}: the authorizer ${JSON.stringify(auth.Authorizer)} is not run locally: every request is let through`);
    }
  }
  return warnings;
}

/** Every reference must name a parameter, a pseudo parameter, a resource of the template or one SAM generates. */
function checkReferences(template: Template): void {
  const exists = (id: string) => id in template.parameters || id in template.declared || samGeneratedResource(template, id) !== undefined;
  const check = (where: string, value: unknown) => {
    for (const id of resourceReferences(value)) {
      if (!exists(id)) throw new TemplateError(`${where} refers to ${id}, which is neither a parameter nor a resource of the template`);
    }
  };
  for (const resource of Object.values(template.resources)) {
    check(resource.logicalId, resource.properties);
    for (const dependency of resource.dependsOn) if (!(dependency in template.declared) && samGeneratedResource(template, dependency) === undefined) throw new TemplateError(`${resource.logicalId} depends on ${dependency}, which is not a resource of the template`);
  }
  for (const [name, output] of Object.entries(template.outputs)) check(`Output ${name}`, output);
}
