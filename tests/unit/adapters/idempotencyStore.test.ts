import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand, UpdateItemCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { idempotencyStore } from '../../../src/adapters/idempotencyStore';
import { lambdaContext } from '../../support/factories';

const client = mockClient(DynamoDBClient);
interface Request {
  key: string;
  body: string;
}
const config = () => new IdempotencyConfig({ eventKeyJmesPath: 'key', payloadValidationJmesPath: 'body' });
const conditionFailed = (item: PutItemCommandInput['Item'] | undefined) => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item ? { Item: item } : {}) });

beforeEach(() => {
  client.reset();
  client.on(UpdateItemCommand).resolves({});
});

describe('the idempotency store', () => {
  it('runs the function when saving its in-progress record took effect but the answer was lost and the SDK resent it', async () => {
    // The retry of the PutItem finds the very record the first try wrote.
    client.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
      throw conditionFailed(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? input.Item : undefined);
    });
    const place = makeIdempotent(async (request: Request, context: Context) => `placed ${request.body} by ${context.functionName}`, { persistenceStore: idempotencyStore(new DynamoDBClient({}), 'idempotency'), config: config() });
    await expect(place({ key: 'k', body: 'b' }, lambdaContext())).resolves.toBe('placed b by TestFunction');
  });

  it('still refuses a key while another invocation’s record is in progress, though everything else about it is the same', async () => {
    client.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
      const item = input.Item ?? {};
      // Another invocation of the same request, whose own deadline is a second later.
      throw conditionFailed({ ...item, in_progress_expiration: { N: String(Number(item.in_progress_expiration?.N) + 1000) } });
    });
    const place = makeIdempotent(async (request: Request, context: Context) => `placed ${request.body} by ${context.functionName}`, { persistenceStore: idempotencyStore(new DynamoDBClient({}), 'idempotency'), config: config() });
    await expect(place({ key: 'k', body: 'b' }, lambdaContext())).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
  });
});
