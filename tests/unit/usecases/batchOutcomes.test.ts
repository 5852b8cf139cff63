import { BatchOutcomes } from '../../../src/usecases/batchOutcomes';

describe('a batch’s outcomes', () => {
  const [a, b, c] = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];

  it('keeps each item’s outcome with the item, whatever order they are settled in, and reads them back in the batch’s order', () => {
    const outcomes = new BatchOutcomes<{ id: string }, string>([a, b, c]);
    outcomes.succeed(c, 'third');
    outcomes.fail(a, new Error('first failed'));
    outcomes.succeed(b, 'second');
    expect(outcomes.inOrder()).toEqual([{ status: 'rejected', reason: new Error('first failed') }, { status: 'fulfilled', value: 'second' }, { status: 'fulfilled', value: 'third' }]);
    expect(outcomes.get(b)).toEqual({ status: 'fulfilled', value: 'second' });
  });

  it('fails an item that was never settled', () => {
    const outcomes = new BatchOutcomes<{ id: string }, string>([a, b]);
    outcomes.succeed(a, 'done');
    expect(outcomes.get(b)).toBeUndefined();
    expect(outcomes.entries()[1]).toEqual([b, { status: 'rejected', reason: new Error('no outcome was recorded for this item') }]);
  });

  it('fails the items a sending port could not send, by the order they were sent in', () => {
    const outcomes = new BatchOutcomes<{ id: string }, string>([a, b, c]);
    for (const item of [a, b, c]) outcomes.succeed(item, 'checked');
    outcomes.failUnsent([c, a], [new Error('SQS refused'), undefined]);
    expect(outcomes.inOrder().map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  });
});
