// What the API answers before (or instead of) a function, and that it answers it as the deployed
// API does: API Gateway's own refusals rendered from swagger.yaml's gateway responses, in the same
// shape as the functions' refusals; field rules checked by the functions; unknown routes, wrong
// methods, size limits, media types, the stage prefix, numbers as written, and the docs.
import { baseUrl, call, finalStatus, uniqueId } from './support/stack';

const validOrder = () => ({ customerId: uniqueId('gw'), items: [{ productId: 'p1', qty: 1 }], totalAmount: 1 });

/** The contract's error shape: a message, field errors where there are any, nothing else. */
function expectContractError(body: Record<string, unknown>) {
  expect(typeof body.message).toBe('string');
  expect(Object.keys(body).filter((key) => key !== 'message' && key !== 'errors')).toEqual([]);
  for (const error of (body.errors ?? []) as unknown[]) expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
}

describe('field rules', () => {
  it('refuses a body that breaks the schema with 400 and one error per field, from the function', async () => {
    const { status, body } = await call<{ message: string; errors: { path: string; message: string }[] }>('POST', '/order', {
      customerId: 'not valid!',
      items: [{ productId: 'p1', qty: 0 }],
      totalAmount: 1.234,
      extra: true,
    });
    expect(status).toBe(400);
    expect(body.message).toMatch(/Fix the fields listed in errors/);
    expect(body.errors.map((error) => error.path).sort()).toEqual(['customerId', 'extra', 'items[0].qty', 'totalAmount']);
  });

  it('names the index of the bad order in a batch', async () => {
    const { status, body } = await call<{ errors: { path: string }[] }>('POST', '/orders', { orders: [validOrder(), { ...validOrder(), totalAmount: -1 }] });
    expect(status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ path: 'orders[1].totalAmount' })]);
  });

  it('refuses malformed JSON with 400', async () => {
    const { status, body } = await call('POST', '/account', '{"customerId": ');
    expect(status).toBe(400);
    expectContractError(body);
  });

  it('lets a valid request through to the function', async () => {
    expect((await call('POST', '/account', { customerId: uniqueId('gw'), balance: 1 })).status).toBe(200);
  });
});

describe('one error shape, whoever answers', () => {
  it.each([
    ['404', 'API Gateway (no such route)', () => call('GET', '/no/such/path'), 'the function (no such order)', () => call('GET', `/order/${uniqueId('none')}`)],
    ['413', 'API Gateway (over Lambda’s 6 MB)', () => call('POST', '/order', JSON.stringify(validOrder()) + ' '.repeat(7 * 1024 * 1024)), 'the function (over 64 KiB)', () => call('POST', '/order', JSON.stringify(validOrder()) + ' '.repeat(65 * 1024))],
  ])('%s from %s and from %s', async (status, _gateway, byGateway, _fn, byFunction) => {
    const [gateway, fn] = [await byGateway(), await byFunction()];
    expect([gateway.status, fn.status]).toEqual([Number(status), Number(status)]);
    expect(gateway.headers.get('x-amzn-errortype')).toEqual(expect.any(String));
    expect(fn.headers.get('x-amzn-errortype')).toBeNull();
    for (const reply of [gateway, fn]) {
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expectContractError(reply.body);
    }
  });
});

describe('routing', () => {
  it('answers an unknown path with 404 in the contract’s error shape', async () => {
    const { status, body } = await call('GET', '/no/such/path');
    expect(status).toBe(404);
    expect(body).toEqual({ message: expect.any(String) });
  });

  it('answers a known path with a wrong method with 405 and the allowed methods', async () => {
    const { status, headers, body } = await call('DELETE', '/order');
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe('POST');
    expectContractError(body);
  });

  it('answers an empty path parameter (/order//status) with 404', async () => {
    expect((await call('GET', '/order//status')).status).toBe(404);
  });

  it('serves every route under the stage too, as the execute-api URL does, and no other prefix', async () => {
    const customerId = uniqueId('staged');
    expect((await call('POST', '/dev/account', { customerId, balance: 5 })).status).toBe(200);
    expect((await call('GET', `/dev/account/${customerId}`)).body).toMatchObject({ customerId, balance: 5 });
    expect((await call('GET', `/prod/account/${customerId}`)).status).toBe(404);
  });

  it('gives every answer a request id and an extended request id, as API Gateway does', async () => {
    const { headers } = await call('GET', '/no/such/path');
    expect(headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers.get('x-amz-apigw-id')).toMatch(/^[A-Za-z0-9+/]{15}=$/);
  });
});

describe('Location, followed', () => {
  it.each([
    ['without the stage', ''],
    ['under the stage', '/dev'],
  ])('%s leads to the order’s status', async (_name, prefix) => {
    const placed = await call<{ orderId: string }>('POST', `${prefix}/order`, validOrder());
    expect(placed.status).toBe(202);
    const location = placed.headers.get('location') ?? '';
    expect(location).toBe(`${prefix}/order/${placed.body.orderId}/status`);
    const followed = await fetch(new URL(location, baseUrl()));
    expect(followed.status).toBe(200);
    expect(await followed.json()).toMatchObject({ orderId: placed.body.orderId, status: expect.any(String) });
  });
});

describe('numbers, judged as written', () => {
  const raw = (customerId: string, qty: string, total: string) => `{"customerId":"${customerId}","items":[{"productId":"p1","qty":${qty}}],"totalAmount":${total}}`;

  it('takes 1.0 as 1 and 1e3 as 1000', async () => {
    const customerId = uniqueId('num');
    const placed = await call<{ orderId: string }>('POST', '/order', raw(customerId, '1.0', '1e3'));
    expect(placed.status).toBe(202);
    await finalStatus(placed.body.orderId);
    expect((await call('GET', `/order/${placed.body.orderId}`)).body).toMatchObject({ items: [{ productId: 'p1', qty: 1 }], totalAmount: 1000 });
  });

  it.each([
    ['187.780000000000001, which a float would round to 187.78', '1', '187.780000000000001', 'totalAmount'],
    ['1e-3, three decimal places', '1', '1e-3', 'totalAmount'],
    ['a qty of 1.0000000000000001', '1.0000000000000001', '1', 'items[0].qty'],
  ])('refuses %s with 400 at its field', async (_name, qty, total, path) => {
    const { status, body } = await call<{ errors: { path: string }[] }>('POST', '/order', raw(uniqueId('num'), qty, total));
    expect(status).toBe(400);
    expect(body.errors.map((error) => error.path)).toEqual([path]);
  });
});

describe('limits and media types', () => {
  it('refuses a body over the contract’s 64 KiB with 413, even when it is otherwise valid', async () => {
    // Valid JSON padded with whitespace: only the function's own limit refuses it.
    const { status, body } = await call('POST', '/order', JSON.stringify(validOrder()) + ' '.repeat(65 * 1024));
    expect(status).toBe(413);
    expectContractError(body);
  });

  it('answers a body over API Gateway’s 10 MB with its plain-text 413, as the deployed API does', async () => {
    const response = await fetch(`${baseUrl()}/order`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('HTTP content length exceeded 10485760 bytes.');
  });

  it('refuses a non-JSON content type on a POST with 415', async () => {
    const { status } = await call('POST', '/stock', 'productId=1', { 'Content-Type': 'text/plain' });
    expect(status).toBe(415);
  });
});

describe('the docs', () => {
  it('serves Swagger UI at /docs over the project’s swagger.yaml', async () => {
    const page = await fetch(`${baseUrl()}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    const spec = await fetch(`${baseUrl()}/docs/openapi.yaml`);
    expect(await spec.text()).toMatch(/^openapi: 3/m);
  });
});
