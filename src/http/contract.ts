// The HTTP contract, read from swagger.yaml (bundled as text), and validators derived from it.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { load } from 'js-yaml';
import specText from '../../swagger.yaml';
import type { FieldError } from '../domain/orderRequest';

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

export const openApi = load(specText) as OpenApiDocument;

export interface OperationContract {
  operationId: string;
  validateBody?: (body: unknown) => FieldError[];
  parameters: { name: string; in: string; required: boolean; validate: (value: unknown) => FieldError[] }[];
}

const ajv = new Ajv({ allErrors: true, strict: false, multipleOfPrecision: 9 });
ajv.addSchema(openApi, 'openapi');

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
  const pointer = (...parts: string[]) => `openapi#/paths/${resource.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/${parts.join('/')}`;
  const bodySchema = operation.requestBody?.content['application/json'];
  return {
    operationId: operation.operationId,
    ...(bodySchema ? { validateBody: validatorFor(ajv.compile({ $ref: pointer('requestBody', 'content', 'application~1json', 'schema') }), '') } : {}),
    parameters: (operation.parameters ?? []).map(resolve).map((parameter) => ({
      name: parameter.name,
      in: parameter.in,
      required: parameter.required === true,
      validate: validatorFor(ajv.compile(withinDocument(parameter.schema)), parameter.name),
    })),
  };
}

/** A schema taken out of the document keeps its `#/components/...` references pointing into it. */
const withinDocument = (schema: object): object => JSON.parse(JSON.stringify(schema).replaceAll('"#/', '"openapi#/')) as object;

function validatorFor(validate: ValidateFunction, root: string) {
  return (value: unknown): FieldError[] => (validate(value) ? [] : (validate.errors ?? []).map((error) => fieldError(error, root)));
}

/** `/orders/0/items/1/qty` -> `orders[0].items[1].qty` */
export function toFieldPath(instancePath: string, root = ''): string {
  const parts = instancePath.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), root);
}

function fieldError(error: ErrorObject, root: string): FieldError {
  const path = toFieldPath(error.instancePath, root);
  const child = (name: string) => (path ? `${path}.${name}` : name);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: child(String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { path: child(String(params.additionalProperty)), message: 'is not a known field' };
    case 'multipleOf':
      return { path: path || '(body)', message: 'must have at most 2 decimal places' };
    case 'pattern':
      return { path: path || '(body)', message: 'may contain only letters, digits, - and _' };
    case 'type':
      return { path: path || '(body)', message: `must be ${params.type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(String(params.type)) ? 'n' : ''} ${String(params.type)}`}` };
    default:
      return { path: path || '(body)', message: error.message ?? 'is invalid' };
  }
}
