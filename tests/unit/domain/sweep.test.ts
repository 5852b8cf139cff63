import { OrderStatus } from '../../../src/domain/order';
import {
  DeadLetterSource,
  deadLetterRejectionLog,
  deadLetterSubject,
  firstSweepAt,
  isHeldUpBy,
  MAX_SWEEP_INTERVAL_SECONDS,
  nextSweepAt,
  sweepAction,
  sweepShardOf,
  SWEEP_SHARDS,
} from '../../../src/domain/sweep';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const pending = { status: OrderStatus.Pending };

describe('the sweep index', () => {
  it('spreads orders over every shard, each order always on the same one', () => {
    const shards = Array.from({ length: 2000 }, (_, index) => sweepShardOf(`order-${index}`));
    expect(new Set(shards)).toEqual(new Set(Array.from({ length: SWEEP_SHARDS }, (_, shard) => String(shard))));
    expect(sweepShardOf('order-7')).toBe(shards[7]);
  });

  it('first looks at an order one deadline after it was placed', () => {
    expect(firstSweepAt('2026-03-01T12:00:00.000Z', 300)).toBe('2026-03-01T12:05:00.000Z');
  });

  it('looks again after the deadline, then twice as long each time, up to an hour', () => {
    const waits = [0, 1, 2, 3, 4, 10].map((nudges) => (Date.parse(nextSweepAt(NOW, 300, nudges)) - NOW.getTime()) / 1000);
    expect(waits).toEqual([300, 600, 1200, 2400, MAX_SWEEP_INTERVAL_SECONDS, MAX_SWEEP_INTERVAL_SECONDS]);
  });

  it('never looks again sooner than the deadline, even when it is longer than an hour', () => {
    expect(nextSweepAt(NOW, 86_400, 5)).toBe(new Date(NOW.getTime() + 86_400_000).toISOString());
  });
});

describe('what the sweeper does with an order whose time has come', () => {
  it('announces a PENDING order again while a check result is missing', () => {
    expect(sweepAction(pending, ago(1), NOW)).toEqual({ kind: 'announce' });
    expect(sweepAction({ ...pending, creditCheck: 'PASSED' }, ago(1), NOW)).toEqual({ kind: 'announce' });
  });

  it('moves a PENDING order whose checks both passed on to READY_TO_SHIP, rather than rejecting it', () => {
    expect(sweepAction({ ...pending, creditCheck: 'PASSED', stockCheck: 'PASSED' }, ago(3600), NOW)).toEqual({ kind: 'mark-ready-to-ship' });
  });

  it('asks again for the shipment of a READY_TO_SHIP order, however long it waited', () => {
    expect(sweepAction({ status: OrderStatus.ReadyToShip }, ago(86_400 * 3), NOW)).toEqual({ kind: 'request-shipping' });
  });

  it('only takes a final order out of the index', () => {
    expect(sweepAction({ status: OrderStatus.Shipped }, ago(1), NOW)).toEqual({ kind: 'leave-index' });
    expect(sweepAction({ status: OrderStatus.Rejected }, ago(1), NOW)).toEqual({ kind: 'leave-index' });
  });

  it('leaves alone an order whose next look another run has already moved on', () => {
    expect(sweepAction(pending, new Date(NOW.getTime() + 1000).toISOString(), NOW)).toEqual({ kind: 'none' });
    expect(sweepAction(pending, undefined, NOW)).toEqual({ kind: 'none' });
  });
});

describe('dead letters', () => {
  const order = { orderId: 'o-1', customerId: 'c', items: [{ productId: 'p', qty: 1 }], totalAmount: '1.00' };

  it('name the order and the check their queue was for', () => {
    expect(deadLetterSubject(DeadLetterSource.CreditCheck, JSON.stringify(order))).toEqual({ orderId: 'o-1', status: 'PENDING', check: 'CREDIT' });
    expect(deadLetterSubject(DeadLetterSource.StockCheck, JSON.stringify(order))).toEqual({ orderId: 'o-1', status: 'PENDING', check: 'STOCK' });
    expect(deadLetterSubject(DeadLetterSource.CheckResult, JSON.stringify({ orderId: 'o-1', check: 'STOCK', passed: true, detail: 'd' }))).toEqual({
      orderId: 'o-1',
      status: 'PENDING',
      check: 'STOCK',
    });
    expect(deadLetterSubject(DeadLetterSource.Shipment, '{"orderId":"o-1"}')).toEqual({ orderId: 'o-1', status: 'READY_TO_SHIP' });
  });

  it.each([['not json {'], ['[]'], ['null'], ['"o-1"'], ['{"orderId":42}'], ['{"orderId":""}'], ['{"order":"o-1"}']])('name no order in %s', (body) => {
    for (const source of Object.values(DeadLetterSource)) expect(deadLetterSubject(source, body)).toBeUndefined();
  });

  it('name no order when a check result does not say which check', () => {
    expect(deadLetterSubject(DeadLetterSource.CheckResult, JSON.stringify({ orderId: 'o-1', check: 'PRICE' }))).toBeUndefined();
  });

  it('hold up an order only while it is where their message left it', () => {
    const credit = { orderId: 'o-1', status: OrderStatus.Pending, check: 'CREDIT' as const };
    expect(isHeldUpBy(credit, pending)).toBe(true);
    expect(isHeldUpBy(credit, { ...pending, stockCheck: 'PASSED' })).toBe(true);
    expect(isHeldUpBy(credit, { ...pending, creditCheck: 'PASSED' })).toBe(false);
    expect(isHeldUpBy(credit, { status: OrderStatus.ReadyToShip })).toBe(false);
    const shipment = { orderId: 'o-1', status: OrderStatus.ReadyToShip };
    expect(isHeldUpBy(shipment, { status: OrderStatus.ReadyToShip })).toBe(true);
    expect(isHeldUpBy(shipment, { status: OrderStatus.Shipped })).toBe(false);
  });

  it('give a rejection that says what failed, how often, and where the message is', () => {
    const subject = (check?: 'CREDIT' | 'STOCK') => ({ orderId: 'o', status: OrderStatus.Pending, ...(check ? { check } : {}) });
    expect(deadLetterRejectionLog(DeadLetterSource.CreditCheck, subject('CREDIT'), 5, 'BalanceCheckerDeadLetterQueue')).toBe(
      'Rejected: its credit check failed 5 times and its message was dead-lettered (BalanceCheckerDeadLetterQueue)',
    );
    expect(deadLetterRejectionLog(DeadLetterSource.StockCheck, subject('STOCK'), 3, 'StockCheckerDeadLetterQueue')).toBe(
      'Rejected: its stock check failed 3 times and its message was dead-lettered (StockCheckerDeadLetterQueue)',
    );
    expect(deadLetterRejectionLog(DeadLetterSource.CheckResult, subject('STOCK'), 5, 'OrderUpdateDeadLetterQueue')).toBe(
      'Rejected: its stock check result could not be recorded in 5 attempts and its message was dead-lettered (OrderUpdateDeadLetterQueue)',
    );
    expect(deadLetterRejectionLog(DeadLetterSource.Shipment, { orderId: 'o', status: OrderStatus.ReadyToShip }, 5, 'ShipOrderDeadLetterQueue')).toBe(
      'Rejected at shipping: its shipment failed 5 times and its message was dead-lettered (ShipOrderDeadLetterQueue)',
    );
  });
});
