// During a gradual deployment (docs/deploy.md) the old and the new version of a function consume the
// same queues, and a rollback hands the new version's messages to the old one. So a message stays
// readable by the version before and the version after: a consumer ignores a field it does not know,
// and a field added in a release is optional for the next. Here, every message today's code writes
// goes through each queue consumer's parser as written, and with fields added by a later release.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as messages from '../../../src/domain/messages';
import { parseCheckResult, parseOrderPlaced, parseShipmentRequest, toOrderPlacedMessage, toShipmentRequestMessage } from '../../../src/domain/messages';
import { Check, type CheckResult } from '../../../src/domain/order';
import { entryPointOf, eventQueueOf, functionIds, ROOT } from '../../template/stack';

const order = { orderId: 'o-1', customerId: 'c-1', items: [{ productId: 'p-1', qty: 2 }, { productId: 'p-2', qty: 1 }], totalCents: 18778, createdAt: '2026-01-01T00:00:00.000Z' };
const failedCredit: CheckResult = { orderId: 'o-1', check: Check.Credit, passed: false, detail: 'Credit check failed', reason: 'insufficient-credit' };
const passedStock: CheckResult = { orderId: 'o-1', check: Check.Stock, passed: true, detail: 'Stock check passed' };

/** What a queue holds: the JSON text of the message, read back. */
const onTheWire = (message: object): Record<string, unknown> => JSON.parse(JSON.stringify(message)) as Record<string, unknown>;

/** The message as a later release might write it: a field at the top and one in each item. */
function withAddedFields(message: Record<string, unknown>): Record<string, unknown> {
  const items = Array.isArray(message.items) ? { items: (message.items as Record<string, unknown>[]).map((item) => ({ ...item, giftWrap: true })) } : {};
  return { ...message, ...items, priority: 'express', trace: { hop: 3 } };
}

/** The messages today's code writes, by the parser that reads them. */
const QUEUES = [
  { parser: 'parseOrderPlaced', parse: parseOrderPlaced, written: [toOrderPlacedMessage(order)] },
  { parser: 'parseCheckResult', parse: parseCheckResult, written: [failedCredit, passedStock] },
  { parser: 'parseShipmentRequest', parse: parseShipmentRequest, written: [toShipmentRequestMessage(order)] },
] as const;

describe('messages between versions', () => {
  it('cover every queue consumer of template.yaml, by the parser its handler reads records with', () => {
    const consumers = functionIds().filter((functionId) => eventQueueOf(functionId) !== undefined);
    expect(consumers.length).toBeGreaterThan(0);
    for (const functionId of consumers) {
      const entry = readFileSync(join(ROOT, entryPointOf(functionId)), 'utf8');
      // The two checkers read their records through one consumer of their own (src/sqs/checker.ts).
      const consumer = /checkerConsumer\(/.test(entry) ? readFileSync(join(ROOT, 'src', 'sqs', 'checker.ts'), 'utf8') : entry;
      const parser = /sqsConsumer\(\s*(parse\w+)/.exec(consumer)?.[1] ?? '';
      expect({ functionId, parser: QUEUES.some((queue) => queue.parser === parser) }).toEqual({ functionId, parser: true });
      expect(typeof (messages as Record<string, unknown>)[parser]).toBe('function');
    }
  });

  it.each(QUEUES)('$parser reads a message written by a later release that added fields as it reads today’s', ({ parse, written }) => {
    expect(written.length).toBeGreaterThan(0);
    for (const message of written) {
      const today = parse(onTheWire(message));
      expect(parse(withAddedFields(onTheWire(message)))).toEqual(today);
    }
  });
});
