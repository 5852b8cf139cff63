// Bad requests for every route, shared by the unit battery (handlers called directly) and the
// end-to-end battery (over HTTP against the local stack). Each must get a 4xx with the contract's
// JSON error, never a 5xx, and must change nothing.

export interface HostileRequest {
  name: string;
  method: string;
  /** The route as API Gateway names it, and the concrete path. */
  resource: string;
  path: string;
  pathParameters?: Record<string, string>;
  /** The raw body text, exactly as sent. */
  body?: string;
  headers?: Record<string, string>;
  /** The status the contract asks for; 400 where unsaid. */
  status: number;
}

const good = { customerId: 'hostile-c', items: [{ productId: 'hostile-p', qty: 1 }], totalAmount: 1 };
const json = (value: unknown) => JSON.stringify(value);
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

const orderCases: [string, string][] = [
  ['malformed JSON', '{"customerId": "c", '],
  ['an empty body', ''],
  ['a JSON array', '[]'],
  ['a JSON string', '"order"'],
  ['null', 'null'],
  ['a string qty', json({ ...good, items: [{ productId: 'p', qty: '1' }] })],
  ['a negative qty', json({ ...good, items: [{ productId: 'p', qty: -1 }] })],
  ['a zero qty', json({ ...good, items: [{ productId: 'p', qty: 0 }] })],
  ['a fractional qty', json({ ...good, items: [{ productId: 'p', qty: 0.5 }] })],
  ['a qty over 10 000', json({ ...good, items: [{ productId: 'p', qty: 10_001 }] })],
  ['NaN as a bare word', '{"customerId":"c","items":[{"productId":"p","qty":1}],"totalAmount":NaN}'],
  ['Infinity as a bare word', '{"customerId":"c","items":[{"productId":"p","qty":1}],"totalAmount":Infinity}'],
  ['1e309 (Infinity once parsed)', '{"customerId":"c","items":[{"productId":"p","qty":1}],"totalAmount":1e309}'],
  ['a total with three decimals', json({ ...good, totalAmount: 1.001 })],
  ['a negative total', json({ ...good, totalAmount: -0.01 })],
  ['a total over a billion', json({ ...good, totalAmount: 1_000_000_000.01 })],
  ['a string total', json({ ...good, totalAmount: '1.00' })],
  ['a missing customerId', json({ items: good.items, totalAmount: 1 })],
  ['a missing items', json({ customerId: 'c', totalAmount: 1 })],
  ['empty items', json({ ...good, items: [] })],
  ['51 items', json({ ...good, items: Array.from({ length: 51 }, (_, i) => ({ productId: `p${i}`, qty: 1 })) })],
  ['the same product twice', json({ ...good, items: [{ productId: 'p', qty: 1 }, { productId: 'p', qty: 1 }] })],
  ['an unknown field', json({ ...good, discount: 5 })],
  ['an unknown item field', json({ ...good, items: [{ productId: 'p', qty: 1, price: 2 }] })],
  ['a __proto__ key', '{"customerId":"c","items":[{"productId":"p","qty":1}],"totalAmount":1,"__proto__":{"admin":true}}'],
  ['a constructor key', json({ ...good, constructor: { prototype: { admin: true } } })],
  ['a 10 000-character customerId', json({ ...good, customerId: 'c'.repeat(10_000) })],
  ['an empty customerId', json({ ...good, customerId: '' })],
  ['a unicode customerId', json({ ...good, customerId: 'kunde-ü-顧客' })],
  ['a control character in an id', json({ ...good, customerId: 'c\u0000d' })],
  ['a newline in a productId', json({ ...good, items: [{ productId: 'p\nq', qty: 1 }] })],
  ['a numeric customerId', json({ ...good, customerId: 123 })],
  ['a deeply nested body', `{"customerId":${nested(5000)}}`],
  ['0.1 + 0.2 as the total (0.30000000000000004)', json({ ...good, totalAmount: 0.1 + 0.2 })],
  ['a byte order mark before the JSON', `\uFEFF${json(good)}`],
  ['true as the body', 'true'],
  ['a number as the body', '42'],
  ['items as an object', json({ ...good, items: { 0: { productId: 'p', qty: 1 } } })],
  ['a null item', json({ ...good, items: [null] })],
  ['a null total', json({ ...good, totalAmount: null })],
  ['a 65-character productId', json({ ...good, items: [{ productId: 'p'.repeat(65), qty: 1 }] })],
];

export const hostileRequests: HostileRequest[] = [
  ...orderCases.map(([name, body]) => ({ name: `POST /order with ${name}`, method: 'POST', resource: '/order', path: '/order', body, status: 400 })),
  { name: 'POST /orders with no orders', method: 'POST', resource: '/orders', path: '/orders', body: json({ orders: [] }), status: 400 },
  { name: 'POST /orders with 26 orders', method: 'POST', resource: '/orders', path: '/orders', body: json({ orders: Array.from({ length: 26 }, () => good) }), status: 400 },
  { name: 'POST /orders with one bad order among good ones', method: 'POST', resource: '/orders', path: '/orders', body: json({ orders: [good, { ...good, totalAmount: 'x' }, good] }), status: 400 },
  { name: 'POST /orders with a bare order', method: 'POST', resource: '/orders', path: '/orders', body: json(good), status: 400 },
  { name: 'POST /orders with a repeated product in its second order', method: 'POST', resource: '/orders', path: '/orders', body: json({ orders: [good, { ...good, items: [{ productId: 'p', qty: 1 }, { productId: 'p', qty: 2 }] }] }), status: 400 },
  { name: 'POST /orders with orders as an object', method: 'POST', resource: '/orders', path: '/orders', body: json({ orders: { 0: good } }), status: 400 },
  { name: 'POST /orders with malformed JSON', method: 'POST', resource: '/orders', path: '/orders', body: '{"orders": [', status: 400 },
  { name: 'POST /orders as XML', method: 'POST', resource: '/orders', path: '/orders', body: '<orders/>', headers: { 'Content-Type': 'application/xml' }, status: 415 },
  { name: 'POST /account with a negative balance', method: 'POST', resource: '/account', path: '/account', body: json({ customerId: 'hostile-c', balance: -1 }), status: 400 },
  { name: 'POST /account with three decimals', method: 'POST', resource: '/account', path: '/account', body: json({ customerId: 'hostile-c', balance: 0.001 }), status: 400 },
  { name: 'POST /account with 1e309', method: 'POST', resource: '/account', path: '/account', body: '{"customerId":"hostile-c","balance":1e309}', status: 400 },
  { name: 'POST /account with an unknown field', method: 'POST', resource: '/account', path: '/account', body: json({ customerId: 'hostile-c', balance: 1, vip: true }), status: 400 },
  { name: 'POST /account with a string balance', method: 'POST', resource: '/account', path: '/account', body: json({ customerId: 'hostile-c', balance: '1' }), status: 400 },
  { name: 'POST /account with a balance over a billion', method: 'POST', resource: '/account', path: '/account', body: json({ customerId: 'hostile-c', balance: 1_000_000_000.01 }), status: 400 },
  { name: 'POST /account with an empty body', method: 'POST', resource: '/account', path: '/account', body: '', status: 400 },
  { name: 'POST /account with malformed JSON', method: 'POST', resource: '/account', path: '/account', body: '{"customerId":"hostile-c","balance":', status: 400 },
  { name: 'POST /account without a customerId', method: 'POST', resource: '/account', path: '/account', body: json({ balance: 1 }), status: 400 },
  { name: 'POST /stock with a balance over a billion', method: 'POST', resource: '/stock', path: '/stock', body: json({ productId: 'hostile-p', balance: 1_000_000_001 }), status: 400 },
  { name: 'POST /stock with a string balance', method: 'POST', resource: '/stock', path: '/stock', body: json({ productId: 'hostile-p', balance: '5' }), status: 400 },
  { name: 'POST /stock with an unknown field', method: 'POST', resource: '/stock', path: '/stock', body: json({ productId: 'hostile-p', balance: 5, warehouse: 'x' }), status: 400 },
  { name: 'POST /stock as text/plain', method: 'POST', resource: '/stock', path: '/stock', body: json({ productId: 'hostile-p', balance: 5 }), headers: { 'Content-Type': 'text/plain' }, status: 415 },
  { name: 'POST /stock with a fractional balance', method: 'POST', resource: '/stock', path: '/stock', body: json({ productId: 'hostile-p', balance: 1.5 }), status: 400 },
  { name: 'POST /stock with a negative balance', method: 'POST', resource: '/stock', path: '/stock', body: json({ productId: 'hostile-p', balance: -1 }), status: 400 },
  { name: 'POST /stock with a bad productId', method: 'POST', resource: '/stock', path: '/stock', body: json({ productId: '../etc/passwd', balance: 1 }), status: 400 },
  // Valid orders padded with whitespace: API Gateway's schema check lets them through (an unknown
  // padding field would already be refused there with 400), and the size limit refuses them.
  { name: 'POST /order over 64 KiB', method: 'POST', resource: '/order', path: '/order', body: json(good) + ' '.repeat(70 * 1024), status: 413 },
  { name: 'POST /order of 1 MiB', method: 'POST', resource: '/order', path: '/order', body: json(good) + ' '.repeat(1024 * 1024), status: 413 },
  { name: 'POST /orders over 64 KiB', method: 'POST', resource: '/orders', path: '/orders', body: json({ orders: [good] }) + ' '.repeat(65 * 1024), status: 413 },
  { name: 'POST /order as text/plain', method: 'POST', resource: '/order', path: '/order', body: json(good), headers: { 'Content-Type': 'text/plain' }, status: 415 },
  { name: 'POST /account as a form', method: 'POST', resource: '/account', path: '/account', body: 'customerId=c&balance=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, status: 415 },
  { name: 'POST /order with an Idempotency-Key of 200 characters', method: 'POST', resource: '/order', path: '/order', body: json(good), headers: { 'Idempotency-Key': 'k'.repeat(200) }, status: 400 },
  { name: 'POST /order with an empty Idempotency-Key', method: 'POST', resource: '/order', path: '/order', body: json(good), headers: { 'Idempotency-Key': '' }, status: 400 },
  { name: 'POST /orders with an empty Idempotency-Key', method: 'POST', resource: '/orders', path: '/orders', body: json({ orders: [good] }), headers: { 'Idempotency-Key': '' }, status: 400 },
  { name: 'POST /order with an Idempotency-Key containing a space', method: 'POST', resource: '/order', path: '/order', body: json(good), headers: { 'Idempotency-Key': 'my key' }, status: 400 },
  { name: 'DELETE /order', method: 'DELETE', resource: '/order', path: '/order', status: 405 },
  { name: 'GET /orders', method: 'GET', resource: '/orders', path: '/orders', status: 405 },
  { name: 'GET /account', method: 'GET', resource: '/account', path: '/account', status: 405 },
  { name: 'DELETE /stock', method: 'DELETE', resource: '/stock', path: '/stock', status: 405 },
  { name: 'PUT /order/{orderId}/status', method: 'PUT', resource: '/order/{orderId}/status', path: '/order/x/status', pathParameters: { orderId: 'x' }, body: '{}', status: 405 },
  { name: 'GET an unknown path', method: 'GET', resource: '/admin', path: '/admin', status: 404 },
  { name: 'POST an unknown path', method: 'POST', resource: '/order/{orderId}/cancel', path: '/order/x/cancel', pathParameters: { orderId: 'x' }, body: '{}', status: 404 },
  { name: 'PUT /account', method: 'PUT', resource: '/account', path: '/account', body: json({ customerId: 'hostile-c', balance: 1 }), status: 405 },
  { name: 'POST /order/{orderId}', method: 'POST', resource: '/order/{orderId}', path: '/order/x', pathParameters: { orderId: 'x' }, body: '{}', status: 405 },
  { name: 'PATCH /stock/{productId}', method: 'PATCH', resource: '/stock/{productId}', path: '/stock/p', pathParameters: { productId: 'p' }, body: '{}', status: 405 },
  { name: 'GET /account/{customerId} with a 10 000-character id', method: 'GET', resource: '/account/{customerId}', path: `/account/${'c'.repeat(10_000)}`, pathParameters: { customerId: 'c'.repeat(10_000) }, status: 400 },
  { name: 'GET /stock/{productId} with a unicode id', method: 'GET', resource: '/stock/{productId}', path: '/stock/%C3%BC', pathParameters: { productId: 'ü' }, status: 400 },
  { name: 'GET /account/{customerId} with an encoded slash in the id', method: 'GET', resource: '/account/{customerId}', path: '/account/a%2Fb', pathParameters: { customerId: 'a/b' }, status: 400 },
  { name: 'GET /order/{orderId} with a 65-character id', method: 'GET', resource: '/order/{orderId}', path: `/order/${'o'.repeat(65)}`, pathParameters: { orderId: 'o'.repeat(65) }, status: 400 },
  { name: 'GET /order/{orderId} that does not exist', method: 'GET', resource: '/order/{orderId}', path: '/order/does-not-exist', pathParameters: { orderId: 'does-not-exist' }, status: 404 },
  { name: 'GET /order/{orderId}/status that does not exist', method: 'GET', resource: '/order/{orderId}/status', path: '/order/does-not-exist/status', pathParameters: { orderId: 'does-not-exist' }, status: 404 },
];
