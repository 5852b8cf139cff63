// Postman collections run by newman against the local stack: the project's own, and the original
// design's collection, unedited, as its users run it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import newman, { type NewmanRunSummary } from 'newman';
import { baseUrl } from './support/stack';

const root = join(__dirname, '..', '..');
/** The original design's collection, in the shared folder beside the repository (SHARED_DIR elsewhere). */
const originalCollection = join(process.env.SHARED_DIR ?? join(root, '..', 'shared'), 'seed', 'Order capture.postman_collection.json');

function run(collection: string, environment?: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection,
        ...(environment ? { environment } : {}),
        envVar: [{ key: 'base_url', value: baseUrl() }],
        reporters: [],
        timeoutRequest: 30_000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

const failuresOf = (summary: NewmanRunSummary) =>
  summary.run.failures.map((failure) => `${failure.source?.name ?? '?'}: ${failure.error.message}`);

const statusesOf = (summary: NewmanRunSummary) =>
  summary.run.executions.map((execution) => ({ name: execution.item.name, code: (execution.response as { code?: number } | undefined)?.code }));

describe('newman', () => {
  it('passes every test of the project’s collection (postman/) with the local environment', async () => {
    const summary = await run(join(root, 'postman', 'order-capture.postman_collection.json'), join(root, 'postman', 'local.postman_environment.json'));
    expect(failuresOf(summary)).toEqual([]);
    expect(summary.run.stats.assertions.total).toBeGreaterThan(40);
  });

  it('runs the original design’s collection unedited: no failure, no 5xx, every request answered', async () => {
    if (!existsSync(originalCollection)) throw new Error(`The original collection is not at ${originalCollection}; set SHARED_DIR to the shared folder`);
    const summary = await run(originalCollection);
    expect(failuresOf(summary)).toEqual([]);
    const statuses = statusesOf(summary);
    expect(statuses).toHaveLength(7);
    for (const { code } of statuses) expect(code).toBeLessThan(500);
    // Its first request asks for the last order before there is one: /order//status.
    expect(statuses[0]?.code).toBe(404);
    expect(statuses.slice(1).map(({ code }) => code)).toEqual([202, 200, 200, 200, 202, 200]);
  });
});
