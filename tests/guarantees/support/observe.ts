// What a guarantee test sees of a running stack: the HTTP API as a client sees it, and the state
// behind it (tables, queues, dead-letter queues) as an operator sees it.
import { GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { fromOrderItem, isOrder } from '../../../src/adapters/orderStore';
import { readCents, readInteger } from '../../../src/adapters/numbers';
import type { Cents } from '../../../src/domain/money';
import { FINAL_STATUSES, type Order } from '../../../src/domain/order';
import { sleep, type StackProcess } from './localStack';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  /** The body exactly as sent, for checks that a parsed number would hide. */
  text: string;
  body: T;
}

export async function call<T = Record<string, unknown>>(stack: StackProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${stack.url}${path}`, init);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed as T };
}

export async function setAccount(stack: StackProcess, customerId: string, balance: number): Promise<void> {
  const reply = await call(stack, 'POST', '/account', { customerId, balance });
  if (reply.status !== 200) throw new Error(`POST /account answered ${reply.status}: ${reply.text}`);
}

export async function setStock(stack: StackProcess, productId: string, balance: number): Promise<void> {
  const reply = await call(stack, 'POST', '/stock', { productId, balance });
  if (reply.status !== 200) throw new Error(`POST /stock answered ${reply.status}: ${reply.text}`);
}

async function scan(stack: StackProcess, tableLogicalId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await stack.clients.db.send(new ScanCommand({ TableName: stack.table(tableLogicalId), ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Every item of a table, as stored (numbers as their exact decimal text), in a stable order. */
export async function tableSnapshot(stack: StackProcess, tableLogicalId: string): Promise<string[]> {
  const stable = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(stable) : value instanceof Object ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, stable(v)])) : value;
  return (await scan(stack, tableLogicalId)).map((item) => JSON.stringify(stable(item))).sort();
}

export async function allOrders(stack: StackProcess): Promise<Map<string, Order>> {
  return new Map((await scan(stack, 'OrderTable')).filter(isOrder).map((item) => [String(item.orderId), fromOrderItem(item)]));
}

/** How often the sweeper moved each order on (announced it again, marked it ready, asked again for its shipment), for the orders it moved. */
/**
 * What the sweeper did to each order, from its own log lines in the stack's log (`open order moved
 * on`, one a move, with its effect), in order. Not the order's `nudges` count: the sweeper writes
 * that after the move, only while the order is still where it found it, so an order that its move
 * sent on at once (announced, checked and shipped in the meantime) keeps no trace of it there.
 */
export function sweeperMoves(stack: StackProcess): Map<string, string[]> {
  const moves = new Map<string, string[]>();
  for (const [, orderId, effect] of readFileSync(stack.logFile, 'utf8').matchAll(/^\[OrderSweeperFunction\] INFO open order moved on orderId=(\S+) effect=(\S+)$/gm)) {
    moves.set(orderId as string, [...(moves.get(orderId as string) ?? []), effect as string]);
  }
  return moves;
}

/** Credit balances in cents, by customerId. */
export async function accountBalances(stack: StackProcess): Promise<Map<string, Cents>> {
  return new Map((await scan(stack, 'AccountTable')).map((item) => [String(item.customerId), readCents(item.balance)]));
}

/** Stock balances in units, by productId. */
export async function stockBalances(stack: StackProcess): Promise<Map<string, number>> {
  return new Map((await scan(stack, 'StockTable')).map((item) => [String(item.productId), readInteger(item.balance)]));
}

export const isFinal = (order: Order | undefined): boolean => order !== undefined && FINAL_STATUSES.includes(order.status);

/** Waits until every one of the orders is SHIPPED or REJECTED; returns them all (final or not, when the time is up). */
export async function waitForFinal(stack: StackProcess, orderIds: readonly string[], timeoutMs: number, onWait: () => Promise<void> = async () => undefined): Promise<Map<string, Order>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const orders = await allOrders(stack);
    if (orderIds.every((orderId) => isFinal(orders.get(orderId))) || Date.now() > deadline) return orders;
    await onWait();
    await sleep(500);
  }
}

/** Messages waiting, in flight or delayed on a queue. */
export async function queueDepth(stack: StackProcess, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await stack.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
}

/** Waits until every work queue is empty: everything sent has been handled (or dead-lettered). */
export async function waitForQuiet(stack: StackProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const depths = await Promise.all(stack.workQueues.map((queue) => queueDepth(stack, stack.queueUrl(queue))));
    if (depths.every((depth) => depth === 0)) return true;
    await sleep(250);
  }
  return false;
}

/**
 * Takes every message off a dead-letter queue, with its attributes. The sweeper reads these queues
 * every minute (hiding what it reads for a moment), so the messages it holds are waited for.
 */
export async function takeAll(stack: StackProcess, queueUrl: string): Promise<Message[]> {
  const messages = new Map<string, Message>();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300, MessageSystemAttributeNames: ['All'] }),
    );
    for (const message of Messages) messages.set(message.MessageId ?? '', message);
    if (Messages.length > 0) continue;
    const { Attributes = {} } = await stack.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
    if (Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) <= messages.size || Date.now() > deadline) return [...messages.values()];
    await sleep(250);
  }
}

/** What every dead-letter queue of the stack holds, by the work queue it belongs to. */
export async function deadLetters(stack: StackProcess): Promise<Record<string, Message[]>> {
  const entries = await Promise.all(stack.workQueues.map(async (queue) => [queue, await takeAll(stack, stack.deadLetterQueueUrl(queue))] as const));
  return Object.fromEntries(entries);
}

/** The business reasons an order may be rejected for (docs/guarantees.md), as the order's log states them. */
export const BUSINESS_REJECTION =
  /^(Credit check failed: (customer \S+ has no account|balance \d+\.\d\d does not cover \d+\.\d\d)|Stock check failed: .*(has \d+, needs \d+|does not exist)|Rejected at shipping: (customer has no account|insufficient credit for \d+\.\d\d|insufficient stock for .+|.+ does not exist))$/;

/** The one other reason (docs/guarantees.md): one of the order's messages was dead-lettered, as the sweeper's line states it. */
export const DEAD_LETTER_REJECTION =
  /^Rejected( at shipping)?: its (credit check|stock check|(credit|stock) check result|shipment) (failed \d+ times|could not be recorded in \d+ attempts) and its message was dead-lettered \(\w+DeadLetterQueue\)$/;

export const lastLog = (order: Order): string => order.logs.at(-1) ?? '';

/** Rejected orders whose log states neither a business reason nor a dead letter: none may exist. */
export const rejectedWithoutReason = (orders: Iterable<Order>): Order[] =>
  [...orders].filter((order) => order.status === 'REJECTED' && !BUSINESS_REJECTION.test(lastLog(order)) && !DEAD_LETTER_REJECTION.test(lastLog(order)));
