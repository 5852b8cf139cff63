// A short smoke of the contract's guarantees against a deployed API, through its gateway and with
// its API key: an order ships; an order over credit is rejected with its reason; a repeated
// Idempotency-Key gives the same order; a stale If-Match is refused; the gateway answers an
// unknown route and a missing key in the contract's JSON. Every account, product and order it
// makes is its own, named with the run's id.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

export interface Api {
  baseUrl: string;
  apiKey: string;
  runId: string;
  /** How long an order may take to reach a final status. */
  finalWithinMs: number;
}

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(api: Api, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, withKey = true): Promise<Reply> {
  const response = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: { ...(withKey ? { 'x-api-key': api.apiKey } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new Error(`${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

function expectThat(condition: boolean, what: string, reply?: Reply): asserts condition {
  if (!condition) throw new Error(reply ? `${what}; got ${reply.status} ${JSON.stringify(reply.body)}` : what);
}

const idFor = (api: Api, what: string) => `deployed-${api.runId}-${what}`;

async function setBalance(api: Api, route: '/account' | '/stock', id: string, balance: number): Promise<Reply> {
  const reply = await call(api, 'POST', route, { [route === '/account' ? 'customerId' : 'productId']: id, balance });
  expectThat(reply.status === 200, `POST ${route} for ${id} should answer 200`, reply);
  return reply;
}

async function placeOrder(api: Api, customerId: string, productId: string, totalAmount: number, headers: Record<string, string> = {}): Promise<string> {
  const reply = await call(api, 'POST', '/order', { customerId, items: [{ productId, qty: 1 }], totalAmount }, headers);
  expectThat(reply.status === 202 && typeof reply.body.orderId === 'string', 'POST /order should answer 202 with an orderId', reply);
  return reply.body.orderId;
}

async function finalStatus(api: Api, orderId: string): Promise<{ status: string; logs: string[] }> {
  const deadline = Date.now() + api.finalWithinMs;
  for (;;) {
    const reply = await call(api, 'GET', `/order/${orderId}/status`);
    expectThat(reply.status === 200, `GET /order/${orderId}/status should answer 200`, reply);
    const view = reply.body as { status: string; logs: string[] };
    if (view.status === 'SHIPPED' || view.status === 'REJECTED') return view;
    if (Date.now() > deadline) throw new Error(`order ${orderId} is still ${view.status} after ${api.finalWithinMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The gateway's answer of this type, as swagger.yaml (the contract) writes it. */
function gatewayMessage(type: string): string {
  const swagger = load(readFileSync(join(__dirname, '..', '..', 'swagger.yaml'), 'utf8')) as Record<string, Record<string, { responseTemplates: Record<string, string> }>>;
  const template = swagger['x-amazon-apigateway-gateway-responses']?.[type]?.responseTemplates['application/json'];
  if (!template) throw new Error(`swagger.yaml has no gateway response ${type}`);
  return (JSON.parse(template) as { message: string }).message;
}

export interface SmokeCheck {
  name: string;
  run: (api: Api) => Promise<void>;
}

export const SMOKE_CHECKS: SmokeCheck[] = [
  {
    name: 'an order within credit and stock reaches SHIPPED',
    run: async (api) => {
      const [customerId, productId] = [idFor(api, 'shipped-customer'), idFor(api, 'shipped-product')];
      await setBalance(api, '/account', customerId, 100);
      await setBalance(api, '/stock', productId, 10);
      const final = await finalStatus(api, await placeOrder(api, customerId, productId, 25.5));
      expectThat(final.status === 'SHIPPED', `the order should be SHIPPED, not ${final.status} (${final.logs.join('; ')})`);
      const account = await call(api, 'GET', `/account/${customerId}`);
      expectThat(account.body.balance === 74.5, 'the customer should have been charged 25.50 exactly', account);
    },
  },
  {
    name: 'an order over the customer’s credit is REJECTED, saying so',
    run: async (api) => {
      const [customerId, productId] = [idFor(api, 'poor-customer'), idFor(api, 'poor-product')];
      await setBalance(api, '/account', customerId, 5);
      await setBalance(api, '/stock', productId, 10);
      const final = await finalStatus(api, await placeOrder(api, customerId, productId, 50));
      expectThat(final.status === 'REJECTED', `the order should be REJECTED, not ${final.status}`);
      expectThat(final.logs.some((line) => /credit/i.test(line)), `the order's logs should give the credit as the reason: ${final.logs.join('; ')}`);
    },
  },
  {
    name: 'the same Idempotency-Key twice gives the same order',
    run: async (api) => {
      const key = randomUUID();
      const [customerId, productId] = [idFor(api, 'keyed-customer'), idFor(api, 'keyed-product')];
      const first = await placeOrder(api, customerId, productId, 1, { 'Idempotency-Key': key });
      const again = await placeOrder(api, customerId, productId, 1, { 'Idempotency-Key': key });
      expectThat(again === first, `the repeat should answer order ${first}, not ${again}`);
    },
  },
  {
    name: 'a write with a stale If-Match gets 412 and changes nothing',
    run: async (api) => {
      const customerId = idFor(api, 'etag-customer');
      const stale = (await setBalance(api, '/account', customerId, 10)).headers.get('etag') ?? '';
      expectThat(/^"\d+"$/.test(stale), `POST /account should answer with an ETag, not ${JSON.stringify(stale)}`);
      await setBalance(api, '/account', customerId, 20);
      const refused = await call(api, 'POST', '/account', { customerId, balance: 30 }, { 'If-Match': stale });
      expectThat(refused.status === 412 && typeof refused.body.message === 'string', 'a stale If-Match should get 412 with a message', refused);
      const after = await call(api, 'GET', `/account/${customerId}`);
      expectThat(after.body.balance === 20, 'the refused write should have changed nothing', after);
    },
  },
  {
    name: 'the gateway answers an unknown route with 404 and a missing API key with 403, in the contract’s JSON',
    run: async (api) => {
      const unknown = await call(api, 'GET', `/${idFor(api, 'no-such-route')}`);
      expectThat(unknown.status === 404 && unknown.body.message === gatewayMessage('MISSING_AUTHENTICATION_TOKEN'), 'an unknown route should get swagger.yaml’s MISSING_AUTHENTICATION_TOKEN answer', unknown);
      const keyless = await call(api, 'GET', `/account/${idFor(api, 'etag-customer')}`, undefined, {}, false);
      expectThat(keyless.status === 403 && keyless.body.message === gatewayMessage('INVALID_API_KEY'), 'a request without the API key should get swagger.yaml’s INVALID_API_KEY answer', keyless);
      for (const reply of [unknown, keyless]) expectThat(/^application\/json/.test(reply.headers.get('content-type') ?? ''), 'the gateway should answer in JSON', reply);
    },
  },
];
