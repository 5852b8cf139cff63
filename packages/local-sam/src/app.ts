// What an app adds to its local stack, in a file beside its template: local-sam.config.ts (or .mts,
// .mjs, .js, .cjs), whose default export is a LocalSamApp (defineApp.ts). `local-sam start` bundles it with esbuild
// (so it may be TypeScript and import the app's own modules) and loads it before the stack starts.
//
//   // local-sam.config.ts
//   import { defineApp } from 'local-sam';
//   import { contract } from './src/contract';
//   export default defineApp({
//     stackName: 'my-app',
//     validator: (resource, method) => contract[`${method} ${resource}`],
//     consolePanels: [notesPanel],
//     seed: async ({ url }) => { await fetch(`${url}/notes`, { method: 'POST', body: '{"text":"hello"}' }); },
//   });
import { build, stop, type Plugin } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { LocalSamApp } from './defineApp';

export const APP_CONFIG_FILES = ['local-sam.config.ts', 'local-sam.config.mts', 'local-sam.config.mjs', 'local-sam.config.js', 'local-sam.config.cjs'];

/** The first of APP_CONFIG_FILES in dir, if any. */
export function findAppConfig(dir: string): string | undefined {
  return APP_CONFIG_FILES.map((file) => join(dir, file)).find((file) => existsSync(file));
}

/** `local-sam` (and `local-sam/tools`) as imported by the configuration: bundled from this package's sources, only what it uses. */
const thisPackage: Plugin = {
  name: 'local-sam',
  setup(context) {
    context.onResolve({ filter: /^local-sam(\/tools)?$/ }, ({ path }) => ({ path: join(__dirname, path === 'local-sam' ? 'index.ts' : 'tools.ts') }));
  },
};

/** Bundles the configuration to CommonJS (its packages stay external, resolved from the app) in outDir and loads it. */
export async function loadAppConfig(file: string, outDir: string): Promise<LocalSamApp> {
  const outfile = join(outDir, `local-sam.config.${process.pid}.cjs`);
  try {
    await build({ entryPoints: [file], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node22', packages: 'external', plugins: [thisPackage], logLevel: 'silent' });
  } catch (error) {
    throw new Error(`${file} does not build: ${(error as Error).message}`, { cause: error });
  } finally {
    // esbuild's service would otherwise stay running beside the stack.
    await stop();
  }
  // The bundle is CommonJS, loaded as such whether this module runs bundled or under a TypeScript loader.
  const loaded = createRequire(__filename)(outfile) as { default?: LocalSamApp };
  rmSync(outfile, { force: true });
  const app = loaded.default ?? (loaded as LocalSamApp);
  if (typeof app !== 'object' || app === null) throw new Error(`${file} must export a LocalSamApp object as its default export`);
  return app;
}
