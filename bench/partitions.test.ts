// Where counted DynamoDB writes land, by partition key, from requests shaped as the SDK sends them. Run: npm run test:bench
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Observation } from './awsRequests';
import { keySchemaOf, PartitionLog, updateClauses, type KeySchemas } from './partitions';

const schemas: KeySchemas = {
  orders: { partitionKey: 'orderId', indexes: { OpenOrders: 'sweepShard' } },
  stock: { partitionKey: 'productId', indexes: {} },
  accounts: { partitionKey: 'customerId', indexes: {} },
};

const write = (operation: string, input: Record<string, unknown>, output: Record<string, unknown> = {}, errorName?: string): Observation => ({
  service: 'DynamoDB',
  operation,
  input,
  output,
  latencyMs: 1,
  requestBytes: 100,
  ...(errorName ? { errorName } : {}),
});

const record = (...observations: Observation[]) => {
  const log = new PartitionLog();
  for (const observation of observations) log.record(observation, schemas);
  return log.drain();
};

describe('keySchemaOf', () => {
  it('reads the partition keys of a table and of its global secondary indexes from its CreateTable request', () => {
    const input = {
      TableName: 'orders',
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [{ IndexName: 'OpenOrders', KeySchema: [{ AttributeName: 'sweepShard', KeyType: 'HASH' }, { AttributeName: 'sweepAt', KeyType: 'RANGE' }] }],
    };
    assert.deepEqual(keySchemaOf(input), ['orders', schemas.orders]);
  });
});

describe('updateClauses', () => {
  it('tells the attributes an update sets to a value, computes, or removes', () => {
    const clauses = updateClauses(
      'SET #status = :ready, logs = list_append(logs, :line), #shard = :shard ADD version :one REMOVE sweepAt, #gone',
      { '#status': 'status', '#shard': 'sweepShard', '#gone': 'checks' },
      { ':ready': { S: 'READY' }, ':line': { L: [] } as never, ':shard': { S: '7' }, ':one': { N: '1' } },
    );
    assert.deepEqual([...clauses.set], [['status', 'READY'], ['logs', undefined], ['sweepShard', '7'], ['version', undefined]]);
    assert.deepEqual([...clauses.removed], ['sweepAt', 'checks']);
  });
});

describe('PartitionLog', () => {
  it('puts a new item on its partition key and its index entry on the index key the item carries', () => {
    const tally = record(
      write(
        'PutItem',
        { TableName: 'orders', Item: { orderId: { S: 'o1' }, sweepShard: { S: '7' }, sweepAt: { S: 't' } } },
        { ConsumedCapacity: { TableName: 'orders', CapacityUnits: 2, Table: { CapacityUnits: 1 }, GlobalSecondaryIndexes: { OpenOrders: { CapacityUnits: 1 } } } },
      ),
    );
    assert.deepEqual(tally, {
      orders: { attribute: 'orderId', units: { o1: 1 }, unnamedUnits: 0 },
      'orders/OpenOrders': { attribute: 'sweepShard', units: { '7': 1 }, unnamedUnits: 0 },
    });
  });

  it('counts an index write that removes the key as unnamed: the request does not say which partition it leaves', () => {
    const tally = record(
      write(
        'UpdateItem',
        { TableName: 'orders', Key: { orderId: { S: 'o1' } }, UpdateExpression: 'SET #s = :shipped REMOVE sweepShard, sweepAt', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':shipped': { S: 'SHIPPED' } } },
        { ConsumedCapacity: { TableName: 'orders', CapacityUnits: 2, Table: { CapacityUnits: 1 }, GlobalSecondaryIndexes: { OpenOrders: { CapacityUnits: 1 } } } },
      ),
    );
    assert.deepEqual(tally['orders/OpenOrders'], { attribute: 'sweepShard', units: {}, unnamedUnits: 1 });
  });

  it("bills each item of a transaction at least 2 WRU on its own key and splits an index's units among the items that change it", () => {
    const tally = record(
      write(
        'TransactWriteItems',
        {
          TransactItems: [
            { Update: { TableName: 'accounts', Key: { customerId: { S: 'c1' } }, UpdateExpression: 'SET balance = balance - :a', ExpressionAttributeValues: { ':a': { N: '1' } } } },
            { Update: { TableName: 'stock', Key: { productId: { S: 'p1' } }, UpdateExpression: 'SET balance = balance - :q', ExpressionAttributeValues: { ':q': { N: '1' } } } },
            { Update: { TableName: 'stock', Key: { productId: { S: 'p2' } }, UpdateExpression: 'SET balance = balance - :q', ExpressionAttributeValues: { ':q': { N: '1' } } } },
            { Update: { TableName: 'orders', Key: { orderId: { S: 'o1' } }, UpdateExpression: 'REMOVE sweepShard' } },
          ],
        },
        {
          ConsumedCapacity: [
            { TableName: 'accounts', CapacityUnits: 2, Table: { CapacityUnits: 2 } },
            { TableName: 'stock', CapacityUnits: 2, Table: { CapacityUnits: 2 } },
            { TableName: 'orders', CapacityUnits: 4, Table: { CapacityUnits: 2 }, GlobalSecondaryIndexes: { OpenOrders: { CapacityUnits: 2 } } },
          ],
        },
      ),
    );
    assert.deepEqual(tally.stock?.units, { p1: 2, p2: 2 });
    assert.deepEqual(tally.accounts?.units, { c1: 2 });
    assert.deepEqual(tally.orders?.units, { o1: 2 });
    assert.equal(tally['orders/OpenOrders']?.unnamedUnits, 2);
  });

  it('splits a batch write’s units among its items', () => {
    const tally = record(
      write(
        'BatchWriteItem',
        { RequestItems: { orders: [{ PutRequest: { Item: { orderId: { S: 'o1' }, sweepShard: { S: '1' } } } }, { PutRequest: { Item: { orderId: { S: 'o2' }, sweepShard: { S: '2' } } } }] } },
        { ConsumedCapacity: [{ TableName: 'orders', CapacityUnits: 4, Table: { CapacityUnits: 2 }, GlobalSecondaryIndexes: { OpenOrders: { CapacityUnits: 2 } } }] },
      ),
    );
    assert.deepEqual(tally.orders?.units, { o1: 1, o2: 1 });
    assert.deepEqual(tally['orders/OpenOrders']?.units, { '1': 1, '2': 1 });
  });

  it('charges a write whose condition failed 1 WRU on its key, and a throttled one nothing', () => {
    const update = { TableName: 'orders', Key: { orderId: { S: 'o1' } }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': { S: 'x' } } };
    const tally = record(write('UpdateItem', update, {}, 'ConditionalCheckFailedException'), write('UpdateItem', update, {}, 'ProvisionedThroughputExceededException'));
    assert.deepEqual(tally, { orders: { attribute: 'orderId', units: { o1: 1 }, unnamedUnits: 0 } });
  });

  it('ignores reads and tables it has no key schema for', () => {
    const tally = record(
      write('GetItem', { TableName: 'orders', Key: { orderId: { S: 'o1' } } }, { ConsumedCapacity: { TableName: 'orders', CapacityUnits: 1 } }),
      write('PutItem', { TableName: 'elsewhere', Item: { id: { S: '1' } } }, { ConsumedCapacity: { TableName: 'elsewhere', CapacityUnits: 1 } }),
    );
    assert.deepEqual(tally, {});
  });
});
