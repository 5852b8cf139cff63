// Part 1, cold start: for every function in template.yaml, its production bundle (esbuild with the
// function's own Metadata.BuildProperties, as `sam build` runs it) against the floor no bundling of
// the function can go below: its AWS SDK clients alone (those its src/adapters/clients modules
// build, with the commands and errors its code imports, packaged the same way). Beside them, the two decisions the build makes, each measured against its
// alternative: whether the AWS SDK is bundled (tree-shaken from its ES modules) or left to the
// Lambda runtime, and whether source maps ship and NODE_OPTIONS enables them. All in the same run,
// interleaved, so that their ratios survive a noisy machine.
import app from '../local-sam.config';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { esbuildOptions, createResolver, loadTemplate, type Template, type TemplateResource } from 'local-sam/tools';
import type { Progress } from './progress';
import { median, round } from './stats';

const run = promisify(execFile);

/** Every function's deployment package, zipped. */
export const TARGET_BUNDLE_KB = 250;
/** Every function's module init at most this many times its SDK clients' alone. */
export const TARGET_INIT_RATIO = 1.1;

/**
 * What each fresh process runs (plain JavaScript: no loader hooks may sit between Node and the
 * require being timed). It requires the given files in order, optionally sends the handler one
 * event (a first request), and reports the time and how much JavaScript the require pulled in.
 * With `breakdown`, every module load is timed exclusive of the loads inside it.
 */
const PROBE = `
const { performance } = require('node:perf_hooks');
const { statSync } = require('node:fs');
const Module = require('node:module');
const spec = JSON.parse(process.argv[1]);
const selfMs = {};
if (spec.breakdown) {
  const load = Module._load;
  const open = [];
  Module._load = function (request, parent, isMain) {
    let file = request;
    try { file = Module._resolveFilename(request, parent, isMain); } catch {}
    const start = performance.now();
    open.push(0);
    try { return load.apply(this, arguments); } finally {
      const total = performance.now() - start;
      const inner = open.pop();
      selfMs[file] = (selfMs[file] || 0) + total - inner;
      if (open.length > 0) open[open.length - 1] += total;
    }
  };
}
const before = new Set(Object.keys(require.cache));
const start = performance.now();
let loaded;
for (const file of spec.files) loaded = require(file);
const initMs = performance.now() - start;
let bytes = 0;
let modules = 0;
for (const path of Object.keys(require.cache)) {
  if (before.has(path)) continue;
  modules += 1;
  bytes += statSync(path).size;
}
(async () => {
  let firstRequestMs;
  if (spec.exportName) {
    const handler = loaded[spec.exportName];
    if (typeof handler !== 'function') throw new Error(spec.files[0] + ' does not export ' + spec.exportName);
    if (spec.event) {
      const context = { functionName: 'probe', awsRequestId: 'probe', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:probe', memoryLimitInMB: '512', getRemainingTimeInMillis: () => 10000 };
      const first = performance.now();
      await handler(spec.event, context);
      firstRequestMs = performance.now() - first;
    }
  }
  process.stdout.write(JSON.stringify({ initMs, modules, bytes, firstRequestMs, selfMs }) + '\\n');
})().catch((error) => { console.error(error); process.exit(1); });
`;

/**
 * production: the template's bundle under the template's environment (NODE_OPTIONS included).
 * otherSdk: the same with the other choice of AWS SDK packaging (bundled from its ES modules,
 * MainFields module,main, so esbuild tree-shakes it; or external, the Lambda runtime's copy).
 * otherSourceMaps: the same with the other choice of source maps (shipped and enabled by
 * NODE_OPTIONS=--enable-source-maps, or neither). clientsFloor: only the AWS SDK as the function
 * uses it: its clients, built by the src/adapters/clients modules it imports, and the commands and
 * errors its own code imports, packaged as production packages them.
 */
export const VARIANTS = ['production', 'otherSdk', 'otherSourceMaps', 'clientsFloor'] as const;
export type Variant = (typeof VARIANTS)[number];

interface ProbeOutput {
  initMs: number;
  modules: number;
  bytes: number;
  firstRequestMs?: number;
  selfMs: Record<string, number>;
}

export interface PackageShare {
  name: string;
  kb: number;
}

export interface InitSummary {
  medianMs: number;
  samplesMs: number[];
  /** Median of the first request (API functions: one request refused by validation, so no AWS call). */
  firstRequestMs?: number;
  modules: number;
  /** All JavaScript the require pulled in, external packages included. */
  loadedKb: number;
}

export interface BundleSize {
  jsKb: number;
  /** The deployment package: the bundle's folder zipped (deflate), as `sam deploy` uploads it. */
  zippedKb: number;
}

/** How the template builds the functions, and what each alternative changes. */
export interface BuildChoices {
  sdk: 'bundled' | 'external';
  sourceMaps: boolean;
}

export interface FunctionColdStart {
  logicalId: string;
  handler: string;
  production: BundleSize & { topPackages: PackageShare[]; externals: string[] };
  otherSdk: BundleSize;
  otherSourceMaps: BundleSize;
  init: Record<Variant, InitSummary>;
  /** production init / clientsFloor init, both medians of the same rounds. */
  ratio: number;
  bundleTargetMet: boolean;
  initTargetMet: boolean;
  /** Only for a function that misses a target: where its production init time goes. */
  bounds?: {
    /** Exclusive load time (resolve, read, compile, run) by package, one breakdown run. */
    loadByPackage: { name: string; ms: number }[];
    /** CPU self time inside the bundle, mapped through a source map of the same code to the bundled package. */
    insideBundle: { name: string; ms: number }[];
  };
}

export interface ColdStartResult {
  rounds: number;
  node: string;
  /** What production does; the alternatives are the opposite choices. */
  production: BuildChoices;
  functions: FunctionColdStart[];
}

interface Built {
  resource: TemplateResource;
  handlerExport: string;
  dirs: Record<Variant, string>;
  /** The file each variant's probe requires. */
  file: Record<Variant, string>;
  metafile: Metafile;
  externals: string[];
  environment: Record<Variant, Record<string, string>>;
  /** An API request the function refuses in validation, if it serves an API route with a body. */
  event?: object;
}

/** The variables Lambda would give the function: the template's (placeholders for resources), then Lambda's own. */
function lambdaEnvironment(template: Template, resource: TemplateResource, taskRoot: string): Record<string, string> {
  const resolve = createResolver(template, {});
  const variables = ((resolve(resource.properties.Environment) as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
  const handler = String(resolve(resource.properties.Handler));
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    ...Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)])),
    AWS_REGION: template.region,
    AWS_DEFAULT_REGION: template.region,
    AWS_ACCESS_KEY_ID: 'placeholder',
    AWS_SECRET_ACCESS_KEY: 'placeholder',
    AWS_SESSION_TOKEN: 'placeholder',
    AWS_LAMBDA_FUNCTION_NAME: `${template.stackName}-${resource.logicalId}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(resolve(resource.properties.MemorySize) ?? 128),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${template.stackName}-${resource.logicalId}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'placeholder',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${String(resolve(resource.properties.Runtime) ?? 'nodejs22.x')}`,
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: handler,
  };
}

/**
 * A request to the function's first API operation with a body, with an empty JSON object as the
 * body: the function must refuse it in validation, which compiles that operation's validator and
 * touches no AWS service.
 */
function refusedRequest(template: Template, resource: TemplateResource): object | undefined {
  const resolve = createResolver(template, {});
  const functionArn = `function:${template.stackName}-${resource.logicalId}/`;
  for (const api of Object.values(template.resources).filter((candidate) => candidate.type === 'AWS::Serverless::Api')) {
    const definition = resolve(api.properties.DefinitionBody) as { paths?: Record<string, Record<string, Record<string, unknown>>> } | undefined;
    for (const [path, operations] of Object.entries(definition?.paths ?? {})) {
      for (const [method, operation] of Object.entries(operations)) {
        const uri = (operation['x-amazon-apigateway-integration'] as { uri?: unknown } | undefined)?.uri;
        if (typeof uri !== 'string' || !uri.includes(functionArn) || !operation.requestBody) continue;
        return {
          resource: path,
          path,
          httpMethod: method.toUpperCase(),
          headers: { 'Content-Type': 'application/json' },
          multiValueHeaders: {},
          queryStringParameters: null,
          multiValueQueryStringParameters: null,
          pathParameters: null,
          stageVariables: null,
          body: '{}',
          isBase64Encoded: false,
          requestContext: { requestId: 'probe', resourcePath: path, httpMethod: method.toUpperCase(), stage: 'probe' },
        };
      }
    }
  }
  return undefined;
}

/** node_modules/@scope/name/... -> @scope/name (the innermost copy); the project's own files -> src/<folder>. */
export function packageOf(path: string): string {
  const normal = path.replaceAll('\\', '/');
  const at = normal.lastIndexOf('node_modules/');
  if (at >= 0) {
    const [first = '', second = ''] = normal.slice(at + 'node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  const own = /(?:^|\/)src\/([^/]+)/.exec(normal);
  return own ? `src/${own[1]}` : (normal.split('/').pop() ?? normal);
}

const outputOf = (metafile: Metafile, outputFile: string) => Object.entries(metafile.outputs).find(([path]) => path.endsWith(outputFile))?.[1];

function topPackages(metafile: Metafile, outputFile: string, count = 6): PackageShare[] {
  const bytes = new Map<string, number>();
  for (const [path, input] of Object.entries(outputOf(metafile, outputFile)?.inputs ?? {})) {
    const name = packageOf(path);
    bytes.set(name, (bytes.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, size]) => ({ name, kb: round(size / 1024) }));
}

const SOURCE_MAPS_FLAG = '--enable-source-maps';

/** What the template's build of a function does: is the SDK left external, do source maps ship or get enabled. */
function buildChoices(options: BuildOptions, environment: Record<string, string>): BuildChoices {
  const external = (options.external ?? []).some((pattern) => pattern.startsWith('@aws-sdk/'));
  return { sdk: external ? 'external' : 'bundled', sourceMaps: options.sourcemap === true || (environment.NODE_OPTIONS ?? '').includes(SOURCE_MAPS_FLAG) };
}

/** The same build with the other SDK packaging. */
function otherSdkOptions(options: BuildOptions, choices: BuildChoices): BuildOptions {
  return choices.sdk === 'external'
    ? { ...options, external: (options.external ?? []).filter((pattern) => !pattern.startsWith('@aws-sdk/')), mainFields: ['module', 'main'] }
    : { ...options, external: [...(options.external ?? []), '@aws-sdk/*'], mainFields: undefined };
}

/** NODE_OPTIONS with or without --enable-source-maps. */
function withSourceMaps(environment: Record<string, string>, enabled: boolean): Record<string, string> {
  const others = (environment.NODE_OPTIONS ?? '').replace(SOURCE_MAPS_FLAG, '').trim();
  const nodeOptions = enabled ? `${others} ${SOURCE_MAPS_FLAG}`.trim() : others;
  const rest = { ...environment };
  delete rest.NODE_OPTIONS;
  return nodeOptions ? { ...rest, NODE_OPTIONS: nodeOptions } : rest;
}

/** A folder's files zipped with deflate at zlib's default level, as SAM packages a function: sizes, headers and directory. */
function zippedBytes(dir: string): number {
  let total = 22;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const name = Buffer.byteLength(path.slice(dir.length + 1));
    total += deflateRawSync(readFileSync(path)).length + 30 + name + 46 + name;
  }
  return total;
}

/** The values (not types) a function's own sources import from the AWS SDK, by module. */
function sdkValueImports(sources: string[]): Map<string, Set<string>> {
  const imports = new Map<string, Set<string>>();
  for (const source of sources) {
    for (const [, typeOnly, names = '', module = ''] of source.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g)) {
      if (typeOnly) continue;
      for (const name of names.split(',').map((entry) => entry.trim())) {
        if (name && !name.startsWith('type ')) imports.set(module, (imports.get(module) ?? new Set()).add(name.split(/\s+as\s+/)[0] ?? name));
      }
    }
  }
  return imports;
}

const sizeOf = (dir: string, file: string): BundleSize => ({ jsKb: kb(file), zippedKb: round(zippedBytes(dir) / 1024) });

async function buildAll(template: Template, resource: TemplateResource, outRoot: string): Promise<Built & { choices: BuildChoices }> {
  const handler = String(createResolver(template, {})(resource.properties.Handler));
  const dot = handler.lastIndexOf('.');
  const jsName = `${handler.slice(0, dot)}.js`;
  const dirs = Object.fromEntries(VARIANTS.map((variant) => [variant, join(outRoot, resource.logicalId, variant)])) as Record<Variant, string>;
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  const production: BuildOptions = { ...esbuildOptions(template, resource, dirs.production), metafile: true };
  const environment = lambdaEnvironment(template, resource, dirs.production);
  const choices = buildChoices(production, environment);
  const built = await build(production);
  const metafile = built.metafile as Metafile;
  const output = outputOf(metafile, jsName);
  const externals = [...new Set((output?.imports ?? []).filter((entry) => entry.external && !entry.path.startsWith('node:')).map((entry) => entry.path))];
  // The floor: the function's client modules and the SDK's values its own code imports (commands,
  // errors), found among the bundle's inputs, and nothing else of it.
  const inputs = Object.keys(output?.inputs ?? {});
  const clients = inputs.filter((path) => /(^|\/)src\/adapters\/clients\//.test(path));
  const sdkImports = sdkValueImports(inputs.filter((path) => /(^|\/)src\//.test(path)).map((path) => readFileSync(join(production.absWorkingDir ?? '.', path), 'utf8')));
  await Promise.all([
    build({ ...otherSdkOptions(production, choices), outdir: dirs.otherSdk, metafile: false }),
    build({ ...production, outdir: dirs.otherSourceMaps, metafile: false, sourcemap: !choices.sourceMaps }),
    build({
      ...production,
      entryPoints: undefined,
      outdir: undefined,
      metafile: false,
      stdin: {
        contents: [...clients.map((path) => `import ${JSON.stringify(`./${path}`)};`), ...[...sdkImports].map(([module, names]) => `export { ${[...names].join(', ')} } from ${JSON.stringify(module)};`)].join('\n'),
        resolveDir: production.absWorkingDir,
        sourcefile: 'sdk-floor.ts',
        loader: 'ts',
      },
      outfile: join(dirs.clientsFloor, 'clientsFloor.js'),
    }),
  ]);
  const event = refusedRequest(template, resource);
  const file = Object.fromEntries(VARIANTS.map((variant) => [variant, join(dirs[variant], variant === 'clientsFloor' ? 'clientsFloor.js' : jsName)])) as Record<Variant, string>;
  const taskRoot = (variant: Variant) => ({ ...environment, LAMBDA_TASK_ROOT: dirs[variant] });
  return {
    resource,
    handlerExport: handler.slice(dot + 1),
    dirs,
    file,
    metafile,
    externals,
    environment: {
      production: taskRoot('production'),
      otherSdk: taskRoot('otherSdk'),
      otherSourceMaps: withSourceMaps(taskRoot('otherSourceMaps'), !choices.sourceMaps),
      clientsFloor: taskRoot('clientsFloor'),
    },
    choices,
    ...(event ? { event } : {}),
  };
}

async function probe(bundle: Built, variant: Variant, options: { breakdown?: boolean; nodeFlags?: string[] } = {}): Promise<ProbeOutput> {
  const handlerVariant = variant !== 'clientsFloor';
  const spec = {
    files: [bundle.file[variant]],
    ...(handlerVariant ? { exportName: bundle.handlerExport } : {}),
    ...(handlerVariant && bundle.event ? { event: bundle.event } : {}),
    breakdown: options.breakdown === true,
  };
  const { stdout } = await run(process.execPath, [...(options.nodeFlags ?? []), '-e', PROBE, JSON.stringify(spec)], { env: bundle.environment[variant], cwd: bundle.dirs[variant], maxBuffer: 16 * 1024 * 1024 });
  // The handler's own log lines share stdout; the probe's answer is the last line.
  const answer = stdout.trim().split('\n').reverse().find((line) => line.startsWith('{"initMs"'));
  if (!answer) throw new Error(`the init probe of ${bundle.resource.logicalId} (${variant}) printed no result:\n${stdout}`);
  return JSON.parse(answer) as ProbeOutput;
}

/** Exclusive load time by package, and CPU self time inside the bundle by bundled package. */
async function initBounds(bundle: Built, profileDir: string): Promise<NonNullable<FunctionColdStart['bounds']>> {
  const breakdown = await probe(bundle, 'production', { breakdown: true });
  const byPackage = new Map<string, number>();
  for (const [file, ms] of Object.entries(breakdown.selfMs)) {
    const name = file === bundle.file.production ? 'the bundle (own code and bundled packages)' : file.startsWith('node:') || !file.includes('/') ? 'node builtins' : packageOf(file);
    byPackage.set(name, (byPackage.get(name) ?? 0) + ms);
  }

  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  await probe(bundle, 'production', { nodeFlags: ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', profileDir] });
  const profileFile = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  const inside = new Map<string, number>();
  // esbuild writes the same code with or without a map: either variant's map reads production's positions.
  const mapFile = [bundle.file.production, bundle.file.otherSourceMaps].map((file) => `${file}.map`).find((file) => statSync(file, { throwIfNoEntry: false }));
  if (profileFile) {
    const profile = JSON.parse(readFileSync(join(profileDir, profileFile), 'utf8')) as {
      nodes: { id: number; callFrame: { url: string; lineNumber: number; columnNumber: number } }[];
      samples: number[];
      timeDeltas: number[];
    };
    const sourceMap = mapFile ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload) : undefined;
    const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    profile.samples.forEach((id, index) => {
      const frame = frames.get(id);
      if (!frame || !frame.url.endsWith(bundle.file.production)) return;
      const entry = sourceMap?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string } | undefined;
      const name = entry?.originalSource ? packageOf(entry.originalSource) : 'unmapped';
      inside.set(name, (inside.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
    });
  }
  const top = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, ms]) => ({ name, ms: round(ms, 1) }));
  return { loadByPackage: top(byPackage), insideBundle: top(inside) };
}

const kb = (path: string) => round((statSync(path, { throwIfNoEntry: false })?.size ?? 0) / 1024);

export async function measureColdStart(root: string, rounds: number, progress: Progress): Promise<ColdStartResult> {
  const template = loadTemplate(join(root, 'template.yaml'), {}, { stackName: app.stackName });
  const outRoot = join(root, '.local', 'bench', 'bundles');
  mkdirSync(outRoot, { recursive: true });
  const resources = Object.values(template.resources).filter((resource) => resource.type === 'AWS::Serverless::Function');
  progress.phase('Cold start: bundles and module init', resources.length * VARIANTS.length * rounds);
  progress.update(0, 'bundling');
  const bundles = await Promise.all(resources.map((resource) => buildAll(template, resource, outRoot)));
  const choices = bundles[0]?.choices ?? { sdk: 'external', sourceMaps: false };
  const differing = bundles.filter((bundle) => bundle.choices.sdk !== choices.sdk || bundle.choices.sourceMaps !== choices.sourceMaps);
  if (differing.length > 0) progress.note(`not every function is built alike: ${differing.map((bundle) => bundle.resource.logicalId).join(', ')} differ from ${bundles[0]?.resource.logicalId}`);

  const samples = new Map<string, ProbeOutput[]>();
  let done = 0;
  // Round-robin over functions and variants so that a slow spell of the machine hits all alike.
  for (let roundIndex = 0; roundIndex < rounds; roundIndex += 1) {
    for (const bundle of bundles) {
      const order = roundIndex % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        const key = `${bundle.resource.logicalId}/${variant}`;
        samples.set(key, [...(samples.get(key) ?? []), await probe(bundle, variant)]);
        done += 1;
        progress.update(done, `${bundle.resource.logicalId} ${variant} (round ${roundIndex + 1}/${rounds})`);
      }
    }
  }

  const functions: FunctionColdStart[] = [];
  for (const bundle of bundles) {
    const summary = (variant: Variant): InitSummary => {
      const runs = samples.get(`${bundle.resource.logicalId}/${variant}`) ?? [];
      const firsts = runs.map((sample) => sample.firstRequestMs).filter((ms): ms is number => ms !== undefined);
      const last = runs[runs.length - 1];
      return {
        medianMs: round(median(runs.map((sample) => sample.initMs)), 1),
        samplesMs: runs.map((sample) => round(sample.initMs, 1)),
        ...(firsts.length > 0 ? { firstRequestMs: round(median(firsts), 1) } : {}),
        modules: last?.modules ?? 0,
        loadedKb: round((last?.bytes ?? 0) / 1024),
      };
    };
    const init = Object.fromEntries(VARIANTS.map((variant) => [variant, summary(variant)])) as Record<Variant, InitSummary>;
    const jsName = bundle.file.production.slice(bundle.dirs.production.length + 1);
    const production = sizeOf(bundle.dirs.production, bundle.file.production);
    const ratio = round(init.production.medianMs / init.clientsFloor.medianMs, 2);
    const result: FunctionColdStart = {
      logicalId: bundle.resource.logicalId,
      handler: `${jsName.replace(/\.js$/, '')}.${bundle.handlerExport}`,
      production: { ...production, topPackages: topPackages(bundle.metafile, jsName), externals: bundle.externals },
      otherSdk: sizeOf(bundle.dirs.otherSdk, bundle.file.otherSdk),
      otherSourceMaps: sizeOf(bundle.dirs.otherSourceMaps, bundle.file.otherSourceMaps),
      init,
      ratio,
      bundleTargetMet: production.zippedKb <= TARGET_BUNDLE_KB,
      initTargetMet: ratio <= TARGET_INIT_RATIO,
    };
    if (!result.bundleTargetMet || !result.initTargetMet) {
      progress.update(done, `measuring what bounds ${bundle.resource.logicalId}`);
      result.bounds = await initBounds(bundle, join(root, '.local', 'bench', 'profiles', bundle.resource.logicalId));
    }
    functions.push(result);
  }
  return { rounds, node: process.version, production: choices, functions };
}
