import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { conflictsOf, itemId, startConflictProxy, writesOf } from '../../../local/transactionConflicts';

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

describe('the conflict proxy in front of DynamoDB Local', () => {
  let upstream: Server;
  let release: () => void = () => undefined;
  const seen: string[] = [];

  beforeAll(async () => {
    // A stand-in for DynamoDB Local that holds each TransactWriteItems until released.
    upstream = createServer((request, response) => {
      const target = String(request.headers['x-amz-target']);
      seen.push(target);
      const answer = () => response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' }).end('{}');
      if (target.endsWith('TransactWriteItems')) release = answer;
      else answer();
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

  it('answers a colliding request with DynamoDB’s own errors and passes everything else through', async () => {
    const proxy = await startConflictProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
    const send = (operation: string, body: object) =>
      fetch(proxy.endpoint, { method: 'POST', headers: { 'x-amz-target': `DynamoDB_20120810.${operation}`, 'Content-Type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });
    try {
      const first = send('TransactWriteItems', { TransactItems: [stockUpdate('p1'), stockUpdate('p2')] });
      while (!seen.includes('DynamoDB_20120810.TransactWriteItems')) await new Promise((resolve) => setTimeout(resolve, 5));

      const second = await send('TransactWriteItems', { TransactItems: [stockUpdate('p3'), stockUpdate('p2')] });
      expect(second.status).toBe(400);
      expect(await second.json()).toEqual({
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
        CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
      });
      const update = await send('UpdateItem', { TableName: 'stock', Key: { productId: { S: 'p1' } } });
      expect(await update.json()).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#TransactionConflictException', message: 'Transaction is ongoing for the item' });
      expect((await send('GetItem', { TableName: 'stock', Key: { productId: { S: 'p1' } } })).status).toBe(200);
      expect(proxy.conflicts).toBe(2);

      release();
      expect((await first).status).toBe(200);
      expect((await send('UpdateItem', { TableName: 'stock', Key: { productId: { S: 'p1' } } })).status).toBe(200);
      expect(seen.filter((target) => target.endsWith('TransactWriteItems'))).toHaveLength(1);
    } finally {
      await proxy.stop();
    }
  });
});
