import { conflictAnswer, conflictsOf, itemId, writesOf } from '../src/transactionConflicts';

const keyNames = async (table: string) => (table === 'tickets' ? ['ticketId'] : ['id']);
const seatUpdate = (deskId: string) => ({ Update: { TableName: 'seat', Key: { deskId: { S: deskId } }, UpdateExpression: 'SET b = b - :one' } });

describe('which items a DynamoDB request writes', () => {
  it('lists every item of a transaction, by table and key, in request ticket', async () => {
    const write = await writesOf(
      'TransactWriteItems',
      { TransactItems: [seatUpdate('p1'), { Put: { TableName: 'tickets', Item: { ticketId: { S: 'o1' }, status: { S: 'NEW' } } } }, { ConditionCheck: { TableName: 'seat', Key: { deskId: { S: 'p2' } } } }] },
      keyNames,
    );
    expect(write).toEqual({
      transaction: true,
      items: [itemId('seat', { deskId: { S: 'p1' } }), itemId('tickets', { ticketId: { S: 'o1' } }), itemId('seat', { deskId: { S: 'p2' } })],
    });
  });

  it('names a key the same whatever the ticket of its attributes', () => {
    expect(itemId('t', { a: { S: '1' }, b: { N: '2' } })).toBe(itemId('t', { b: { N: '2' }, a: { S: '1' } }));
  });

  it('treats PutItem, UpdateItem and DeleteItem as single-item writes, and leaves reads alone', async () => {
    expect(await writesOf('UpdateItem', { TableName: 'seat', Key: { deskId: { S: 'p1' } } }, keyNames)).toEqual({ transaction: false, items: [itemId('seat', { deskId: { S: 'p1' } })] });
    expect(await writesOf('PutItem', { TableName: 'tickets', Item: { ticketId: { S: 'o1' }, x: { S: 'y' } } }, keyNames)).toEqual({ transaction: false, items: [itemId('tickets', { ticketId: { S: 'o1' } })] });
    expect(await writesOf('GetItem', { TableName: 'seat', Key: { deskId: { S: 'p1' } } }, keyNames)).toBeUndefined();
    expect(await writesOf('Query', { TableName: 'seat' }, keyNames)).toBeUndefined();
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
