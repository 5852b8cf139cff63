// `npm start --api-keys`: the API key required as the deployed API requires it, and the usage
// plan's throttle and quota applied, from the template's parameters, on a stack of its own with
// small limits: a burst of 3, 1 request a second, 10 a day.
import type { SpawnedStack } from 'local-sam';
import { startStack } from './support/stackSetup';
import type { StackState } from './support/stack';
import { uniqueId } from './support/stack';

const LIMITS = { ApiThrottleBurstLimit: '3', ApiThrottleRateLimit: '1', ApiQuotaPerDay: '10' };

let stack: SpawnedStack | undefined;
let state: StackState;

beforeAll(async () => {
  stack = await startStack('api-keys', { apiKeys: true, parameters: LIMITS });
  state = stack.state;
}, 240_000);

afterAll(() => stack?.stop(), 60_000);

/** A read through the gateway; an unknown account, so that an admitted request gets the function's 404. */
async function get(headers: Record<string, string> = {}) {
  const response = await fetch(`${state.url}/account/${uniqueId('nobody')}`, { headers });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { message: string } };
}

const withKey = () => get({ 'x-api-key': state.apiKey ?? '' });
let admitted = 0;
const count = <T extends { status: number }>(reply: T) => {
  if (reply.status === 404) admitted += 1;
  return reply;
};

describe('with --api-keys', () => {
  it('writes the generated key to the state file', () => {
    expect(state.apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it.each([
    ['without a key', {}],
    ['with a wrong key', { 'x-api-key': 'not-the-key' }],
  ])('answers a request %s with 403 from the template’s INVALID_API_KEY response', async (_name, headers) => {
    const reply = await get(headers);
    expect(reply).toMatchObject({ status: 403, body: { message: 'Send a valid API key in the x-api-key header.' } });
  });

  it('lets a request with the key through to the function', async () => {
    expect(count(await withKey()).status).toBe(404);
  });

  it('throttles past the usage plan’s burst with 429 from THROTTLED, telling the client when to retry', async () => {
    const replies = (await Promise.all(Array.from({ length: 12 }, withKey))).map(count);
    const throttled = replies.filter((reply) => reply.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const reply of throttled) expect(reply).toMatchObject({ retryAfter: '1', body: { message: 'Too many requests; retry after a short wait.' } });
    expect(replies.every((reply) => reply.status === 404 || reply.status === 429)).toBe(true);
  });

  it('refuses with 429 from QUOTA_EXCEEDED once the day’s quota is used, having let exactly the quota through', async () => {
    let reply = await withKey();
    // Throttled requests wait for the bucket to refill (1 a second); they do not count toward the quota.
    for (const deadline = Date.now() + 60_000; reply.status !== 429 || reply.retryAfter !== null; reply = await withKey()) {
      count(reply);
      if (Date.now() > deadline) throw new Error(`no quota refusal within 60 s; last answer ${reply.status}`);
      if (reply.status === 429) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(reply.body).toEqual({ message: 'The API key has used its quota for this period.' });
    expect(admitted).toBe(Number(LIMITS.ApiQuotaPerDay));
  });
});
