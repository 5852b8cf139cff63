// A CRUD web API as `sam init`'s quick-start-web writes one: a SimpleTable, the implicit API with
// path parameters, plain .mjs handlers with no build and no CodeUri.
import { startFixture, type FixtureStack } from './support';

let app: FixtureStack;
beforeAll(async () => {
  app = await startFixture('crud-api');
}, 120_000);
afterAll(() => app?.stop());

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${app.stack.url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
};

describe('a CRUD API on a SimpleTable through the implicit API', () => {
  it('stores an item and reads it back by its path parameter, with and without the Prod stage', async () => {
    expect(await call('POST', '/items', { id: 'pen', colour: 'blue' })).toEqual({ status: 201, body: { id: 'pen', colour: 'blue' } });
    expect(await call('GET', '/items/pen')).toEqual({ status: 200, body: { id: 'pen', colour: 'blue' } });
    expect(await call('GET', '/Prod/items/pen')).toEqual({ status: 200, body: { id: 'pen', colour: 'blue' } });
  });

  it('updates and deletes an item in the table', async () => {
    await call('POST', '/items', { id: 'cup', colour: 'red' });
    expect(await call('PUT', '/items/cup', { colour: 'green' })).toEqual({ status: 200, body: { id: 'cup', colour: 'green' } });
    expect(await call('GET', '/items/cup')).toEqual({ status: 200, body: { id: 'cup', colour: 'green' } });
    expect((await call('DELETE', '/items/cup')).status).toBe(204);
    expect((await call('GET', '/items/cup')).status).toBe(404);
  });

  it('serves the routes under ServerlessRestApi, stage Prod, and only those', async () => {
    expect(app.stack.api).toMatchObject({ logicalId: 'ServerlessRestApi', stage: 'Prod' });
    expect((await call('GET', '/nothing-here')).status).toBe(403);
  });

  it('resolves Globals, parameters, conditions and intrinsics into the environment', async () => {
    const { body } = await call('GET', '/config');
    expect(body).toEqual({
      MODE: 'development',
      GREETING: 'hello from crud-api',
      FIRST_ZONE: 'us-east-1a',
      PATH_PARTS: 'items/dev/b',
      ALIAS: 'arn:aws:lambda:us-east-1:000000000000:function:crud-api-ItemsFunction:live',
      TABLE_NAME: app.ref('ItemsTable'),
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    });
    // A resource whose Condition is false is not created.
    expect(app.stack.queues).toEqual([]);
    expect(app.stack.outputs).toMatchObject({
      ApiUrl: 'https://local.execute-api.us-east-1.amazonaws.com/Prod/',
      ItemsAlias: 'arn:aws:lambda:us-east-1:000000000000:function:crud-api-ItemsFunction:live',
      ItemsRole: 'arn:aws:iam::000000000000:role/crud-api-ItemsFunctionRole',
    });
  });

  it('names at startup what it does not run: the nested application, the runtime it does not have, unenforced policies', () => {
    const warnings = app.stack.warnings.join('\n');
    expect(warnings).toMatch(/SharedLibrary \(AWS::Serverless::Application\) is not run locally/);
    expect(warnings).toMatch(new RegExp(`Runtime nodejs24.x runs on this machine's Node.js ${process.versions.node} \\(ConfigFunction\\)`));
    expect(warnings).toMatch(/Policies and Role .* not enforced.*\(ItemsFunction\)/);
    expect(warnings).toMatch(/DeploymentPreference: accepted: there is one local version and no traffic shifting \(ItemsFunction\)/);
  });
});
