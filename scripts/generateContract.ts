// Compiles what the functions validate requests against out of swagger.yaml, into
// src/http/contract.generated.json, so that no function parses YAML at cold start (js-yaml and
// the YAML text were a quarter of the API functions' bundles and most of their init):
//
//   npm run generate:contract
//
// tests/unit/http/generatedContract.test.ts fails while the committed file differs from what this
// writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { HTTP_METHODS, type OpenApiDocument } from '../src/http/contract';

export const SWAGGER_FILE = join(__dirname, '..', 'swagger.yaml');
export const GENERATED_FILE = join(__dirname, '..', 'src', 'http', 'contract.generated.json');

type Operation = OpenApiDocument['paths'][string][string];

/** Each operation's id, parameters and JSON body, and the components they refer to; gateway extensions, responses and prose stay behind. */
export function contractOf(document: OpenApiDocument): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const [resource, item] of Object.entries(document.paths)) {
    const operations: Record<string, Operation> = {};
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const body = operation.requestBody?.content['application/json'];
      operations[method] = {
        ...(operation.operationId ? { operationId: operation.operationId } : {}),
        ...(operation.parameters ? { parameters: operation.parameters } : {}),
        ...(body ? { requestBody: { ...(operation.requestBody?.required !== undefined ? { required: operation.requestBody.required } : {}), content: { 'application/json': { schema: body.schema } } } } : {}),
      };
    }
    paths[resource] = operations;
  }
  return { paths, components: { parameters: document.components.parameters, schemas: document.components.schemas } };
}

/** The generated file's text for a swagger.yaml text. */
export const generatedContract = (swaggerText: string): string => `${JSON.stringify(contractOf(load(swaggerText) as OpenApiDocument), null, 2)}\n`;

if (require.main === module) {
  writeFileSync(GENERATED_FILE, generatedContract(readFileSync(SWAGGER_FILE, 'utf8')));
  process.stdout.write(`Wrote ${GENERATED_FILE}\n`);
}
