// A TypeScript API built with esbuild from its Metadata.BuildProperties, as `sam build` does.
import { readFileSync } from 'node:fs';
import { startFixture, type FixtureStack } from './support';

let app: FixtureStack;
beforeAll(async () => {
  app = await startFixture('esbuild-api');
}, 120_000);
afterAll(() => app?.stop());

describe('an esbuild TypeScript API', () => {
  it('answers through the bundled handler, its own modules bundled and the SDK left external', async () => {
    const first = await fetch(`${app.stack.url}/hello/ada`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ message: 'Hello, ada!', visits: 1 });
    expect(await (await fetch(`${app.stack.url}/Prod/hello/ada`)).json()).toEqual({ message: 'Hello, ada!', visits: 2 });
  });

  it('builds as the BuildProperties say: ES module, .mjs, minified, with a source map', () => {
    const [fn] = app.stack.functions;
    expect(fn?.handlerFile).toMatch(/GreetingFunction\/app\.mjs$/);
    const bundle = readFileSync(fn?.handlerFile ?? '', 'utf8');
    expect(bundle).toMatch(/^import\{DynamoDBClient as \w+,UpdateItemCommand as \w+\}from"@aws-sdk\/client-dynamodb";/);
    expect(bundle).toContain('Hello, ${');
    expect(bundle).toMatch(/\/\/# sourceMappingURL=app\.mjs\.map\s*$/);
    expect(JSON.parse(readFileSync(`${fn?.handlerFile}.map`, 'utf8')).sources).toEqual(expect.arrayContaining([expect.stringMatching(/greetings\/greeting\.ts$/)]));
  });
});
