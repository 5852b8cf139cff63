// API keys and usage plans as the deployed API enforces them: one key (generated at startup, as
// the template's AWS::ApiGateway::ApiKey is on deploy), metered by the usage plan that lists the
// API's stage. Throttling is API Gateway's token bucket: the bucket holds BurstLimit tokens, refills
// at RateLimit tokens a second and starts full; each request takes one. The quota counts the
// requests let through per period (DAY: a UTC calendar day).
import { randomInt } from 'node:crypto';
import type { ProvisionedStack } from './provision';

export interface UsagePlanLimits {
  rateLimit?: number;
  burstLimit?: number;
  quota?: { limit: number; period: 'DAY' };
}

/** The limits of the stack's usage plan for this API (matched by its ApiStages' ApiId), if it has one. */
export function usagePlanOf(stack: ProvisionedStack, apiLogicalId: string): UsagePlanLimits | undefined {
  const plan = Object.values(stack.template.resources).find(
    (resource) =>
      resource.type === 'AWS::ApiGateway::UsagePlan' &&
      ((resource.properties.ApiStages ?? []) as { ApiId?: { Ref?: string } }[]).some((stage) => stage.ApiId?.Ref === apiLogicalId),
  );
  if (!plan) return undefined;
  const throttle = stack.resolve(plan.properties.Throttle) as { RateLimit?: unknown; BurstLimit?: unknown } | undefined;
  const quota = stack.resolve(plan.properties.Quota) as { Limit?: unknown; Period?: unknown; Offset?: unknown } | undefined;
  if (quota && (quota.Period !== 'DAY' || Number(quota.Offset ?? 0) !== 0)) {
    throw new Error(`${plan.logicalId}: the local runtime meters quotas per UTC day only (Period DAY, no Offset)`);
  }
  return {
    ...(throttle?.RateLimit !== undefined ? { rateLimit: Number(throttle.RateLimit) } : {}),
    ...(throttle?.BurstLimit !== undefined ? { burstLimit: Number(throttle.BurstLimit) } : {}),
    ...(quota ? { quota: { limit: Number(quota.Limit), period: 'DAY' as const } } : {}),
  };
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A key value like the ones API Gateway generates: 40 letters and digits. */
export const generateApiKey = (): string => Array.from({ length: 40 }, () => KEY_ALPHABET[randomInt(KEY_ALPHABET.length)]).join('');

export type Admission = 'admitted' | 'throttled' | 'quotaExceeded';

export class UsagePlanMeter {
  private tokens: number;
  private refilledAt: number;
  private quotaDay = '';
  private usedToday = 0;

  constructor(
    readonly limits: UsagePlanLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limits.burstLimit ?? Number.POSITIVE_INFINITY;
    this.refilledAt = now();
  }

  /** Meters one request of the key: throttled when the bucket is empty, refused when the quota is used up. */
  admit(): Admission {
    const now = this.now();
    const { rateLimit, burstLimit, quota } = this.limits;
    if (burstLimit !== undefined && rateLimit !== undefined) {
      this.tokens = Math.min(burstLimit, this.tokens + ((now - this.refilledAt) / 1000) * rateLimit);
      this.refilledAt = now;
      if (this.tokens < 1) return 'throttled';
    }
    if (quota) {
      const day = new Date(now).toISOString().slice(0, 10);
      if (day !== this.quotaDay) [this.quotaDay, this.usedToday] = [day, 0];
      if (this.usedToday >= quota.limit) return 'quotaExceeded';
      this.usedToday += 1;
    }
    this.tokens -= 1;
    return 'admitted';
  }
}
