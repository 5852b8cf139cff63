// npm run test:deployed -- --stack NAME [--region REGION] [--final-within SECONDS]
// The end-to-end checks against a deployed stack: reads its outputs and API key with the AWS SDK
// (stack.ts), runs the Postman collection with newman, then the guarantee smoke (smoke.ts). Exits
// 1 if anything failed. It writes only accounts, products and orders of its own, named with a
// fresh run id; it deletes nothing (the API has no delete), so they stay in the tables.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import newman, { type NewmanRunSummary } from 'newman';
import { SMOKE_CHECKS, type Api } from './smoke';
import { readDeployedStack } from './stack';

const COLLECTION = join(__dirname, '..', '..', 'postman', 'order-capture.postman_collection.json');

function runCollection(baseUrl: string, apiKey: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: COLLECTION,
        envVar: [
          { key: 'base_url', value: baseUrl },
          { key: 'x-api-key', value: apiKey },
        ],
        reporters: ['cli'],
        reporter: { cli: { noSummary: false, noBanner: true } },
        timeoutRequest: 30_000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { stack: { type: 'string' }, region: { type: 'string' }, 'final-within': { type: 'string', default: '120' } },
    strict: true,
  });
  if (!values.stack) {
    process.stderr.write('Usage: npm run test:deployed -- --stack NAME [--region REGION] [--final-within SECONDS]\n');
    return 2;
  }
  const stack = await readDeployedStack(values.stack, values.region);
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const list = (entries: Record<string, string>) => Object.values(entries).flatMap((value) => value.split(' ')).join(', ');
  process.stdout.write(
    [
      `Checking the deployed stack ${stack.stackName} (${stack.region}), run ${runId}`,
      `  API      ${stack.apiUrl} (API key ${stack.apiKeyId})`,
      `  tables   ${list(stack.tables)}`,
      `  queues   ${list(stack.queues)}`,
      '  It writes only accounts, products and orders of its own, through the API: the collection\'s',
      `  named pm-*-<its run id>, the smoke's named deployed-${runId}-*. It changes nothing else and`,
      '  deletes nothing (they stay in the tables).',
      '',
    ].join('\n'),
  );

  let failures = 0;
  process.stdout.write('==> newman: postman/order-capture.postman_collection.json\n');
  const summary = await runCollection(stack.apiUrl, stack.apiKey);
  const { assertions, requests } = summary.run.stats;
  const [asserted, failedAssertions] = [assertions.total ?? 0, assertions.failed ?? 0];
  failures += summary.run.failures.length;
  process.stdout.write(`newman: ${requests.total ?? 0} requests, ${asserted - failedAssertions} of ${asserted} assertions passed, ${summary.run.failures.length} failures\n\n`);

  process.stdout.write('==> guarantee smoke\n');
  const api: Api = { baseUrl: stack.apiUrl, apiKey: stack.apiKey, runId, finalWithinMs: Number(values['final-within']) * 1000 };
  const results = await Promise.all(
    SMOKE_CHECKS.map(async (check) => {
      try {
        await check.run(api);
        return { name: check.name, error: undefined };
      } catch (error) {
        return { name: check.name, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  for (const { name, error } of results) process.stdout.write(error ? `  FAIL  ${name}: ${error}\n` : `  ok    ${name}\n`);
  const smokeFailed = results.filter((result) => result.error).length;
  failures += smokeFailed;
  process.stdout.write(`smoke: ${results.length - smokeFailed} passed, ${smokeFailed} failed\n\n`);
  process.stdout.write(failures === 0 ? `The deployed stack ${stack.stackName} passed every check.\n` : `The deployed stack ${stack.stackName} failed ${failures} check(s).\n`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`test:deployed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
