import { nextCheckStep, resultsByOrder } from '../../../src/domain/checkResults';
import { OrderStatus, READY_TO_SHIP_LOG, type OrderProgress } from '../../../src/domain/order';
import { checkResult } from '../../support/factories';

const pending: OrderProgress = { status: OrderStatus.Pending };
const creditPassed = checkResult({ orderId: 'o', check: 'CREDIT', detail: 'Credit check passed' });
const creditFailed = checkResult({ orderId: 'o', check: 'CREDIT', passed: false, reason: 'no-account', detail: 'Credit check failed' });
const stockPassed = checkResult({ orderId: 'o', check: 'STOCK', detail: 'Stock check passed' });
const stockFailed = checkResult({ orderId: 'o', check: 'STOCK', passed: false, reason: 'insufficient-stock', detail: 'Stock check failed' });

describe('what check results do to an order', () => {
  it('records the first check of a PENDING order and leaves it PENDING', () => {
    expect(nextCheckStep(pending, [creditPassed])).toEqual({
      kind: 'update',
      update: { from: pending, to: { status: 'PENDING', creditCheck: 'PASSED' }, recorded: [creditPassed], logLines: ['Credit check passed'] },
    });
  });

  it('moves the order to READY_TO_SHIP with the second passed check', () => {
    const from = { status: OrderStatus.Pending, stockCheck: 'PASSED' } as const;
    expect(nextCheckStep(from, [creditPassed])).toEqual({
      kind: 'update',
      update: { from, to: { status: 'READY_TO_SHIP', creditCheck: 'PASSED', stockCheck: 'PASSED' }, recorded: [creditPassed], logLines: ['Credit check passed', READY_TO_SHIP_LOG] },
    });
  });

  it('records both checks and moves the order on at once when both results come together, logging them as they came', () => {
    const step = nextCheckStep(pending, [stockPassed, creditPassed]);
    expect(step).toMatchObject({ kind: 'update', update: { to: { status: 'READY_TO_SHIP' }, logLines: ['Stock check passed', 'Credit check passed', READY_TO_SHIP_LOG] } });
  });

  it('rejects the order for the first failed result, recording the results before it and none after, as one after another would', () => {
    expect(nextCheckStep(pending, [creditPassed, stockFailed])).toEqual({
      kind: 'update',
      update: { from: pending, to: { status: 'REJECTED', creditCheck: 'PASSED', stockCheck: 'FAILED' }, recorded: [creditPassed, stockFailed], logLines: ['Credit check passed', 'Stock check failed'], rejectedFor: stockFailed },
    });
    expect(nextCheckStep(pending, [stockFailed, creditPassed])).toEqual({
      kind: 'update',
      update: { from: pending, to: { status: 'REJECTED', stockCheck: 'FAILED' }, recorded: [stockFailed], logLines: ['Stock check failed'], rejectedFor: stockFailed },
    });
    expect(nextCheckStep(pending, [stockFailed, creditFailed])).toMatchObject({ update: { recorded: [stockFailed], rejectedFor: stockFailed } });
  });

  it('counts only the first result of a check: a repeat or a contrary second one changes nothing', () => {
    expect(nextCheckStep({ status: OrderStatus.Pending, creditCheck: 'PASSED' }, [creditPassed, creditFailed])).toEqual({ kind: 'none' });
    expect(nextCheckStep(pending, [creditPassed, creditFailed])).toMatchObject({ update: { to: { status: 'PENDING', creditCheck: 'PASSED' }, recorded: [creditPassed] } });
  });

  it('requests the shipment again for a passed result repeated once the order is READY_TO_SHIP, and nothing for a failed one', () => {
    const ready = { status: OrderStatus.ReadyToShip, creditCheck: 'PASSED', stockCheck: 'PASSED' } as const;
    expect(nextCheckStep(ready, [stockPassed])).toEqual({ kind: 'request-shipping-again' });
    expect(nextCheckStep(ready, [creditFailed])).toEqual({ kind: 'none' });
  });

  it.each([OrderStatus.Shipped, OrderStatus.Rejected])('changes nothing on a %s order', (status) => {
    expect(nextCheckStep({ status }, [creditPassed, stockFailed])).toEqual({ kind: 'none' });
  });

  it('moves on a PENDING order whose two checks were recorded apart, without recording anything', () => {
    const from = { status: OrderStatus.Pending, creditCheck: 'PASSED', stockCheck: 'PASSED' } as const;
    expect(nextCheckStep(from, [])).toEqual({ kind: 'update', update: { from, to: { ...from, status: 'READY_TO_SHIP' }, recorded: [], logLines: [READY_TO_SHIP_LOG] } });
  });

  it('decides from the order’s progress alone, whatever else the order holds', () => {
    const order = { status: OrderStatus.Pending, creditCheck: 'PASSED' as const, logs: ['Order received'], customerId: 'c' };
    expect(nextCheckStep(order, [stockPassed])).toMatchObject({ update: { from: { status: 'PENDING', creditCheck: 'PASSED' }, to: { status: 'READY_TO_SHIP', creditCheck: 'PASSED', stockCheck: 'PASSED' } } });
    const step = nextCheckStep(order, [stockPassed]);
    expect(step.kind === 'update' && Object.keys(step.update.from)).toEqual(['status', 'creditCheck']);
  });
});

describe('the messages of a batch by order', () => {
  it('lists each order’s messages, in the order they came', () => {
    const [a0, b1, a2, c3, a4] = [{ orderId: 'a', n: 0 }, { orderId: 'b', n: 1 }, { orderId: 'a', n: 2 }, { orderId: 'c', n: 3 }, { orderId: 'a', n: 4 }];
    expect(resultsByOrder([a0, b1, a2, c3, a4] as { orderId: string; n: number }[])).toEqual(
      new Map([
        ['a', [a0, a2, a4]],
        ['b', [b1]],
        ['c', [c3]],
      ]),
    );
  });
});
