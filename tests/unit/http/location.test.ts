import { basePathOf, location } from '../../../src/http/location';

const event = (resource: string, calledPath: string, pathParameters: Record<string, string> | null = null) => ({
  resource,
  path: calledPath,
  pathParameters,
  requestContext: { path: calledPath } as never,
});

describe('basePathOf: the prefix the client called the API under', () => {
  it.each([
    ['the execute-api URL, under its stage', '/order', '/dev/order', null, '/dev'],
    ['a custom domain with base path v1', '/order', '/v1/order', null, '/v1'],
    ['the local API without a stage', '/order', '/order', null, ''],
    ['a parameterised resource under a stage', '/order/{orderId}/status', '/dev/order/abc/status', { orderId: 'abc' }, '/dev'],
    ['a greedy parameter spanning segments', '/files/{path+}', '/dev/files/a/b/c', { path: 'a/b/c' }, '/dev'],
    ['a trailing slash', '/order', '/dev/order/', null, '/dev'],
  ])('on %s', (_where, resource, called, parameters, base) => {
    expect(basePathOf(event(resource, called, parameters))).toBe(base);
  });

  it('is empty when the request context has no path', () => {
    expect(basePathOf({ resource: '/order', path: '/order', pathParameters: null, requestContext: {} as never })).toBe('');
  });
});

describe('location', () => {
  it('puts a resource path under the request’s base path', () => {
    expect(location({ basePath: '/dev' }, '/order/1/status')).toBe('/dev/order/1/status');
    expect(location({ basePath: '' }, '/order/1/status')).toBe('/order/1/status');
  });
});
