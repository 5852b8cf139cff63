// Hostile input over HTTP, through the whole local API (gateway validation, then the function):
// every bad request of the battery is answered with its 4xx and the contract's JSON error, never
// a 5xx or a stack trace, and nothing is stored or changed anywhere.
import { hostileRequests, type HostileRequest } from '../support/hostileRequests';
import { StackProcess } from './support/localStack';
import { call, setAccount, setStock, tableSnapshot, waitForFinal, waitForQuiet } from './support/observe';
import { recordSummary } from './support/report';

const TABLES = ['OrderTable', 'AccountTable', 'StockTable', 'IdempotencyTable'];

let stack: StackProcess;
let before: Record<string, string[]>;

const snapshot = async () => Object.fromEntries(await Promise.all(TABLES.map(async (table) => [table, await tableSnapshot(stack, table)] as const)));

beforeAll(async () => {
  stack = await StackProcess.start({ name: 'hostile-input' });
  // Something to change: the battery's own ids exist, with an order of theirs, shipped.
  await setAccount(stack, 'hostile-c', 100);
  await setStock(stack, 'hostile-p', 10);
  await setStock(stack, 'p', 10);
  const placed = await call<{ orderId: string }>(stack, 'POST', '/order', { customerId: 'hostile-c', items: [{ productId: 'hostile-p', qty: 1 }], totalAmount: 1 }, { 'Idempotency-Key': 'hostile-seed' });
  await waitForFinal(stack, [placed.body.orderId], 60_000);
  await waitForQuiet(stack, 30_000);
  before = await snapshot();
}, 240_000);

afterAll(() => stack?.stop(), 60_000);

const answers = new Map<string, number>();

async function send(request: HostileRequest) {
  const headers = { ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...request.headers };
  const response = await fetch(`${stack.url}${request.path}`, { method: request.method, headers, ...(request.body === undefined ? {} : { body: request.body }) });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

describe('every hostile request of the battery, over HTTP', () => {
  it.each(hostileRequests.map((request) => [request.name, request] as const))('%s: is refused with its 4xx and a JSON error', async (_name, request) => {
    const { status, contentType, text } = await send(request);
    answers.set(request.name, status);
    expect(status).toBe(request.status);
    expect(contentType).toMatch(/^application\/json/);
    const body = JSON.parse(text) as { message: unknown; errors?: unknown[] };
    expect(typeof body.message).toBe('string');
    expect(Object.keys(body).filter((key) => key !== 'message' && key !== 'errors')).toEqual([]);
    for (const error of body.errors ?? []) expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
    expect(text).not.toMatch(/Exception|Error:|at \/|\.ts:|\.js:|Table|arn:aws|order-capture-/);
  });

  it('stored and changed nothing: every table is as it was', async () => {
    expect(await waitForQuiet(stack, 30_000)).toBe(true);
    expect(await snapshot()).toEqual(before);
    const statuses = [...answers.values()];
    recordSummary('hostile-input', {
      requests: hostileRequests.length,
      answered: Object.fromEntries([...new Set(statuses)].sort().map((status) => [status, statuses.filter((s) => s === status).length])),
      serverErrors: statuses.filter((status) => status >= 500).length,
      tablesUnchanged: TABLES.length,
    });
  });
});
