// Bundles each function with esbuild from its own Metadata.BuildProperties, the way `sam build`
// does (BuildMethod: esbuild), so what runs locally is what deploys. Also bundles the runtime's
// own worker entry, which must be plain JavaScript inside a worker thread.
import { build as esbuild, stop as stopEsbuild, type BuildOptions, type Loader } from 'esbuild';
import { rm } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { createResolver, type Template, type TemplateResource } from './template';

export interface BuiltFunction {
  logicalId: string;
  /** Folder with the bundle, as Lambda's task root. */
  codeDir: string;
  /** `notesApi.handler` -> <codeDir>/notesApi.js */
  handlerFile: string;
  handlerExport: string;
}

export const LOCAL_DIR = '.local';

/** SAM's esbuild BuildProperties -> esbuild options; SAM's defaults where the template sets nothing. */
export function esbuildOptions(template: Template, resource: TemplateResource, outdir: string): BuildOptions {
  const properties = (resource.metadata.BuildProperties ?? {}) as Record<string, unknown>;
  const codeUri = resolvePath(template.dir, typeof resource.properties.CodeUri === 'string' ? resource.properties.CodeUri : '.');
  const list = (value: unknown): string[] => (value === undefined ? [] : ([] as unknown[]).concat(value).map(String));
  const entryPoints = list(properties.EntryPoints);
  if (entryPoints.length === 0) throw new Error(`${resource.logicalId} has no Metadata.BuildProperties.EntryPoints`);
  const loader: Record<string, Loader> = {};
  for (const rule of list(properties.Loader)) {
    const [extension, kind] = rule.split('=');
    if (extension && kind) loader[extension] = kind as Loader;
  }
  const flag = (value: unknown, fallback: boolean) => (value === undefined ? fallback : String(value) === 'true');
  return {
    absWorkingDir: codeUri,
    entryPoints,
    outdir,
    bundle: flag(properties.Bundle, true),
    platform: 'node',
    format: (properties.Format as BuildOptions['format']) ?? 'cjs',
    target: list(properties.Target).length > 0 ? list(properties.Target) : ['es2020'],
    minify: flag(properties.Minify, false),
    sourcemap: flag(properties.Sourcemap, false),
    external: list(properties.External),
    loader,
    mainFields: properties.MainFields ? list(properties.MainFields).join(',').split(',') : undefined,
    banner: typeof properties.Banner === 'string' ? { js: properties.Banner } : undefined,
    logLevel: 'silent',
  };
}

let buildsRunning = 0;

/**
 * One esbuild build. esbuild's JS API keeps its service (a child process of about 80 MB) running
 * after a build; it is stopped whenever no build is left running, and starts again for the next.
 */
async function build(options: BuildOptions): Promise<void> {
  buildsRunning += 1;
  try {
    await esbuild(options);
  } finally {
    buildsRunning -= 1;
    if (buildsRunning === 0) await stopEsbuild();
  }
}

/** Builds every function into <buildDir>/<LogicalId>/; buildDir must lie inside the project so that externals resolve from its node_modules. */
export async function buildFunctions(template: Template, buildDir: string = join(template.dir, LOCAL_DIR, 'build')): Promise<BuiltFunction[]> {
  const resolve = createResolver(template, {});
  const functions = Object.values(template.resources).filter((resource) => resource.type === 'AWS::Serverless::Function');
  return Promise.all(
    functions.map(async (resource) => {
      const codeDir = join(buildDir, resource.logicalId);
      await rm(codeDir, { recursive: true, force: true });
      const options = esbuildOptions(template, resource, codeDir);
      try {
        await build(options);
      } catch (error) {
        throw new Error(`Building ${resource.logicalId} failed: ${(error as Error).message}`, { cause: error });
      }
      const handler = String(resolve(resource.properties.Handler));
      const dot = handler.lastIndexOf('.');
      return {
        logicalId: resource.logicalId,
        codeDir,
        handlerFile: join(codeDir, `${handler.slice(0, dot)}.js`),
        handlerExport: handler.slice(dot + 1),
      };
    }),
  );
}

/** Bundles one of the runtime's own TypeScript modules to CommonJS, for a worker thread or require(). */
export async function buildRuntimeModule(entry: string, outfile: string): Promise<string> {
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node22', sourcemap: 'inline', logLevel: 'silent', packages: 'external' });
  return outfile;
}
