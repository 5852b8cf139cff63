// Where a resource of this API is, as the client can follow it. API Gateway passes the path the
// client called in requestContext.path (`/dev/order` on execute-api, `/v1/order` behind a custom
// domain's base path `v1`, `/order` locally) while `event.path` may or may not carry that prefix,
// so the base path is what the client called minus as many segments as the resource has.
import type { APIGatewayProxyEvent } from 'aws-lambda';

export function basePathOf(event: Pick<APIGatewayProxyEvent, 'resource' | 'path' | 'pathParameters' | 'requestContext'>): string {
  const called = (event.requestContext?.path ?? event.path ?? '').replace(/\/+$/, '').split('/');
  const resourceSegments = event.resource
    .split('/')
    .filter(Boolean)
    .reduce((count, segment) => {
      // A greedy {name+} parameter spans as many segments as its value has.
      const greedy = /^\{(.+)\+\}$/.exec(segment)?.[1];
      return count + (greedy ? (event.pathParameters?.[greedy] ?? '').split('/').length : 1);
    }, 0);
  return called.length > resourceSegments ? called.slice(0, called.length - resourceSegments).join('/') : '';
}

/** The path of `resourcePath` (e.g. `/order/1/status`) under the base path the request came in on. */
export const location = (request: { basePath: string }, resourcePath: string): string => `${request.basePath}${resourcePath}`;
