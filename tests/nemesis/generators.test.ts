// The nemesis's generators: a seed gives one schedule and one workload, the same on every run, and
// the fault spec it prints is one `npm start -- --faults` accepts as it is.
import { drawSchedule, faultSpec, LOAD_SECONDS, LOAD_START, RETRY_BUDGET_SECONDS } from './faultSchedule';
import { CI_SEEDS, parseArgs } from './run';
import { readFaultSpec } from './stack';
import { drawPlan } from './workload';

const SEEDS = Array.from({ length: 40 }, (_, index) => index + 1);

describe('the fault schedule', () => {
  it('is the same for the same seed, and differs between seeds', () => {
    expect(drawSchedule(1234)).toEqual(drawSchedule(1234));
    expect(faultSpec(drawSchedule(1).faults)).not.toEqual(faultSpec(drawSchedule(2).faults));
  });

  it.each(SEEDS)('prints, for seed %i, a --faults spec that parses back to the schedule', (seed) => {
    const { faults } = drawSchedule(seed);
    expect(readFaultSpec(faultSpec(faults))).toEqual(faults);
  });

  it('draws several overlapping rules of every kind --faults has, across the seeds', () => {
    const rules = SEEDS.flatMap((seed) => drawSchedule(seed).faults.rules);
    expect(new Set(rules.map((rule) => rule.kind))).toEqual(new Set(['throttle', 'internal-error', 'slow', 'drop', 'transaction-conflict', 'outage', 'timeout', 'reserved-concurrency']));
    expect(rules.some((rule) => 'table' in rule && rule.table)).toBe(true);
    expect(rules.some((rule) => rule.fromCall !== undefined && rule.times !== undefined)).toBe(true);
    for (const seed of SEEDS) expect(drawSchedule(seed).faults.rules.length).toBeGreaterThanOrEqual(4);
  });

  it('keeps every outage but the long one shorter than the retry budget, and makes the long one longer', () => {
    const schedules = SEEDS.map(drawSchedule);
    const long = schedules.filter((schedule) => schedule.longOutage);
    expect(long.length).toBeGreaterThan(5);
    expect(long.length).toBeLessThan(SEEDS.length - 5);
    for (const { faults, longOutage } of schedules) {
      const outages = faults.rules.filter((rule) => rule.kind === 'outage' && rule.rate === undefined);
      for (const { window: [start = 0, end = Infinity] = [] } of outages) {
        if (longOutage && start === longOutage.window[0] && end === longOutage.window[1]) expect(end - start).toBeGreaterThan(RETRY_BUDGET_SECONDS);
        else expect(end - start).toBeLessThan(RETRY_BUDGET_SECONDS / 2);
      }
      if (longOutage) expect(longOutage.redriveAt).toBeGreaterThan(longOutage.window[1]);
    }
  });

  it('puts every window inside the load, after the books are opened', () => {
    for (const seed of SEEDS) {
      for (const rule of drawSchedule(seed).faults.rules) if (rule.window) expect(rule.window[0]).toBeGreaterThanOrEqual(LOAD_START);
    }
  });
});

describe('the workload', () => {
  it('is the same for the same seed, and differs between seeds', () => {
    expect(drawPlan(1234)).toEqual(drawPlan(1234));
    expect(drawPlan(1)).not.toEqual(drawPlan(2));
  });

  it('races keyed and unkeyed clients on both routes with top-ups of credit and stock, all within the load', () => {
    const { actions } = drawPlan(7);
    const placements = actions.flatMap((action) => (action.kind === 'placement' ? [action] : []));
    const topUps = actions.flatMap((action) => (action.kind === 'top-up' ? [action] : []));
    expect(new Set(placements.map((p) => `${p.path} ${p.key ? 'keyed' : 'unkeyed'}`))).toEqual(new Set(['/order keyed', '/order unkeyed', '/orders keyed', '/orders unkeyed']));
    expect(placements.some((p) => p.repeatAfterAccepted)).toBe(true);
    expect(new Set(topUps.map((t) => t.route))).toEqual(new Set(['account', 'stock']));
    for (const action of actions) expect(action.at).toBeLessThan(LOAD_SECONDS * 1000);
  });

  it('gives every order of a seed its own total, so that an order stored without a 202 can be traced to its request', () => {
    for (const seed of SEEDS) {
      const totals = drawPlan(seed).actions.flatMap((action) => (action.kind === 'placement' ? action.orders.map((order) => order.totalAmount) : []));
      expect(new Set(totals).size).toBe(totals.length);
    }
  });

  it('never names a product twice in one order (the API refuses that), in any seed', () => {
    for (const seed of [...SEEDS, 22]) {
      const orders = drawPlan(seed).actions.flatMap((action) => (action.kind === 'placement' ? action.orders : []));
      expect(orders.filter((order) => new Set(order.items.map((item) => item.productId)).size !== order.items.length)).toEqual([]);
    }
  });

  it('makes some credit and stock scarce, so that some orders are refused for business reasons', () => {
    const plan = drawPlan(3);
    const orders = plan.actions.flatMap((action) => (action.kind === 'placement' ? action.orders : []));
    const scarce = Object.entries(plan.credit).filter(([, cents]) => cents < 20_000);
    expect(scarce.length).toBeGreaterThan(0);
    for (const [customerId, cents] of scarce) {
      const asked = orders.filter((order) => order.customerId === customerId).reduce((sum, order) => sum + Math.round(order.totalAmount * 100), 0);
      expect(asked).toBeGreaterThan(cents);
    }
  });
});

describe('the runner’s arguments', () => {
  it('runs the CI seeds at once by default, one seed to replay it, or a range', () => {
    expect(parseArgs([])).toEqual({ seeds: CI_SEEDS, parallel: CI_SEEDS.length });
    expect(CI_SEEDS.length).toBeGreaterThanOrEqual(3);
    expect(parseArgs(['--seed', '1234'])).toEqual({ seeds: [1234], parallel: 1 });
    expect(parseArgs(['--seeds', '4'])).toEqual({ seeds: [1, 2, 3, 4], parallel: 1 });
    expect(parseArgs(['--seeds', '11-13', '--parallel', '2'])).toEqual({ seeds: [11, 12, 13], parallel: 2 });
    expect(() => parseArgs(['--seed'])).toThrow(/--seed needs a number/);
    expect(() => parseArgs(['--seeds', '5-2'])).toThrow(/no seeds/);
    expect(() => parseArgs(['--sed', '3'])).toThrow(/unknown option --sed/);
  });
});
