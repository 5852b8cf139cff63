// Readies each function's code the way `sam build` does: a function with `Metadata.BuildMethod:
// esbuild` is bundled from its own BuildProperties, so what runs locally is what deploys; any other
// Node.js function runs in place from its CodeUri (the template's folder when it has none), plain
// .js/.mjs/.cjs with its own node_modules, as `sam build` would copy it. Also bundles the
// runtime's own worker entry, which must be plain JavaScript inside a worker thread.
import { build as esbuild, stop as stopEsbuild, type BuildOptions, type Loader } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { createResolver, type Resolver, type Template, type TemplateResource } from './template';

export interface BuiltFunction {
  logicalId: string;
  /** Folder with the bundle (or the CodeUri itself), as Lambda's task root. */
  codeDir: string;
  /** `orderApi.handler` -> <codeDir>/orderApi.js (or .mjs, .cjs: the first that exists, as Lambda looks) */
  handlerFile: string;
  /** The export's name; a dotted path (`handlers.main`) reaches into nested objects, as Lambda's does. */
  handlerExport: string;
}

/** Why a function cannot run locally (another language, a container image, code in S3), or undefined when it can. */
export function notRunLocally(resource: TemplateResource, resolve: Resolver): string | undefined {
  const properties = resource.properties;
  if (String(resolve(properties.PackageType) ?? 'Zip') === 'Image') return 'PackageType Image: container images are not run locally';
  const runtime = String(resolve(properties.Runtime) ?? '');
  if (!runtime.startsWith('nodejs')) return `Runtime ${runtime || '(none)'}: only Node.js functions run locally`;
  if (properties.CodeUri !== undefined && typeof resolve(properties.CodeUri) !== 'string') return 'CodeUri points at S3: only local code runs';
  if (typeof resolve(properties.Handler) !== 'string') return 'it has no Handler';
  return undefined;
}

/** The folder a function's code is in: its CodeUri, relative to the template, or the template's own folder (SAM's default). */
export function codeUriOf(template: Template, resource: TemplateResource, resolve: Resolver = createResolver(template, {})): string {
  const codeUri = resolve(resource.properties.CodeUri);
  return resolvePath(template.dir, typeof codeUri === 'string' ? codeUri : '.');
}

/** Lambda's reading of a Handler: the module is up to the first dot after the last slash, the export path the rest. */
export function splitHandler(handler: string): { module: string; exportPath: string } {
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  if (dot < 0) throw new Error(`Handler ${handler} is not <module>.<export>`);
  return { module: handler.slice(0, dot), exportPath: handler.slice(dot + 1) };
}

/** The handler's file, as Lambda's Node.js runtime looks for it: <module>.js, then .mjs, then .cjs. */
export function handlerFileOf(codeDir: string, module: string): string {
  const candidates = ['.js', '.mjs', '.cjs'].map((extension) => join(codeDir, `${module}${extension}`));
  return candidates.find((file) => existsSync(file)) ?? (candidates[0] as string);
}

export const LOCAL_DIR = '.local';

/** SAM's esbuild BuildProperties -> esbuild options; SAM's defaults where the template sets nothing. */
export function esbuildOptions(template: Template, resource: TemplateResource, outdir: string): BuildOptions {
  const properties = (resource.metadata.BuildProperties ?? {}) as Record<string, unknown>;
  const codeUri = codeUriOf(template, resource);
  const list = (value: unknown): string[] => (value === undefined ? [] : ([] as unknown[]).concat(value).map(String));
  const entryPoints = list(properties.EntryPoints);
  if (entryPoints.length === 0) throw new Error(`${resource.logicalId} has no Metadata.BuildProperties.EntryPoints`);
  const loader: Record<string, Loader> = {};
  for (const rule of list(properties.Loader)) {
    const [extension, kind] = rule.split('=');
    if (extension && kind) loader[extension] = kind as Loader;
  }
  // OutExtension: ['.js=.mjs'], as esbuild's --out-extension:.js=.mjs.
  const outExtension: Record<string, string> = {};
  for (const rule of list(properties.OutExtension)) {
    const [from, to] = rule.split('=');
    if (from && to) outExtension[from] = to;
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
    ...(Object.keys(outExtension).length > 0 ? { outExtension } : {}),
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

/**
 * Readies every function that runs locally (see notRunLocally): esbuild functions are built into
 * <buildDir>/<LogicalId>/, which must lie inside the project so that externals resolve from its
 * node_modules; inline code is written there; the others run from their CodeUri as they are.
 */
export async function buildFunctions(template: Template, buildDir: string = join(template.dir, LOCAL_DIR, 'build')): Promise<BuiltFunction[]> {
  const resolve = createResolver(template, {});
  const functions = Object.values(template.resources).filter((resource) => resource.type === 'AWS::Serverless::Function' && !notRunLocally(resource, resolve));
  return Promise.all(
    functions.map(async (resource) => {
      const { module, exportPath } = splitHandler(String(resolve(resource.properties.Handler)));
      let codeDir: string;
      if (resource.metadata.BuildMethod === 'esbuild') {
        codeDir = join(buildDir, resource.logicalId);
        await rm(codeDir, { recursive: true, force: true });
        try {
          await build(esbuildOptions(template, resource, codeDir));
        } catch (error) {
          throw new Error(`Building ${resource.logicalId} failed: ${(error as Error).message}`, { cause: error });
        }
      } else if (typeof resource.properties.InlineCode === 'string') {
        // Lambda saves inline code as the handler's module, CommonJS.
        codeDir = join(buildDir, resource.logicalId);
        await rm(codeDir, { recursive: true, force: true });
        await mkdir(dirname(join(codeDir, module)), { recursive: true });
        await writeFile(join(codeDir, `${module}.js`), resource.properties.InlineCode);
      } else codeDir = codeUriOf(template, resource, resolve);
      return { logicalId: resource.logicalId, codeDir, handlerFile: handlerFileOf(codeDir, module), handlerExport: exportPath };
    }),
  );
}

/** Bundles one of the runtime's own TypeScript modules to CommonJS, for a worker thread or require(). */
export async function buildRuntimeModule(entry: string, outfile: string): Promise<string> {
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node22', sourcemap: 'inline', logLevel: 'silent', packages: 'external' });
  return outfile;
}
