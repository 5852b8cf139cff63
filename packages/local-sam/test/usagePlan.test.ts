import { join } from 'node:path';
import type { ProvisionedStack } from '../src/provision';
import { createResolver, loadTemplate } from '../src/template';
import { generateApiKey, usagePlanOf, UsagePlanMeter } from '../src/usagePlan';

const stackWith = (parameters: Record<string, string>): ProvisionedStack => {
  const template = loadTemplate(join(__dirname, 'templates', 'helpdesk', 'template.yaml'), parameters);
  return { template, resolve: createResolver(template, {}) } as ProvisionedStack;
};

/** A meter on a clock the test moves. */
function meterAt(limits: ConstructorParameters<typeof UsagePlanMeter>[0], start = Date.UTC(2025, 0, 1, 12)) {
  const clock = { now: start };
  return { meter: new UsagePlanMeter(limits, () => clock.now), clock };
}

const admitMany = (meter: UsagePlanMeter, count: number) => Array.from({ length: count }, () => meter.admit());

describe('usagePlanOf', () => {
  it('reads the template’s usage plan for the API, its limits from the parameters', () => {
    expect(usagePlanOf(stackWith({ ApiThrottleRateLimit: '5', ApiThrottleBurstLimit: '7', ApiQuotaPerDay: '900' }), 'HelpdeskApi')).toEqual({
      rateLimit: 5,
      burstLimit: 7,
      quota: { limit: 900, period: 'DAY' },
    });
  });

  it('finds none for an API that no usage plan lists', () => {
    expect(usagePlanOf(stackWith({}), 'SomeOtherApi')).toBeUndefined();
  });
});

describe('UsagePlanMeter: API Gateway’s token bucket and daily quota', () => {
  it('lets a burst of BurstLimit requests through at once, then throttles', () => {
    const { meter } = meterAt({ rateLimit: 1, burstLimit: 3 });
    expect(admitMany(meter, 5)).toEqual(['admitted', 'admitted', 'admitted', 'throttled', 'throttled']);
  });

  it('refills at RateLimit tokens a second, never beyond BurstLimit', () => {
    const { meter, clock } = meterAt({ rateLimit: 2, burstLimit: 3 });
    admitMany(meter, 3);
    clock.now += 500;
    expect(admitMany(meter, 2)).toEqual(['admitted', 'throttled']);
    clock.now += 60_000;
    expect(admitMany(meter, 4)).toEqual(['admitted', 'admitted', 'admitted', 'throttled']);
  });

  it('refuses past the quota until the next UTC day, and does not count throttled requests', () => {
    const { meter, clock } = meterAt({ rateLimit: 1, burstLimit: 1, quota: { limit: 2, period: 'DAY' } }, Date.UTC(2025, 0, 1, 23, 59, 50));
    expect(admitMany(meter, 2)).toEqual(['admitted', 'throttled']);
    clock.now += 1000;
    expect(meter.admit()).toBe('admitted');
    clock.now += 1000;
    expect(meter.admit()).toBe('quotaExceeded');
    clock.now += 10_000;
    expect(meter.admit()).toBe('admitted');
  });

  it('does not throttle without a Throttle, nor cap without a Quota', () => {
    expect(new Set(admitMany(new UsagePlanMeter({}), 1000))).toEqual(new Set(['admitted']));
  });
});

describe('generateApiKey', () => {
  it('makes a fresh 40-character key of letters and digits each time', () => {
    const [first, second] = [generateApiKey(), generateApiKey()];
    expect(first).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(second).not.toBe(first);
  });
});
