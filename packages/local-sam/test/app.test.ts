import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findAppConfig, loadAppConfig } from '../src/app';

describe('an app’s local-sam.config', () => {
  it('is found beside the template, TypeScript first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'app-'));
    expect(findAppConfig(dir)).toBeUndefined();
    writeFileSync(join(dir, 'local-sam.config.mjs'), 'export default {};\n');
    writeFileSync(join(dir, 'local-sam.config.ts'), 'export default {};\n');
    expect(findAppConfig(dir)).toBe(join(dir, 'local-sam.config.ts'));
  });

  it('is loaded from TypeScript that imports the app’s own modules and local-sam itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'app-'));
    writeFileSync(join(dir, 'contract.ts'), "export const required: Record<string, string[]> = { 'GET /notes/{id}': ['X-Tenant'] };\n");
    writeFileSync(
      join(dir, 'local-sam.config.ts'),
      [
        "import { defineApp } from 'local-sam';",
        "import { required } from './contract';",
        'export default defineApp({',
        "  stackName: 'notes',",
        '  validator: (resource: string, method: string) => ({ parameters: (required[`${method} ${resource}`] ?? []).map((name) => ({ name, in: "header", required: true })) }),',
        '});',
      ].join('\n'),
    );
    const app = await loadAppConfig(join(dir, 'local-sam.config.ts'), join(dir, '.local'));
    expect(app.stackName).toBe('notes');
    expect(app.validator?.('/notes/{id}', 'GET')).toEqual({ parameters: [{ name: 'X-Tenant', in: 'header', required: true }] });
  });

  it('is refused, naming the file, when it does not build', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'app-'));
    writeFileSync(join(dir, 'local-sam.config.ts'), "import { nothing } from './missing';\nexport default nothing;\n");
    await expect(loadAppConfig(join(dir, 'local-sam.config.ts'), join(dir, '.local'))).rejects.toThrow(/local-sam\.config\.ts does not build/);
  });
});
