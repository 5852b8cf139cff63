// The console's Orders panel (local-sam's ConsolePanel): how many orders are in each status and
// the latest ones with their logs, read from the order table through the DynamoDB emulator's own
// endpoint. The table is the one the template's OrderTableName output names.
import { BatchGetItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ConsolePanel, PanelTone, PanelView } from 'local-sam';

export interface OrderLine {
  orderId: string;
  status: string;
  customerId: string;
  /** Exactly as stored (a decimal). */
  totalAmount: string;
  createdAt: string;
  updatedAt: string;
  items: { productId: string; qty: number }[];
  logs: string[];
}

export interface OrderOverview {
  total: number;
  byStatus: Record<string, number>;
  latest: OrderLine[];
  /** How long reading them took; the console reads less often when it takes long. */
  readMs: number;
}

type Item = Record<string, AttributeValue>;
const text = (value: AttributeValue | undefined): string => value?.S ?? value?.N ?? '';

function orderLine(item: Item): OrderLine {
  return {
    orderId: text(item.orderId),
    status: text(item.status),
    customerId: text(item.customerId),
    totalAmount: text(item.totalAmount),
    createdAt: text(item.createdAt),
    updatedAt: text(item.updatedAt),
    items: (item.items?.L ?? []).map((line) => ({ productId: text(line.M?.productId), qty: Number(text(line.M?.qty)) })),
    logs: (item.logs?.L ?? []).map(text),
  };
}

/** One scan of the keys, statuses and creation times, then the latest orders in full. */
export async function orderOverview(db: DynamoDBClient, tableName: string, latestCount = 8): Promise<OrderOverview> {
  const started = performance.now();
  const byStatus: Record<string, number> = {};
  let latest: { orderId: string; createdAt: string }[] = [];
  let total = 0;
  let ExclusiveStartKey: Item | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: tableName, ProjectionExpression: 'orderId, #status, createdAt', ExpressionAttributeNames: { '#status': 'status' }, ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}) }),
    );
    for (const item of page.Items ?? []) {
      total += 1;
      const status = text(item.status) || 'UNKNOWN';
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      latest.push({ orderId: text(item.orderId), createdAt: text(item.createdAt) });
    }
    // Only the newest are kept, so a large table does not fill memory.
    latest = latest.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.orderId.localeCompare(a.orderId)).slice(0, latestCount);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);

  let full: OrderLine[] = [];
  if (latest.length > 0) {
    const { Responses = {} } = await db.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: latest.map(({ orderId }) => ({ orderId: { S: orderId } })) } } }));
    const found = new Map((Responses[tableName] ?? []).map((item) => [text(item.orderId), orderLine(item)]));
    // In the scan's order; one deleted meanwhile is left out.
    full = latest.flatMap(({ orderId }) => found.get(orderId) ?? []);
  }
  return { total, byStatus, latest: full, readMs: performance.now() - started };
}

/** The statuses in the order an order passes them, each with its colour. */
const STATUSES: [string, PanelTone][] = [
  ['PENDING', 'waiting'],
  ['READY_TO_SHIP', 'progress'],
  ['SHIPPED', 'good'],
  ['REJECTED', 'bad'],
];
const toneOf = (status: string) => STATUSES.find(([known]) => known === status)?.[1];

/** The overview as the console draws a panel: a count per status (the known ones first), the latest orders with their logs. */
export function orderPanelView(overview: OrderOverview): PanelView {
  const statuses = [...STATUSES.map(([status]) => status), ...Object.keys(overview.byStatus).filter((status) => !toneOf(status))];
  const withTone = (status: string) => {
    const tone = toneOf(status);
    return tone ? { tone } : {};
  };
  return {
    summary: `${new Intl.NumberFormat('en-US').format(overview.total)} in the order table`,
    counts: statuses.map((status) => ({ label: status, value: overview.byStatus[status] ?? 0, ...withTone(status) })),
    items: overview.latest.map((order) => ({
      id: order.orderId,
      status: order.status,
      ...withTone(order.status),
      facts: `${order.customerId} · ${order.totalAmount} · ${order.items.map((item) => `${item.qty}× ${item.productId}`).join(', ')} · ${new Date(order.createdAt).toLocaleTimeString()}`,
      lines: order.logs,
    })),
  };
}

export const ordersPanel: ConsolePanel = {
  id: 'orders',
  title: 'Orders',
  async read({ dynamodb, stack }) {
    const name = stack.outputs.OrderTableName;
    const table = stack.tables.find((candidate) => candidate.name === name)?.name;
    if (!table) return { unavailable: 'the template has no OrderTableName output naming a table' };
    return orderPanelView(await orderOverview(dynamodb, table));
  },
};
