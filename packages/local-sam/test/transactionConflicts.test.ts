import { conflictAnswer, conflictsOf, itemId, writesOf } from '../src/transactionConflicts';

const keyNames = async (table: string) => (table === 'orders' ? ['orderId'] : ['id']);
const stockUpdate = (productId: string) => ({ Update: { TableName: 'stock', Key: { productId: { S: productId } }, UpdateExpression: 'SET b = b - :one' } });

describe('which items a DynamoDB request writes', () => {
  it('lists every item of a transaction, by table and key, in request order', async () => {
    const write = await writesOf(
      'TransactWriteItems',
      { TransactItems: [stockUpdate('p1'), { Put: { TableName: 'orders', Item: { orderId: { S: 'o1' }, status: { S: 'NEW' } } } }, { ConditionCheck: { TableName: 'stock', Key: { productId: { S: 'p2' } } } }] },
      keyNames,
    );
    expect(write).toEqual({
      transaction: true,
      items: [itemId('stock', { productId: { S: 'p1' } }), itemId('orders', { orderId: { S: 'o1' } }), itemId('stock', { productId: { S: 'p2' } })],
    });
  });

  it('names a key the same whatever the order of its attributes', () => {
    expect(itemId('t', { a: { S: '1' }, b: { N: '2' } })).toBe(itemId('t', { b: { N: '2' }, a: { S: '1' } }));
  });

  it('treats PutItem, UpdateItem and DeleteItem as single-item writes, and leaves reads alone', async () => {
    expect(await writesOf('UpdateItem', { TableName: 'stock', Key: { productId: { S: 'p1' } } }, keyNames)).toEqual({ transaction: false, items: [itemId('stock', { productId: { S: 'p1' } })] });
    expect(await writesOf('PutItem', { TableName: 'orders', Item: { orderId: { S: 'o1' }, x: { S: 'y' } } }, keyNames)).toEqual({ transaction: false, items: [itemId('orders', { orderId: { S: 'o1' } })] });
    expect(await writesOf('GetItem', { TableName: 'stock', Key: { productId: { S: 'p1' } } }, keyNames)).toBeUndefined();
    expect(await writesOf('Query', { TableName: 'stock' }, keyNames)).toBeUndefined();
  });
});

describe('when DynamoDB reports a transaction conflict', () => {
  const transaction = (...items: string[]) => ({ transaction: true, items });
  const single = (item: string) => ({ transaction: false, items: [item] });

  it('cancels a transaction that includes an item another running transaction or single write holds', () => {
    expect([...conflictsOf(transaction('a', 'b', 'c'), [transaction('x', 'b')])]).toEqual([1]);
    expect([...conflictsOf(transaction('a', 'b'), [single('a')])]).toEqual([0]);
  });

  it('fails a single write of an item a running transaction includes', () => {
    expect(conflictsOf(single('b'), [transaction('a', 'b')]).size).toBe(1);
  });

  it('lets single writes of the same item, and writes of other items, run', () => {
    expect(conflictsOf(single('a'), [single('a')]).size).toBe(0);
    expect(conflictsOf(transaction('a'), [transaction('b'), single('c')]).size).toBe(0);
  });
});

describe('DynamoDB’s answer to a refused write', () => {
  it('cancels a transaction with TransactionConflict for the held items and None for the others', () => {
    expect(conflictAnswer({ transaction: true, items: ['a', 'b'] }, new Set([1]))).toEqual({
      statusCode: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
        CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
      },
    });
  });

  it('fails a single-item write with TransactionConflictException', () => {
    expect(conflictAnswer({ transaction: false, items: ['a'] }, new Set([0]))).toEqual({
      statusCode: 400,
      body: { __type: 'com.amazonaws.dynamodb.v20120810#TransactionConflictException', message: 'Transaction is ongoing for the item' },
    });
  });
});
