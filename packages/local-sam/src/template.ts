// Reads a SAM/CloudFormation template the way CloudFormation would for one stack, so the local
// runtime is wired from template.yaml itself rather than from a second list of resources.
//
// API (stable; the integration and e2e tests import it):
//
//   const template = loadTemplate('template.yaml', { MaxReceiveCount: '2' }, { stackName: 'my-app' });
//     Parses with yaml-cfn (so !Ref, !GetAtt, !Sub ... become Ref / Fn::GetAtt / Fn::Sub), applies
//     the parameters' defaults and the overrides (like `sam deploy --parameter-overrides`), checks
//     them against their constraints and the template's Rules, evaluates Conditions, drops
//     resources whose Condition is false and merges Globals into the AWS::Serverless::* resources
//     (SAM's rules: maps merge, lists append, scalars override).
//
//   ruleViolations(rules, parameters)     -> the assertions of a Rules section that the parameter
//     values break, with their AssertDescription (what loadTemplate refuses a template for).
//
//   template.resources[logicalId]  -> { logicalId, type, properties, metadata, dependsOn }, raw
//     (intrinsics unresolved): physical names only exist once something is provisioned.
//
//   const resolve = createResolver(template, physical);
//     physical maps logical ids to { type, ref, attributes }: what Ref and Fn::GetAtt return.
//     resolve(value) evaluates Ref, Fn::GetAtt, Fn::Sub (both forms), Fn::Join, Fn::Select,
//     Fn::Split, Fn::If, Fn::FindInMap, Fn::Base64, Condition, AWS::NoValue and the AWS::*
//     pseudo parameters, and inlines Fn::Transform AWS::Include (its Location relative to the
//     template). provision.ts builds `physical` from the emulators.
//
//   physicalName(template, resource)      -> the resource's name: its own name property if it
//     sets one (TableName, QueueName, ...), else `<stackName>-<LogicalId>`.
//   placeholderResource(template, resource) -> Ref/GetAtt values for resources that have no
//     emulator (functions, the API, IAM, alarms, ...), derived from the physical name.
//   resourceReferences(value)             -> logical ids a value refers to (dependency order).
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import { defaultStackName } from './stackName';

/** What the emulators report as the account of every ARN they make. */
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface TemplateResource {
  logicalId: string;
  type: string;
  /** Raw properties, Globals merged in for AWS::Serverless::* resources. */
  properties: Record<string, unknown>;
  metadata: Record<string, unknown>;
  dependsOn: string[];
}

export interface Template {
  /** Absolute path of the template; AWS::Include locations and CodeUri are relative to its folder. */
  path: string;
  dir: string;
  stackName: string;
  region: string;
  accountId: string;
  /** Effective parameter values (list types as arrays). */
  parameters: Record<string, string | string[]>;
  conditions: Record<string, boolean>;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
  /** Resources whose Condition holds, by logical id. */
  resources: Record<string, TemplateResource>;
  /** Every resource the template declares, its Condition true or not: logical id -> type. */
  declared: Record<string, string>;
  outputs: Record<string, { Value: unknown; Description?: string }>;
  /** The Rules section, raw. */
  rules: Record<string, unknown>;
}

export interface LoadOptions {
  stackName?: string;
  region?: string;
  accountId?: string;
  /**
   * CloudFormation refuses a parameter outside its AllowedValues/MinValue/MaxValue/pattern, and
   * parameters that break one of the template's Rules; so does this by default. Tests turn it off
   * to use limits that make retries fast (a 2 s visibility timeout instead of the template's minimum).
   */
  enforceParameterConstraints?: boolean;
}

/** What Ref and Fn::GetAtt return for one resource. */
export interface PhysicalResource {
  type: string;
  ref: string;
  attributes: Record<string, string>;
}

export type PhysicalResources = Record<string, PhysicalResource>;

export type Resolver = (value: unknown) => unknown;

type Json = Record<string, unknown>;

const PSEUDO_PARAMETERS = ['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName', 'AWS::StackId', 'AWS::NotificationARNs', 'AWS::NoValue'];

/** Marks a value that Ref AWS::NoValue removed; dropped from the enclosing object or list. */
const NO_VALUE = Symbol('AWS::NoValue');

export class TemplateError extends Error {}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An intrinsic function call: an object whose only key is Ref, Condition or Fn::*. */
function intrinsic(value: unknown): [string, unknown] | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [name] = keys as [string];
  return name === 'Ref' || name === 'Condition' || name.startsWith('Fn::') ? [name, value[name]] : undefined;
}

export function loadTemplate(path: string, overrides: Record<string, string> = {}, options: LoadOptions = {}): Template {
  const absolute = resolvePath(path);
  const document = yamlParse(readFileSync(absolute, 'utf8')) as unknown;
  if (!isObject(document) || !isObject(document.Resources)) throw new TemplateError(`${path} has no Resources section`);

  const enforce = options.enforceParameterConstraints ?? true;
  const template: Template = {
    path: absolute,
    dir: dirname(absolute),
    stackName: options.stackName ?? defaultStackName(path),
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
    parameters: effectiveParameters(isObject(document.Parameters) ? document.Parameters : {}, overrides, enforce),
    conditions: {},
    mappings: (isObject(document.Mappings) ? document.Mappings : {}) as Template['mappings'],
    resources: {},
    declared: {},
    outputs: (isObject(document.Outputs) ? document.Outputs : {}) as Template['outputs'],
    rules: isObject(document.Rules) ? document.Rules : {},
  };
  if (enforce) {
    const [broken, ...more] = ruleViolations(template.rules, template.parameters);
    if (broken) throw new TemplateError(`Template parameters break rule ${broken.rule}${more.length > 0 ? ` (and ${more.length} more)` : ''}: ${broken.description}`);
  }

  const conditionDefinitions = isObject(document.Conditions) ? document.Conditions : {};
  // Conditions may refer to each other; resolve them lazily through the resolver's own Condition support.
  const early = createResolver(template, {}, conditionDefinitions);
  for (const name of Object.keys(conditionDefinitions)) template.conditions[name] = Boolean(early({ Condition: name }));

  const globals = isObject(document.Globals) ? document.Globals : {};
  for (const [logicalId, definition] of Object.entries(document.Resources)) {
    if (!isObject(definition) || typeof definition.Type !== 'string') throw new TemplateError(`Resource ${logicalId} has no Type`);
    template.declared[logicalId] = definition.Type;
    if (typeof definition.Condition === 'string' && !template.conditions[definition.Condition]) continue;
    const own = isObject(definition.Properties) ? definition.Properties : {};
    const globalSection = definition.Type.startsWith('AWS::Serverless::') ? globals[definition.Type.slice('AWS::Serverless::'.length)] : undefined;
    template.resources[logicalId] = {
      logicalId,
      type: definition.Type,
      properties: isObject(globalSection) ? (mergeGlobals(globalSection, own) as Json) : own,
      metadata: isObject(definition.Metadata) ? definition.Metadata : {},
      dependsOn: definition.DependsOn === undefined ? [] : ([] as unknown[]).concat(definition.DependsOn).map(String),
    };
  }
  return template;
}

function effectiveParameters(declared: Json, overrides: Record<string, string>, enforce: boolean): Record<string, string | string[]> {
  const unknown = Object.keys(overrides).filter((name) => !(name in declared));
  if (unknown.length > 0) throw new TemplateError(`Unknown template parameter(s): ${unknown.join(', ')}; the template declares ${Object.keys(declared).join(', ')}`);
  const values: Record<string, string | string[]> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const definition = isObject(spec) ? spec : {};
    const raw = overrides[name] ?? (definition.Default === undefined ? undefined : String(definition.Default));
    if (raw === undefined) throw new TemplateError(`Template parameter ${name} has no Default; pass a value for it`);
    const type = String(definition.Type ?? 'String');
    if (enforce) checkConstraints(name, raw, type, definition);
    values[name] = type === 'CommaDelimitedList' || type.startsWith('List<') ? raw.split(',').map((part) => part.trim()) : raw;
  }
  return values;
}

function checkConstraints(name: string, value: string, type: string, definition: Json): void {
  const fail = (reason: string) => {
    throw new TemplateError(`Template parameter ${name}=${value} ${reason}`);
  };
  if (Array.isArray(definition.AllowedValues) && !definition.AllowedValues.map(String).includes(value)) {
    fail(`is not one of ${definition.AllowedValues.join(', ')}`);
  }
  if (typeof definition.AllowedPattern === 'string' && !new RegExp(`^(?:${definition.AllowedPattern})$`).test(value)) fail(`does not match ${definition.AllowedPattern}`);
  if (type === 'Number') {
    const number = Number(value);
    if (value.trim() === '' || Number.isNaN(number)) fail('is not a number');
    if (definition.MinValue !== undefined && number < Number(definition.MinValue)) fail(`is below its MinValue ${String(definition.MinValue)}`);
    if (definition.MaxValue !== undefined && number > Number(definition.MaxValue)) fail(`is above its MaxValue ${String(definition.MaxValue)}`);
  }
  if (definition.MinLength !== undefined && value.length < Number(definition.MinLength)) fail(`is shorter than ${String(definition.MinLength)}`);
  if (definition.MaxLength !== undefined && value.length > Number(definition.MaxLength)) fail(`is longer than ${String(definition.MaxLength)}`);
}

export interface RuleViolation {
  rule: string;
  description: string;
}

/**
 * The assertions of a Rules section that these parameter values break, as CloudFormation checks
 * them before it touches a resource: a rule whose RuleCondition is false does not apply. The rule
 * functions compare strings. Fn::RefAll, Fn::ValueOf and Fn::ValueOfAll ask the account about
 * AWS-specific parameter types, which the local runtime cannot: it refuses them.
 */
export function ruleViolations(rules: Record<string, unknown>, parameters: Record<string, string | string[]>): RuleViolation[] {
  const evaluate = (value: unknown): unknown => {
    const call = intrinsic(value);
    if (!call) return Array.isArray(value) ? value.map(evaluate) : value;
    const [name, argument] = call;
    const args = (): unknown[] => {
      if (!Array.isArray(argument)) throw new TemplateError(`${name} in Rules expects a list`);
      return argument.map(evaluate);
    };
    const strings = (list: unknown): string[] => {
      if (!Array.isArray(list)) throw new TemplateError(`${name} in Rules expects a list of strings`);
      return list.map(String);
    };
    switch (name) {
      case 'Ref': {
        const parameter = parameters[String(argument)];
        if (parameter === undefined) throw new TemplateError(`Rules refer to ${String(argument)}, which is not a parameter`);
        return parameter;
      }
      case 'Fn::Equals': {
        const [left, right] = args();
        return String(left) === String(right);
      }
      case 'Fn::Contains': {
        const [list, item] = args();
        return strings(list).includes(String(item));
      }
      case 'Fn::EachMemberEquals': {
        const [list, item] = args();
        return strings(list).every((member) => member === String(item));
      }
      case 'Fn::EachMemberIn': {
        const [members, allowed] = args();
        return strings(members).every((member) => strings(allowed).includes(member));
      }
      case 'Fn::And':
        return args().every(Boolean);
      case 'Fn::Or':
        return args().some(Boolean);
      case 'Fn::Not':
        return !args()[0];
      default:
        throw new TemplateError(`${name} in Rules is not supported locally`);
    }
  };
  const violations: RuleViolation[] = [];
  for (const [rule, definition] of Object.entries(rules)) {
    if (!isObject(definition)) throw new TemplateError(`Rule ${rule} is not an object`);
    if (definition.RuleCondition !== undefined && !evaluate(definition.RuleCondition)) continue;
    for (const assertion of Array.isArray(definition.Assertions) ? definition.Assertions : []) {
      if (!isObject(assertion)) throw new TemplateError(`Rule ${rule} has an assertion that is not an object`);
      if (!evaluate(assertion.Assert)) violations.push({ rule, description: String(assertion.AssertDescription ?? `rule ${rule} does not hold`) });
    }
  }
  return violations;
}

/** SAM's Globals rules: maps merge key by key, lists are the global entries then the resource's, anything else the resource wins. */
export function mergeGlobals(global: unknown, own: unknown): unknown {
  if (own === undefined) return global;
  // An intrinsic is an opaque value, never a map to merge into.
  if (isObject(global) && isObject(own) && !intrinsic(global) && !intrinsic(own)) {
    const merged: Json = { ...global };
    for (const [key, value] of Object.entries(own)) merged[key] = mergeGlobals(global[key], value);
    return merged;
  }
  if (Array.isArray(global) && Array.isArray(own)) return [...global, ...own];
  return own;
}

const NAME_PROPERTIES: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Serverless::SimpleTable': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Serverless::Function': 'FunctionName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
};

/** The resource's own name property when it sets one, else `<stack>-<LogicalId>` (plus `.fifo` where the type needs it). */
export function physicalName(template: Template, resource: TemplateResource, resolve: Resolver = createResolver(template, {})): string {
  const property = NAME_PROPERTIES[resource.type];
  const explicit = property ? resolve(resource.properties[property]) : undefined;
  if (typeof explicit === 'string' && explicit !== '') return explicit;
  const fifo = String(resolve(resource.properties.FifoQueue ?? resource.properties.FifoTopic)) === 'true';
  const name = `${template.stackName}-${resource.logicalId}`;
  // Lambda function names are limited to 64 characters; CloudFormation cuts the names it generates to fit.
  return fifo ? `${name}.fifo` : resource.type.endsWith('Function') ? name.slice(0, 64) : name;
}

/** Ref/GetAtt values for a resource that nothing emulates, so that templates referring to it still resolve. */
export function placeholderResource(template: Template, resource: TemplateResource): PhysicalResource {
  const name = physicalName(template, resource);
  const { region, accountId } = template;
  switch (resource.type) {
    case 'AWS::Serverless::Function':
    case 'AWS::Lambda::Function': {
      const arn = `arn:aws:lambda:${region}:${accountId}:function:${name}`;
      return { type: resource.type, ref: name, attributes: { Arn: arn } };
    }
    case 'AWS::Serverless::Api':
    case 'AWS::ApiGateway::RestApi':
      return { type: resource.type, ref: 'local', attributes: { RootResourceId: 'root' } };
    default: {
      const service = resource.type.split('::')[1]?.toLowerCase() ?? 'local';
      return { type: resource.type, ref: name, attributes: { Arn: `arn:aws:${service}:${region}:${accountId}:${name}` } };
    }
  }
}

/**
 * What the SAM transform adds and templates refer to: the implicit API (`ServerlessRestApi`, its
 * `ServerlessRestApiProdStage`), a function's implicit role (`<Fn>Role`), AutoPublishAlias's alias
 * and version (`<Fn>.Alias`, `<Fn>.Version`, `<Fn>Alias<Name>`) and an API's `<Api>.Stage`. Locally
 * a function has one version, so its alias and version name that function.
 */
/** A parameter's value where the template gives a Ref to one (the usual `!Ref Stage`), else the value as written. */
function plainValue(template: Template, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const ref = typeof value === 'object' && value !== null ? (value as { Ref?: unknown }).Ref : undefined;
  return typeof ref === 'string' && ref in template.parameters ? String(template.parameters[ref]) : String(value);
}

/** The name of the alias a function publishes (AutoPublishAlias), letters and digits only as SAM keeps it in logical ids. */
function aliasName(template: Template, fn: TemplateResource): string | undefined {
  return plainValue(template, fn.properties.AutoPublishAlias)?.replace(/[^A-Za-z0-9]/g, '');
}

const stageNameOf = (template: Template, api: TemplateResource): string => plainValue(template, api.properties.StageName) ?? 'Prod';

export function samGeneratedResource(template: Template, logicalId: string): PhysicalResource | undefined {
  const functionNamed = (id: string) => (template.resources[id]?.type === 'AWS::Serverless::Function' ? template.resources[id] : undefined);
  const { accountId } = template;
  if (/^ServerlessRestApi(ProdStage|Deployment\w*)?$/.test(logicalId) || /^ServerlessHttpApi/.test(logicalId)) {
    return { type: 'AWS::ApiGateway::RestApi', ref: logicalId.endsWith('ProdStage') ? 'Prod' : 'local', attributes: { RootResourceId: 'root' } };
  }
  const member = /^(\w+)\.(Alias|Version|Stage|Deployment)$/.exec(logicalId);
  const role = /^(\w+)Role$/.exec(logicalId);
  // <Function>Alias<name>: the function is the part before an `Alias` whose rest is that function's alias name.
  const aliasOf = (id: string) => {
    for (const match of id.matchAll(/Alias/g)) {
      const candidate = functionNamed(id.slice(0, match.index));
      if (candidate && aliasName(template, candidate) === id.slice(match.index + 5)) return candidate;
    }
    return undefined;
  };
  const alias = aliasOf(logicalId);
  const fn = functionNamed(member?.[1] ?? '') ?? functionNamed(role?.[1] ?? '') ?? alias;
  const api = template.resources[member?.[1] ?? ''] ?? Object.values(template.resources).find((resource) => resource.type === 'AWS::Serverless::Api' && logicalId.startsWith(resource.logicalId) && /^\w+(Stage|Deployment\w*)$/.test(logicalId.slice(resource.logicalId.length)));
  if (api?.type === 'AWS::Serverless::Api' && (member || !fn)) return { type: 'AWS::ApiGateway::Stage', ref: stageNameOf(template, api), attributes: {} };
  if (!fn) return undefined;
  const arn = placeholderResource(template, fn).attributes.Arn ?? '';
  if (role && fn === functionNamed(role[1] ?? '')) {
    const name = `${template.stackName}-${logicalId}`.slice(0, 64);
    return { type: 'AWS::IAM::Role', ref: name, attributes: { Arn: `arn:aws:iam::${accountId}:role/${name}`, RoleId: name } };
  }
  // Only a function that publishes (AutoPublishAlias) has an alias and versions, as SAM refuses otherwise.
  const published = fn.properties.AutoPublishAlias;
  if (published === undefined) return undefined;
  // Qualified as on AWS (`<function ARN>:live`, `:1`); the runtime finds the function by its unqualified ARN.
  const qualified = member?.[2] === 'Version' ? `${arn}:1` : `${arn}:${plainValue(template, published) ?? 'live'}`;
  const type = qualified.endsWith(':1') ? 'AWS::Lambda::Version' : 'AWS::Lambda::Alias';
  return { type, ref: qualified, attributes: { Arn: qualified, FunctionName: arn, Version: '1' } };
}

/** Logical ids that a value refers to through Ref, Fn::GetAtt or Fn::Sub (pseudo parameters and parameters excluded by the caller). */
export function resourceReferences(value: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    const call = intrinsic(node);
    if (call) {
      const [name, argument] = call;
      if (name === 'Ref' && typeof argument === 'string') found.add(argument);
      else if (name === 'Fn::GetAtt') {
        const target = Array.isArray(argument) ? argument[0] : typeof argument === 'string' ? argument.split('.')[0] : undefined;
        if (typeof target === 'string') found.add(target);
      } else if (name === 'Fn::Sub') {
        const [text, variables] = Array.isArray(argument) ? [argument[0], argument[1]] : [argument, undefined];
        if (typeof text === 'string') {
          for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const variable = match[1] ?? '';
            if (!(isObject(variables) && variable in variables)) found.add(variable.split('.')[0] ?? variable);
          }
        }
        visit(variables);
      } else visit(argument);
      return;
    }
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) Object.values(node).forEach(visit);
  };
  visit(value);
  for (const pseudo of PSEUDO_PARAMETERS) found.delete(pseudo);
  return found;
}

/**
 * Evaluates intrinsics against the parameters and the given physical resources. A reference to a
 * resource that is neither in `physical` nor in the template is an error, as in CloudFormation.
 */
export function createResolver(template: Template, physical: PhysicalResources, conditionDefinitions?: Json): Resolver {
  const pseudo: Record<string, unknown> = {
    'AWS::Region': template.region,
    'AWS::AccountId': template.accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': template.stackName,
    'AWS::StackId': `arn:aws:cloudformation:${template.region}:${template.accountId}:stack/${template.stackName}/local`,
    'AWS::NotificationARNs': [],
  };
  const resourceOf = (logicalId: string): PhysicalResource => {
    const known = physical[logicalId];
    if (known) return known;
    const declared = template.resources[logicalId];
    if (declared) return placeholderResource(template, declared);
    const generated = samGeneratedResource(template, logicalId);
    if (!generated) throw new TemplateError(`Unresolved reference to ${logicalId}: no such parameter or resource`);
    return generated;
  };
  const ref = (name: string): unknown => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in pseudo) return pseudo[name];
    if (name in template.parameters) return template.parameters[name];
    return resourceOf(name).ref;
  };
  const getAtt = (logicalId: string, attribute: string): string => {
    const published = attribute === 'Alias' || attribute === 'Version' ? samGeneratedResource(template, `${logicalId}.${attribute}`) : undefined;
    if (published) return published.ref;
    const resource = resourceOf(logicalId);
    // A nested application is not run locally (the startup summary says so): its outputs are placeholders.
    if (resource.type === 'AWS::Serverless::Application' && attribute.startsWith('Outputs.')) return `${logicalId}.${attribute}`;
    const value = resource.attributes[attribute];
    if (value === undefined) throw new TemplateError(`${logicalId} (${resource.type}) has no attribute ${attribute} locally`);
    return value;
  };
  const condition = (name: string): boolean => {
    if (name in template.conditions) return template.conditions[name] ?? false;
    const definition = conditionDefinitions?.[name];
    if (definition === undefined) throw new TemplateError(`Unknown condition ${name}`);
    return Boolean(resolve(definition));
  };

  const sub = (text: string, variables: Json): string =>
    text.replace(/\$\{([^}]*)\}/g, (whole, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (expression in variables) return String(resolve(variables[expression]));
      const dot = expression.indexOf('.');
      if (dot > 0 && !(expression in pseudo) && !(expression in template.parameters)) return getAtt(expression.slice(0, dot), expression.slice(dot + 1));
      const value = ref(expression);
      if (value === NO_VALUE) throw new TemplateError(`${whole} cannot be substituted`);
      return Array.isArray(value) ? value.join(',') : String(value);
    });

  const call = (name: string, argument: unknown): unknown => {
    const list = (): unknown[] => {
      if (!Array.isArray(argument)) throw new TemplateError(`${name} expects a list`);
      return argument;
    };
    switch (name) {
      case 'Ref':
        return ref(String(argument));
      case 'Condition':
        return condition(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument.map((part) => String(resolve(part))) : String(argument).split(/\.(.*)/s);
        return getAtt(logicalId ?? '', attribute ?? '');
      }
      case 'Fn::Sub': {
        if (typeof argument === 'string') return sub(argument, {});
        const [text, variables] = list();
        return sub(String(resolve(text)), isObject(variables) ? variables : {});
      }
      case 'Fn::Join': {
        const [separator, values] = list();
        const parts = resolve(values);
        if (!Array.isArray(parts)) throw new TemplateError('Fn::Join expects a list of values');
        return parts.map(String).join(String(separator));
      }
      case 'Fn::Select': {
        const [index, values] = list();
        const items = resolve(values);
        if (!Array.isArray(items)) throw new TemplateError('Fn::Select expects a list');
        return items[Number(resolve(index))];
      }
      case 'Fn::Split': {
        const [separator, text] = list();
        return String(resolve(text)).split(String(separator));
      }
      case 'Fn::Base64':
        return Buffer.from(String(resolve(argument))).toString('base64');
      case 'Fn::FindInMap': {
        const [map, top, second] = list().map((part) => String(resolve(part)));
        const value = template.mappings[map ?? '']?.[top ?? '']?.[second ?? ''];
        if (value === undefined) throw new TemplateError(`Fn::FindInMap: no ${map}.${top}.${second}`);
        return resolve(value);
      }
      case 'Fn::If': {
        const [conditionName, whenTrue, whenFalse] = list();
        return resolve(condition(String(conditionName)) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [left, right] = list().map(resolve);
        return JSON.stringify(left) === JSON.stringify(right) || String(left) === String(right);
      }
      case 'Fn::And':
        return list().every((item) => Boolean(resolve(item)));
      case 'Fn::Or':
        return list().some((item) => Boolean(resolve(item)));
      case 'Fn::Not':
        return !resolve(list()[0]);
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${template.region}${zone}`);
      case 'Fn::Transform':
        return resolve(transform(template, argument));
      default:
        throw new TemplateError(`${name} is not supported locally`);
    }
  };

  function resolve(value: unknown): unknown {
    const found = intrinsic(value);
    if (found) return call(...found);
    if (Array.isArray(value)) return value.map(resolve).filter((item) => item !== NO_VALUE);
    if (isObject(value)) {
      const result: Json = {};
      for (const [key, item] of Object.entries(value)) {
        const resolved = resolve(item);
        if (resolved !== NO_VALUE) result[key] = resolved;
      }
      return result;
    }
    return value;
  }

  return (value: unknown) => {
    const resolved = resolve(value);
    return resolved === NO_VALUE ? undefined : resolved;
  };
}

/** Fn::Transform: only AWS::Include has a local meaning (the file is inlined, its own intrinsics resolved later). */
function transform(template: Template, argument: unknown): unknown {
  if (!isObject(argument) || argument.Name !== 'AWS::Include') throw new TemplateError(`Fn::Transform ${JSON.stringify(isObject(argument) ? argument.Name : argument)} is not supported locally`);
  const location = isObject(argument.Parameters) ? argument.Parameters.Location : undefined;
  if (typeof location !== 'string' || /^s3:\/\//.test(location)) throw new TemplateError('AWS::Include needs a local Location');
  return yamlParse(readFileSync(resolvePath(template.dir, location), 'utf8')) as unknown;
}
