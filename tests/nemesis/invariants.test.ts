// The invariants catch what they name: each check fails on a history that breaks it.
import type { Order } from '../../src/domain/order';
import type { FaultSchedule } from './faultSchedule';
import { judge, type Observed } from './invariants';
import type { History, Plan, PlacementPlan } from './workload';

const body = { customerId: 'c', items: [{ productId: 'p', qty: 2 }], totalAmount: 10 };
const plan: Plan = { seed: 1, credit: { c: 5_000 }, stock: { p: 10 }, actions: [] };
const schedule: FaultSchedule = { seed: 1, faults: { seed: 1, rules: [] } };
const placement = (key?: string): PlacementPlan => ({ kind: 'placement', at: 0, path: '/order', orders: [body], ...(key ? { key } : {}), patienceMs: 1000, repeatAfterAccepted: false });
const order = (orderId: string, status: Order['status'], logs: string[]): Order => ({ orderId, status, customerId: 'c', items: body.items, totalCents: 1000, createdAt: '', updatedAt: '', logs });
const shipped = (orderId: string) => order(orderId, 'SHIPPED', ['Shipped: charged 10.00, stock deducted']);
const observed = (orders: Order[], credit = 4_000, stock = 8): Observed => ({ orders, accounts: new Map([['c', credit]]), stock: new Map([['p', stock]]), workQueueDepths: { ShipOrderQueue: 0 }, deadLetters: {} });
const history = (placements: History['placements'], topUps: History['topUps'] = []): History => ({ placements, topUps, redrives: [] });
const invariants = (verdict: ReturnType<typeof judge>) => verdict.violations.map((violation) => violation.invariant);

describe('the invariants', () => {
  it('pass a history the contract allows', () => {
    const verdict = judge(plan, schedule, history([{ plan: placement('k'), attempts: [{ status: 503 }, { status: 202, orderIds: ['a'] }], repeats: [{ status: 202, orderIds: ['a'] }] }]), observed([shipped('a')]));
    expect(verdict.violations).toEqual([]);
  });

  it('catch a key answered two different orders, and an accepted order that is not final', () => {
    const verdict = judge(plan, schedule, history([{ plan: placement('k'), attempts: [{ status: 202, orderIds: ['a'] }], repeats: [{ status: 202, orderIds: ['b'] }] }]), observed([shipped('a'), order('b', 'PENDING', [])]));
    expect(invariants(verdict)).toEqual(expect.arrayContaining(['a key answers the same orders every time', 'every accepted order is final']));
  });

  it('count an unkeyed 504 whose order shipped as the residual, and fail an unkeyed 503 whose order shipped', () => {
    const residual = judge(plan, schedule, history([{ plan: placement(), attempts: [{ status: 504 }], repeats: [] }]), observed([shipped('a')]));
    expect(residual.violations).toEqual([]);
    expect(residual.unkeyedResidual).toEqual(['a']);
    const refused = judge(plan, schedule, history([{ plan: placement(), attempts: [{ status: 503 }], repeats: [] }]), observed([shipped('a')]));
    expect(invariants(refused)).toEqual(['no order ships that no client was answered 202 for']);
  });

  it('hold balances to start + top-ups answered 200 (+ some whose answer was lost) - shipped, and count a 412 as nothing changed', () => {
    const placed = [{ plan: placement('k'), attempts: [{ status: 202 as const, orderIds: ['a'] }], repeats: [] }];
    const applied = { route: 'account' as const, id: 'c', amount: 300, outcome: 'applied' as const, status: 200 };
    const lost = { ...applied, amount: 50, outcome: 'unknown' as const, status: 504 };
    expect(judge(plan, schedule, history(placed, [applied, lost]), observed([shipped('a')], 4_350)).violations).toEqual([]);
    expect(judge(plan, schedule, history(placed, [applied, lost]), observed([shipped('a')], 4_300)).violations).toEqual([]);
    const stale = { ...applied, outcome: 'stale' as const, status: 412 };
    const verdict = judge(plan, schedule, history(placed, [stale]), observed([shipped('a')], 4_300));
    expect(invariants(verdict)).toEqual(["every customer's credit is start + top-ups - shipped"]);
    expect(verdict.violations[0]?.detail).toMatch(/a 412 followed a write that took effect/);
  });

  it('catch a rejection without a reason, a dead letter without a long outage, and a queue left with messages', () => {
    const placed = [{ plan: placement('k'), attempts: [{ status: 202 as const, orderIds: ['a'] }], repeats: [] }];
    const state = { ...observed([order('a', 'REJECTED', ['Rejected: it waited too long'])], 5_000, 10), workQueueDepths: { ShipOrderQueue: 2 }, deadLetters: { ShipOrderDeadLetterQueue: ['a'] } };
    expect(invariants(judge(plan, schedule, history(placed), state))).toEqual([
      'every rejection names a business reason or its dead-letter queue',
      'the work queues end empty',
      'no dead letter outside the long outage',
    ]);
  });
});
