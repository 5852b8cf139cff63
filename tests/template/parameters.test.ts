// Parameters that cannot break the stack: every numeric setting is one of a few values, and the
// Rules refuse the combinations that fail on deploy or defeat the guarantees. Rules compare strings
// only, so they enumerate the combinations; this checks that enumeration against the arithmetic.
import { ruleViolations } from 'local-sam/tools';
import { template, type Json } from './stack';

const parameter = (name: string): Json => template.Parameters[name] ?? {};
const allowed = (name: string): string[] => ((parameter(name).AllowedValues as unknown[] | undefined) ?? []).map(String);
const defaults = Object.fromEntries(Object.entries(template.Parameters).map(([name, definition]) => [name, String(definition.Default ?? '')]));
const rules = template.Rules ?? {};

/** Every intrinsic function call in a value, nested ones included: [name, argument]. */
function intrinsicCalls(value: unknown): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap(intrinsicCalls);
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, argument]) => [...(key === 'Ref' || key.startsWith('Fn::') ? [[key, argument] as [string, unknown]] : []), ...intrinsicCalls(argument)]);
}

/** Every combination of the four parameters the rules relate. */
const combinations = allowed('FunctionTimeoutSeconds').flatMap((timeout) =>
  allowed('QueueVisibilityTimeoutSeconds').flatMap((visibility) =>
    allowed('MaxReceiveCount').flatMap((receives) => allowed('OrderDeadlineSeconds').map((deadline) => ({ timeout, visibility, receives, deadline }))),
  ),
);

describe('numeric parameters', () => {
  it.each(['FunctionTimeoutSeconds', 'QueueVisibilityTimeoutSeconds', 'MaxReceiveCount', 'OrderDeadlineSeconds'])('%s is one of a few values, its default among them', (name) => {
    expect(allowed(name).length).toBeGreaterThan(1);
    expect(allowed(name)).toContain(String(parameter(name).Default));
  });

  it('tells the user what AWS advises for the visibility timeout', () => {
    expect(parameter('QueueVisibilityTimeoutSeconds').Description).toMatch(/at least six times/);
  });
});

describe('the Rules', () => {
  it('hold for the defaults', () => {
    expect(ruleViolations(rules, defaults)).toEqual([]);
  });

  it('use only CloudFormation’s rule functions', () => {
    const ruleFunctions = ['Ref', 'Fn::And', 'Fn::Contains', 'Fn::EachMemberEquals', 'Fn::EachMemberIn', 'Fn::Equals', 'Fn::Not', 'Fn::Or', 'Fn::RefAll', 'Fn::ValueOf', 'Fn::ValueOfAll'];
    const used = new Set(intrinsicCalls(rules).map(([name]) => name));
    expect([...used].filter((name) => !ruleFunctions.includes(name))).toEqual([]);
  });

  it('give Fn::And and Fn::Or 2 to 10 conditions, as CloudFormation requires', () => {
    const counts = intrinsicCalls(rules).flatMap(([name, argument]) => (name === 'Fn::And' || name === 'Fn::Or' ? [(argument as unknown[]).length] : []));
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.filter((count) => count < 2 || count > 10)).toEqual([]);
  });

  it('explain every refusal in words a user can act on', () => {
    expect(Object.keys(rules).length).toBeGreaterThan(0);
    for (const definition of Object.values(rules)) {
      for (const assertion of definition.Assertions as Json[]) expect(String(assertion.AssertDescription)).toMatch(/^\w.{40,}\.$/s);
    }
  });

  it(`refuse exactly the combinations with a visibility timeout below the function timeout or a deadline below the retry budget (all ${combinations.length})`, () => {
    const wrong = combinations.filter(({ timeout, visibility, receives, deadline }) => {
      const refused = ruleViolations(rules, {
        ...defaults,
        FunctionTimeoutSeconds: timeout,
        QueueVisibilityTimeoutSeconds: visibility,
        MaxReceiveCount: receives,
        OrderDeadlineSeconds: deadline,
      }).map((violation) => violation.description);
      const expected = [
        ...(Number(visibility) < Number(timeout) ? ['QueueVisibilityTimeoutSeconds is shorter than FunctionTimeoutSeconds'] : []),
        ...(Number(deadline) < Number(receives) * Number(visibility) ? [`OrderDeadlineSeconds is shorter than MaxReceiveCount (${receives})`] : []),
      ];
      return refused.length !== expected.length || expected.some((start, index) => !refused[index]?.startsWith(start));
    });
    expect(wrong).toEqual([]);
  });

  it('leave every visibility timeout and retry count a deadline that fits', () => {
    expect(allowed('QueueVisibilityTimeoutSeconds').length).toBeGreaterThan(0);
    for (const visibility of allowed('QueueVisibilityTimeoutSeconds')) {
      expect(allowed('MaxReceiveCount').length).toBeGreaterThan(0);
      for (const receives of allowed('MaxReceiveCount')) {
        const fits = allowed('OrderDeadlineSeconds').some((deadline) => ruleViolations(rules, { ...defaults, FunctionTimeoutSeconds: '3', QueueVisibilityTimeoutSeconds: visibility, MaxReceiveCount: receives, OrderDeadlineSeconds: deadline }).length === 0);
        expect({ visibility, receives, fits }).toEqual({ visibility, receives, fits: true });
      }
    }
  });
});
