import { INEXACT_NUMBER, parseExactJson } from '../../../src/http/exactJson';
import { handler } from '../../../src/handlers/orderApi';
import { apiEvent, lambdaContext } from '../../support/factories';

describe('parseExactJson: numbers judged as written', () => {
  it.each([
    ['1.0', 1],
    ['1e3', 1000],
    ['1E+3', 1000],
    ['187.780', 187.78],
    ['0.1', 0.1],
    ['-0', -0],
    ['0.30000000000000004', 0.30000000000000004],
    ['1.8778e2', 187.78],
    ['1e-3', 0.001],
  ])('keeps %s, which parses to exactly the number written', (text, value) => {
    expect(parseExactJson(`{"n":${text}}`)).toEqual({ value: { n: value }, inexact: [] });
  });

  it.each(['187.780000000000001', '1.0000000000000001', '12345678901234567891', '1e400'])('names %s, which parsing would change, with its path', (text) => {
    const { value, inexact } = parseExactJson(`{"orders":[{"items":[{"qty":1}],"totalAmount":${text}}]}`);
    expect(inexact).toEqual([{ path: 'orders[0].totalAmount', message: INEXACT_NUMBER }]);
    // The float stays in place, so schema validation still sees a number.
    expect((value as { orders: { totalAmount: unknown }[] }).orders[0]?.totalAmount).toBe(Number(text));
  });

  it('names a top-level number as the body', () => {
    expect(parseExactJson('0.10000000000000000001').inexact).toEqual([{ path: '(body)', message: INEXACT_NUMBER }]);
  });

  it('keeps a "__proto__" key an own property while putting its number back', () => {
    const { value, inexact } = parseExactJson('{"__proto__":1.0000000000000001}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(1);
    expect(inexact).toEqual([{ path: '__proto__', message: INEXACT_NUMBER }]);
  });

  it('throws on malformed JSON as JSON.parse does', () => {
    expect(() => parseExactJson('{"n": ')).toThrow(SyntaxError);
  });
});

describe('an API body with such numbers (POST /order)', () => {
  const post = async (body: string) => {
    const response = await handler(apiEvent({ method: 'POST', resource: '/order', body }), lambdaContext('OrderApiFunction'));
    return { statusCode: response.statusCode, json: JSON.parse(response.body) as { errors?: { path: string; message: string }[] } };
  };

  it.each([
    ['a total of 187.780000000000001', '{"customerId":"c","items":[{"productId":"p","qty":1}],"totalAmount":187.780000000000001}', 'totalAmount', INEXACT_NUMBER],
    ['a qty of 1.0000000000000001', '{"customerId":"c","items":[{"productId":"p","qty":1.0000000000000001}],"totalAmount":1}', 'items[0].qty', INEXACT_NUMBER],
    ['a total of 1e-3', '{"customerId":"c","items":[{"productId":"p","qty":1}],"totalAmount":1e-3}', 'totalAmount', 'must have at most 2 decimal places'],
  ])('refuses %s with the field named', async (_name, body, path, message) => {
    const { statusCode, json } = await post(body);
    expect(statusCode).toBe(400);
    expect(json.errors).toEqual([{ path, message }]);
  });

  it('answers a body nested thousands deep with 400, not 500', async () => {
    const { statusCode, json } = await post(`{"customerId":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
    expect({ statusCode, json }).toEqual({ statusCode: 400, json: { message: 'The request body is nested too deeply.' } });
  });
});
