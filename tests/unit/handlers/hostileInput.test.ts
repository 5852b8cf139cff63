// Every hostile request, sent straight to the function behind its route, is refused with the
// contract's JSON error and touches no AWS service.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handler as accountUpdate } from '../../../src/handlers/accountUpdate';
import { handler as orderApi } from '../../../src/handlers/orderApi';
import { handler as stockUpdate } from '../../../src/handlers/stockUpdate';
import { apiEvent, lambdaContext } from '../../support/factories';
import { hostileRequests } from '../../support/hostileRequests';

const db = mockClient(DynamoDBDocumentClient);
const rawDb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
const handlerFor = (resource: string): Handler => (resource.startsWith('/account') ? accountUpdate : resource.startsWith('/stock') ? stockUpdate : orderApi);

beforeEach(() => {
  db.reset();
  rawDb.reset();
  sns.reset();
  // Reads of unknown ids find nothing; any write would show up in the call log below.
  db.resolves({});
});

describe.each(hostileRequests)('$name', (request) => {
  it(`is answered ${request.status} with a JSON error and changes nothing`, async () => {
    const event = apiEvent({ method: request.method, resource: request.resource, path: request.path, ...(request.pathParameters ? { pathParameters: request.pathParameters } : {}) });
    event.body = request.body ?? null;
    event.headers = { ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...request.headers };
    const response = await handlerFor(request.resource)(event, lambdaContext());
    expect(response.statusCode).toBe(request.status);
    const body = JSON.parse(response.body) as { message: unknown; errors?: { path: unknown; message: unknown }[] };
    expect(typeof body.message).toBe('string');
    for (const error of body.errors ?? []) expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
    expect(response.body).not.toMatch(/Exception|at \/|\.ts:|Table|arn:aws/);
    const writes = db.calls().filter((call) => !/Get/.test(call.args[0].constructor.name));
    expect(writes).toEqual([]);
    expect(sns.calls()).toEqual([]);
  });
});
