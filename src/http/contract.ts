// The HTTP contract and validators derived from it. The contract is swagger.yaml's, compiled to
// JSON at build time (scripts/generateContract.ts), so that no cold start parses YAML.
import { Validator, type OutputUnit } from '@cfworker/json-schema';
import type { FieldError } from '../domain/orderRequest';
import generated from './contract.generated.json';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: object;
  $ref?: string;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: object }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { parameters: Record<string, Parameter>; schemas: Record<string, object> };
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

export const openApi = generated as unknown as OpenApiDocument;

export interface OperationContract {
  operationId: string;
  validateBody?: (body: unknown) => FieldError[];
  parameters: { name: string; in: string; required: boolean; validate: (value: unknown) => FieldError[] }[];
}

/** The id under which the whole document is known to the validator, so `#/components/...` refs resolve. */
const DOCUMENT_ID = 'https://order-capture.local/swagger.yaml';

const resolve = (parameter: Parameter): Parameter =>
  parameter.$ref ? (openApi.components.parameters[parameter.$ref.split('/').pop() ?? ''] as Parameter) : parameter;

/** The methods a path declares, upper case, e.g. ['POST']. */
export function allowedMethods(resource: string): string[] {
  const path = openApi.paths[resource];
  return path ? HTTP_METHODS.filter((method) => method in path).map((method) => method.toUpperCase()) : [];
}

const compiled = new Map<string, OperationContract | undefined>();

/** The contract of `METHOD resource` (resource as API Gateway names it: `/order/{orderId}`). */
export function operationContract(resource: string, method: string): OperationContract | undefined {
  const key = `${method.toUpperCase()} ${resource}`;
  if (!compiled.has(key)) compiled.set(key, compile(resource, method.toLowerCase()));
  return compiled.get(key);
}

function compile(resource: string, method: string): OperationContract | undefined {
  const operation = openApi.paths[resource]?.[method];
  if (!operation?.operationId) return undefined;
  const body = operation.requestBody?.content['application/json'];
  return {
    operationId: operation.operationId,
    ...(body ? { validateBody: validatorFor(body.schema, '') } : {}),
    parameters: (operation.parameters ?? []).map(resolve).map((parameter) => ({
      name: parameter.name,
      in: parameter.in,
      required: parameter.required === true,
      validate: validatorFor(parameter.schema, parameter.name),
    })),
  };
}

/** A validator for a schema taken from the document; its `#/components/...` refs point into the document. */
function validatorFor(schema: object, root: string) {
  const relocated = JSON.parse(JSON.stringify(schema).replaceAll('"#/', `"${DOCUMENT_ID}#/`)) as object;
  const validator = new Validator(relocated as never, '4', false);
  validator.addSchema(openApi as never, DOCUMENT_ID);
  return (value: unknown): FieldError[] => {
    const { valid, errors } = validator.validate(value);
    return valid ? [] : errors.flatMap((error) => fieldError(error, relocated, root));
  };
}

/** `#/orders/0/items/1/qty` -> `orders[0].items[1].qty` */
export function toFieldPath(instanceLocation: string, root = ''): string {
  const parts = instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean).map((part) => decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), root);
}

/** The value of the keyword that failed, found by walking its location through the document's refs. */
function keywordValue(schema: object, keywordLocation: string): unknown {
  let node: unknown = schema;
  for (const segment of keywordLocation.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    node = (node as Record<string, unknown> | undefined)?.[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
    const ref = segment === '$ref' && typeof node === 'string' ? node : undefined;
    if (ref) node = ref.split('#/')[1]?.split('/').reduce<unknown>((target, key) => (target as Record<string, unknown> | undefined)?.[key], openApi);
  }
  return node;
}

/** Patterns whose refusal is worth saying in words: customer and product ids. */
const PATTERN_RULES = new Map<unknown, string>([['^[A-Za-z0-9_-]+$', 'may contain only letters, digits, - and _']]);

const TYPE_NAMES: Record<string, string> = { integer: 'an integer', number: 'a number', string: 'a string', object: 'an object', array: 'an array', boolean: 'true or false' };

/** One contract-style error per failed leaf keyword; the wrappers ($ref, properties, items) add nothing. */
function fieldError(error: OutputUnit, schema: object, root: string): FieldError[] {
  const path = toFieldPath(error.instanceLocation, root);
  const at = (message: string): FieldError[] => [{ path: path || '(body)', message }];
  const limit = () => keywordValue(schema, error.keywordLocation);
  switch (error.keyword) {
    case 'required': {
      const property = /"([^"]+)"/.exec(error.error)?.[1] ?? '';
      return [{ path: path ? `${path}.${property}` : property, message: 'is required' }];
    }
    case 'false':
      return at('is not a known field');
    case 'type':
      return at(`must be ${TYPE_NAMES[String(limit())] ?? String(limit())}`);
    case 'minimum':
      return at(`must be >= ${String(limit())}`);
    case 'maximum':
      return at(`must be <= ${String(limit())}`);
    case 'multipleOf':
      return at('must have at most 2 decimal places');
    case 'minLength':
      return at(`must have at least ${String(limit())} character${limit() === 1 ? '' : 's'}`);
    case 'maxLength':
      return at(`must have at most ${String(limit())} characters`);
    case 'minItems':
      return at(`must have at least ${String(limit())} entr${limit() === 1 ? 'y' : 'ies'}`);
    case 'maxItems':
      return at(`must have at most ${String(limit())} entries`);
    case 'pattern':
      return at(PATTERN_RULES.get(limit()) ?? `must match ${String(limit())}`);
    case 'enum':
      return at(`must be one of ${(limit() as unknown[]).join(', ')}`);
    default:
      return [];
  }
}
