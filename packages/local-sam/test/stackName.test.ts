import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStackName, samconfigStackName, stackNameOf } from '../src/stackName';

describe('the default stack name', () => {
  it('is what sam deploy would use: stack_name of the default environment, deploy parameters first', () => {
    const toml = ['version = 0.1', '[default.global.parameters]', 'stack_name = "app-global"', '[default.deploy.parameters]', 'stack_name = "app-dev"', '[prod.deploy.parameters]', 'stack_name = "app-prod"'].join('\n');
    expect(samconfigStackName(toml)).toBe('app-dev');
    expect(samconfigStackName('[default.global.parameters]\nstack_name = \'app-global\'\n')).toBe('app-global');
    expect(samconfigStackName('[prod.deploy.parameters]\nstack_name = "app-prod"\n')).toBeUndefined();
  });

  it('is otherwise the folder’s name, made a valid stack name', () => {
    expect(stackNameOf('my_sam app')).toBe('my-sam-app');
    expect(stackNameOf('2024-demo')).toBe('demo');
    expect(stackNameOf('___')).toBe('local-stack');
  });

  it('reads samconfig.toml beside the template, and falls back to the folder without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'notes-app-'));
    expect(defaultStackName(join(dir, 'template.yaml'))).toMatch(/^notes-app-/);
    writeFileSync(join(dir, 'samconfig.toml'), '[default.deploy.parameters]\nstack_name = "notes-dev"\n');
    expect(defaultStackName(join(dir, 'template.yaml'))).toBe('notes-dev');
  });
});
