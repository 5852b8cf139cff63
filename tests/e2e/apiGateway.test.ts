// What the API answers before (or instead of) a function: the contract's validation, unknown
// routes, wrong methods, size limits, media types, and the docs.
import { baseUrl, call, uniqueId } from './support/stack';

const validOrder = () => ({ customerId: uniqueId('gw'), items: [{ productId: 'p1', qty: 1 }], totalAmount: 1 });

describe('request validation against swagger.yaml', () => {
  it('refuses a body that breaks the schema with 400 and one error per field', async () => {
    const { status, body } = await call<{ message: string; errors: { path: string; message: string }[] }>('POST', '/order', {
      customerId: 'not valid!',
      items: [{ productId: 'p1', qty: 0 }],
      totalAmount: 1.234,
      extra: true,
    });
    expect(status).toBe(400);
    expect(body.message).toMatch(/does not match the API contract/);
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
    expect(typeof body.message).toBe('string');
  });

  it('lets a valid request through to the function', async () => {
    expect((await call('POST', '/account', { customerId: uniqueId('gw'), balance: 1 })).status).toBe(200);
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
    expect(typeof body.message).toBe('string');
  });

  it('answers an empty path parameter (/order//status) with 404', async () => {
    expect((await call('GET', '/order//status')).status).toBe(404);
  });

  it('gives every answer a request id', async () => {
    expect((await call('GET', '/no/such/path')).headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('limits and media types', () => {
  it('refuses a body over the contract’s 64 KiB with 413, even when it is otherwise valid', async () => {
    // Valid JSON padded with whitespace passes API Gateway's schema check; the function's limit refuses it.
    const { status, body } = await call('POST', '/order', JSON.stringify(validOrder()) + ' '.repeat(65 * 1024));
    expect(status).toBe(413);
    expect(typeof body.message).toBe('string');
  });

  it('refuses a body over API Gateway’s 10 MB with 413', async () => {
    const { status, body } = await call('POST', '/order', 'x'.repeat(10 * 1024 * 1024 + 1));
    expect(status).toBe(413);
    expect(typeof body.message).toBe('string');
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
