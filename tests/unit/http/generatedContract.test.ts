// The functions validate against src/http/contract.generated.json, compiled from swagger.yaml by
// scripts/generateContract.ts; the two must not drift apart.
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { contractOf, GENERATED_FILE, generatedContract, SWAGGER_FILE } from '../../../scripts/generateContract';
import { HTTP_METHODS, openApi, type OpenApiDocument } from '../../../src/http/contract';

const swaggerText = readFileSync(SWAGGER_FILE, 'utf8');

describe('the contract compiled from swagger.yaml', () => {
  it('is what scripts/generateContract.ts makes of swagger.yaml today', () => {
    if (readFileSync(GENERATED_FILE, 'utf8') !== generatedContract(swaggerText)) {
      throw new Error('src/http/contract.generated.json no longer matches swagger.yaml: run `npm run generate:contract` and commit the result.');
    }
  });

  it('keeps every operation of swagger.yaml with its parameters and JSON body schema', () => {
    const swagger = load(swaggerText) as OpenApiDocument;
    const operations = (document: OpenApiDocument) =>
      Object.entries(document.paths).flatMap(([resource, item]) =>
        HTTP_METHODS.filter((method) => item[method]).map((method) => ({
          route: `${method.toUpperCase()} ${resource}`,
          operationId: item[method]?.operationId,
          parameters: item[method]?.parameters,
          body: item[method]?.requestBody?.content['application/json']?.schema,
        })),
      );
    expect(operations(openApi)).toEqual(operations(swagger));
    expect(openApi.components).toEqual({ parameters: swagger.components.parameters, schemas: swagger.components.schemas });
  });

  it('leaves out what only API Gateway and readers need (integrations, responses, prose)', () => {
    const text = JSON.stringify(contractOf(load(swaggerText) as OpenApiDocument));
    expect(text).not.toMatch(/x-amazon-apigateway|"responses"|"summary"|"tags"/);
  });
});
