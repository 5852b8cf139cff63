// template.yaml and swagger.yaml as CloudFormation reads them (short-form intrinsics become
// Ref / Fn::GetAtt / Fn::Sub), with the queries the template specifications share.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { yamlParse } from 'yaml-cfn';

export type Json = Record<string, unknown>;

export interface Resource {
  Type: string;
  Properties?: Json;
  Metadata?: Json;
  Condition?: string;
  DependsOn?: string | string[];
}

interface Template {
  Parameters: Record<string, Json>;
  Rules?: Record<string, Json>;
  Conditions?: Json;
  Globals?: { Function?: Json; Api?: Json };
  Resources: Record<string, Resource>;
  Outputs: Record<string, Json>;
}

export interface Operation {
  operationId?: string;
  security?: Record<string, unknown[]>[];
  'x-amazon-apigateway-request-validator'?: string;
}

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, Json> };
  'x-amazon-apigateway-api-key-source'?: string;
  'x-amazon-apigateway-request-validator'?: string;
  'x-amazon-apigateway-request-validators'?: Record<string, { validateRequestBody: boolean; validateRequestParameters: boolean }>;
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export const ROOT = join(__dirname, '../..');
const read = (file: string): unknown => yamlParse(readFileSync(join(ROOT, file), 'utf8'));

export const template = read('template.yaml') as Template;
export const swagger = read('swagger.yaml') as OpenApi;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

// ------------------------------------------------------------------ the nested monitoring part

/** The application that nests monitoring.yaml: the alarms and the dashboard. */
export const MONITORING_STACK = 'MonitoringStack';

/** Every Fn::ForEach of AWS::LanguageExtensions expanded, as CloudFormation does before anything else. */
export function expandForEach(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(expandForEach);
  if (!isObject(node)) return node;
  const expanded: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (!key.startsWith('Fn::ForEach::')) {
      expanded[key] = expandForEach(value);
      continue;
    }
    const [identifier, collection, fragment] = value as [string, unknown, Json];
    if (!Array.isArray(collection) || collection.length === 0) throw new Error(`${key} loops over no literal list`);
    for (const item of collection.map(String)) {
      const put = (text: string) => text.replaceAll(`\${${identifier}}`, item).replaceAll(`&{${identifier}}`, item);
      const bind = (part: unknown): unknown => {
        if (typeof part === 'string') return put(part);
        if (Array.isArray(part)) return part.map(bind);
        if (!isObject(part)) return part;
        if (Object.keys(part).length === 1 && part.Ref === identifier) return item;
        return Object.fromEntries(Object.entries(part).map(([name, inner]) => [put(name), bind(inner)]));
      };
      Object.assign(expanded, expandForEach(bind(fragment)));
    }
  }
  return expanded;
}

/** A parent's value for a nested parameter, as it reads inside a Fn::Sub string. */
function asSubText(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (isObject(value) && typeof value.Ref === 'string') return `\${${value.Ref}}`;
  if (isObject(value) && Array.isArray(value['Fn::GetAtt'])) return `\${${(value['Fn::GetAtt'] as string[]).join('.')}}`;
  if (isObject(value) && typeof value['Fn::Sub'] === 'string') return value['Fn::Sub'];
  throw new Error(`cannot read ${JSON.stringify(value)} inside a Fn::Sub`);
}

/** A nested template's values with each of its parameters replaced by what the parent passes it. */
function inlineParameters(node: unknown, passed: Json): unknown {
  const inline = (part: unknown): unknown => inlineParameters(part, passed);
  if (Array.isArray(node)) return node.map(inline);
  if (!isObject(node)) return node;
  if (Object.keys(node).length === 1 && typeof node.Ref === 'string' && node.Ref in passed) return passed[node.Ref];
  if (Object.keys(node).length === 1 && 'Fn::Sub' in node) {
    const [text, variables = {}] = (Array.isArray(node['Fn::Sub']) ? node['Fn::Sub'] : [node['Fn::Sub']]) as [string, Json?];
    const replaced = text.replace(/\$\{([^!}][^}]*)\}/g, (whole, name: string) => (name in passed && !(name in variables) ? asSubText(passed[name]) : whole));
    return { 'Fn::Sub': Array.isArray(node['Fn::Sub']) ? [replaced, inline(variables)] : replaced };
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inline(value)]));
}

interface NestedTemplate {
  Transform?: string | string[];
  Parameters: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, Json>;
}

/** monitoring.yaml as its template text says it (Fn::ForEach unexpanded). */
export const monitoringSource = read('monitoring.yaml') as NestedTemplate;

/**
 * monitoring.yaml as CloudFormation creates it inside this stack: its loops expanded and every
 * parameter replaced by what template.yaml passes it, so that `Ref: BalanceCheckerQueue` reads as
 * the parent's `Fn::GetAtt: [BalanceCheckerQueue, QueueName]` and the checks below name the
 * parent's resources, as they did when the alarms lived in template.yaml.
 */
export const monitoring: NestedTemplate = (() => {
  const application = template.Resources[MONITORING_STACK];
  if (application?.Type !== 'AWS::Serverless::Application') throw new Error(`template.yaml has no ${MONITORING_STACK} application`);
  const passed = { ...((application.Properties?.Parameters ?? {}) as Json) };
  for (const [name, definition] of Object.entries(monitoringSource.Parameters)) if (!(name in passed) && definition.Default !== undefined) passed[name] = definition.Default;
  const expanded = expandForEach(monitoringSource) as NestedTemplate;
  return { ...expanded, Resources: inlineParameters(expanded.Resources, passed) as NestedTemplate['Resources'], Outputs: inlineParameters(expanded.Outputs, passed) as NestedTemplate['Outputs'] };
})();

/** A resource of template.yaml, or of the monitoring part nested in it. */
export const resource = (logicalId: string): Resource => {
  const found = template.Resources[logicalId] ?? monitoring.Resources[logicalId];
  if (!found) throw new Error(`template.yaml and monitoring.yaml have no resource ${logicalId}`);
  return found;
};

export const props = (logicalId: string): Json => resource(logicalId).Properties ?? {};

/** Resources of a type in template.yaml (or, given it, in the monitoring part). */
export const logicalIdsOfType = (type: string, source: { Resources: Record<string, Resource> } = template): string[] =>
  Object.entries(source.Resources)
    .filter(([, definition]) => definition.Type === type)
    .map(([logicalId]) => logicalId);

/** The alarms, all of them in the monitoring part. */
export const alarmIds = (): string[] => logicalIdsOfType('AWS::CloudWatch::Alarm', monitoring);

/** Logical ids a value refers to through Ref, Fn::GetAtt or Fn::Sub (parameters and pseudo parameters excluded). */
export function referencedResources(value: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    for (const [key, argument] of Object.entries(node)) {
      if (key === 'Ref' && typeof argument === 'string') found.add(argument.split('.')[0] ?? argument);
      else if (key === 'Fn::GetAtt') found.add(String(Array.isArray(argument) ? argument[0] : String(argument).split('.')[0]));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(argument) ? argument[0] : argument;
        for (const match of String(text).matchAll(/\$\{([^!}][^}.]*)[^}]*\}/g)) found.add(match[1] ?? '');
        if (Array.isArray(argument)) visit(argument[1]);
      } else visit(argument);
    }
  };
  visit(value);
  return new Set([...found].filter((id) => id in template.Resources));
}

/** The logical id a single Ref / Fn::GetAtt points at. */
export function target(value: unknown): string | undefined {
  const [only, ...more] = referencedResources(value);
  return more.length === 0 ? only : undefined;
}

export const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export const actionsOf = (statement: Statement): string[] => asList(statement.Action);

/** Every statement of an IAM role's inline policies. */
export function roleStatements(roleId: string): Statement[] {
  const policies = asList(props(roleId).Policies as { PolicyDocument: { Statement: Statement | Statement[] } }[] | undefined);
  return policies.flatMap((policy) => asList(policy.PolicyDocument.Statement));
}

// ------------------------------------------------------------------ functions

export const functionIds = (): string[] => logicalIdsOfType('AWS::Serverless::Function');

export const roleOf = (functionId: string): string | undefined => target(props(functionId).Role);

/** The function's environment: Globals' variables overridden by its own. */
export function environmentOf(functionId: string): Json {
  const global = (template.Globals?.Function?.Environment as { Variables?: Json } | undefined)?.Variables ?? {};
  const own = (props(functionId).Environment as { Variables?: Json } | undefined)?.Variables ?? {};
  return { ...global, ...own };
}

/** The entry file esbuild bundles for the function (its Metadata.BuildProperties.EntryPoints). */
export function entryPointOf(functionId: string): string {
  const build = resource(functionId).Metadata?.BuildProperties as { EntryPoints?: string[] } | undefined;
  const [entry] = build?.EntryPoints ?? [];
  if (!entry) throw new Error(`${functionId} names no esbuild entry point`);
  return entry;
}

/** The environment variables the function's code reads (requiredEnv('NAME') in its entry file). */
export function variablesReadBy(functionId: string): string[] {
  const source = readFileSync(join(ROOT, entryPointOf(functionId)), 'utf8');
  return [...source.matchAll(/requiredEnv\(\s*'([A-Z0-9_]+)'\s*\)/g)].map((match) => match[1] ?? '');
}

/** The resources the function's code is told about through the variables it reads: what it may touch. */
export function resourcesNamedFor(functionId: string): Set<string> {
  const environment = environmentOf(functionId);
  return new Set(variablesReadBy(functionId).flatMap((name) => [...referencedResources(environment[name])]));
}

/** The queue an SQS event source feeds the function from, if any. */
export function eventQueueOf(functionId: string): string | undefined {
  const events = Object.values((props(functionId).Events ?? {}) as Record<string, { Type: string; Properties: Json }>);
  const sqs = events.filter((event) => event.Type === 'SQS');
  if (sqs.length > 1) throw new Error(`${functionId} consumes more than one queue`);
  return sqs[0] ? target(sqs[0].Properties.Queue) : undefined;
}

/** Queues that an SQS event source consumes: the work queues. */
export const workQueueIds = (): string[] => functionIds().flatMap((id) => asList(eventQueueOf(id)));
