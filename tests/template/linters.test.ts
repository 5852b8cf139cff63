// The validators' accepted findings (scripts/validate.sh): each reason said once. A rule that fits no
// resource of its kind is set aside in the linter's configuration; a resource carries only a reason
// of its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { ROOT, template } from './stack';

const config = (file: string) => load(readFileSync(join(ROOT, file), 'utf8')) as Record<string, unknown>;
const checkovSkippedEverywhere = config('.checkov.yaml')['skip-check'] as string[];
const cfnLint = config('.cfnlintrc.yaml') as { append_rules: string[]; ignore_checks: string[] };

const metadataOf = Object.entries(template.Resources).map(([logicalId, definition]) => ({ logicalId, metadata: definition.Metadata ?? {} }));
const checkovSkips = metadataOf.flatMap(({ logicalId, metadata }) =>
  ((metadata.checkov as { skip?: { id: string; comment?: string }[] } | undefined)?.skip ?? []).map((skip) => ({ logicalId, ...skip })),
);
const cfnLintIgnores = metadataOf.flatMap(({ logicalId, metadata }) =>
  ((metadata['cfn-lint'] as { config?: { ignore_checks?: string[] } } | undefined)?.config?.ignore_checks ?? []).map((id) => ({ logicalId, id })),
);

describe('accepted findings', () => {
  it('skip a checkov check on a resource only with a reason, and one no other resource repeats', () => {
    expect(checkovSkips.length).toBeGreaterThan(0);
    for (const skip of checkovSkips) expect({ ...skip, stated: (skip.comment ?? '').length > 20 }).toMatchObject({ stated: true });
    const comments = checkovSkips.map((skip) => skip.comment);
    expect(comments.filter((comment, index) => comments.indexOf(comment) !== index)).toEqual([]);
  });

  it('do not skip on a resource what checkov’s configuration skips for all', () => {
    expect(checkovSkips.filter((skip) => checkovSkippedEverywhere.includes(skip.id))).toEqual([]);
  });

  it('run cfn-lint with AWS’s serverless rules, and do not ignore on a resource what its configuration ignores for all', () => {
    expect(cfnLint.append_rules).toEqual(['cfn_lint_serverless.rules']);
    expect(cfnLintIgnores.filter(({ id }) => cfnLint.ignore_checks.includes(id))).toEqual([]);
  });

  it('give every check set aside for all resources its reason, next to it', () => {
    for (const file of ['.checkov.yaml', '.cfnlintrc.yaml']) {
      const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
      const entries = lines.flatMap((line, index) => (/^ {2}- [A-Z]+/.test(line) ? [index] : []));
      expect(entries.length).toBeGreaterThan(0);
      for (const index of entries) expect({ file, entry: lines[index], reason: /^ {2}#/.test(lines[index - 1] ?? '') }).toEqual({ file, entry: lines[index], reason: true });
    }
  });
});
