import { BatchGetItemCommand, DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { PanelContext } from 'local-sam';
import { orderOverview, orderPanelView, ordersPanel } from '../../../local/ordersPanel';

const dynamoMock = mockClient(DynamoDBClient);
const db = new DynamoDBClient({ region: 'us-east-1' });

const key = (orderId: string, status: string, createdAt: string): Record<string, AttributeValue> => ({ orderId: { S: orderId }, status: { S: status }, createdAt: { S: createdAt } });
const stored = (orderId: string, status: string, createdAt: string): Record<string, AttributeValue> => ({
  ...key(orderId, status, createdAt),
  customerId: { S: 'aaa789' },
  totalAmount: { N: '187.78' },
  updatedAt: { S: createdAt },
  items: { L: [{ M: { productId: { S: '456' }, qty: { N: '2' } } }] },
  logs: { L: [{ S: 'Order received: 1 product, 2 units, total 187.78' }] },
});

beforeEach(() => dynamoMock.reset());
afterAll(() => db.destroy());

describe('orderOverview', () => {
  it('counts the orders of every scanned page by status and gives the latest ones in full, newest first', async () => {
    dynamoMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [key('o1', 'SHIPPED', '2026-12-01T10:00:00.000Z'), key('o2', 'PENDING', '2026-12-01T10:00:02.000Z')], LastEvaluatedKey: { orderId: { S: 'o2' } } })
      .resolvesOnce({ Items: [key('o3', 'SHIPPED', '2026-12-01T10:00:01.000Z')] });
    dynamoMock.on(BatchGetItemCommand).resolves({ Responses: { orders: [stored('o3', 'SHIPPED', '2026-12-01T10:00:01.000Z'), stored('o2', 'PENDING', '2026-12-01T10:00:02.000Z')] } });

    const overview = await orderOverview(db, 'orders', 2);
    expect(overview).toMatchObject({ total: 3, byStatus: { SHIPPED: 2, PENDING: 1 } });
    expect(overview.latest).toEqual([
      { orderId: 'o2', status: 'PENDING', customerId: 'aaa789', totalAmount: '187.78', createdAt: '2026-12-01T10:00:02.000Z', updatedAt: '2026-12-01T10:00:02.000Z', items: [{ productId: '456', qty: 2 }], logs: ['Order received: 1 product, 2 units, total 187.78'] },
      expect.objectContaining({ orderId: 'o3', status: 'SHIPPED' }),
    ]);
    expect(dynamoMock.commandCalls(ScanCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({ orderId: { S: 'o2' } });
    expect(dynamoMock.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems).toEqual({ orders: { Keys: [{ orderId: { S: 'o2' } }, { orderId: { S: 'o3' } }] } });
  });

  it('reads only keys, statuses and creation times in the scan', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [] });
    await orderOverview(db, 'orders');
    expect(dynamoMock.commandCalls(ScanCommand)[0]?.args[0].input).toMatchObject({ TableName: 'orders', ProjectionExpression: 'orderId, #status, createdAt' });
  });

  it('is empty for an empty table, without reading any order', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [] });
    await expect(orderOverview(db, 'orders')).resolves.toMatchObject({ total: 0, byStatus: {}, latest: [] });
    expect(dynamoMock.commandCalls(BatchGetItemCommand)).toHaveLength(0);
  });

  it('fails when the table cannot be read', async () => {
    dynamoMock.on(ScanCommand).rejects(new Error('ResourceNotFoundException'));
    await expect(orderOverview(db, 'orders')).rejects.toThrow('ResourceNotFoundException');
  });
});

describe('the Orders panel', () => {
  const line = (orderId: string, status: string) => ({
    orderId,
    status,
    customerId: 'aaa789',
    totalAmount: '20.00',
    createdAt: '2026-12-01T10:00:00.000Z',
    updatedAt: '2026-12-01T10:00:00.000Z',
    items: [{ productId: '456', qty: 2 }],
    logs: ['Order received'],
  });

  it('counts every status of the lifecycle in its order, with its colour, then any other status', () => {
    const view = orderPanelView({ total: 3, byStatus: { SHIPPED: 2, ODD: 1 }, latest: [line('o1', 'SHIPPED')], readMs: 1 });
    expect(view.summary).toBe('3 in the order table');
    expect(view.counts).toEqual([
      { label: 'PENDING', value: 0, tone: 'waiting' },
      { label: 'READY_TO_SHIP', value: 0, tone: 'progress' },
      { label: 'SHIPPED', value: 2, tone: 'good' },
      { label: 'REJECTED', value: 0, tone: 'bad' },
      { label: 'ODD', value: 1 },
    ]);
    expect(view.items).toEqual([{ id: 'o1', status: 'SHIPPED', tone: 'good', facts: expect.stringMatching(/^aaa789 · 20\.00 · 2× 456 · /), lines: ['Order received'] }]);
  });

  it('reads the table the OrderTableName output names, and says so when there is none', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [] });
    const stack = { outputs: { OrderTableName: 'app-OrderTable' }, tables: [{ logicalId: 'OrderTable', name: 'app-OrderTable', arn: 'arn' }] };
    const context = (outputs: Record<string, string>) => ({ dynamodb: db, stack: { ...stack, outputs } }) as unknown as PanelContext;
    await expect(ordersPanel.read(context(stack.outputs))).resolves.toMatchObject({ summary: '0 in the order table' });
    expect(dynamoMock.commandCalls(ScanCommand)[0]?.args[0].input.TableName).toBe('app-OrderTable');
    await expect(ordersPanel.read(context({}))).resolves.toEqual({ unavailable: 'the template has no OrderTableName output naming a table' });
  });
});
