#!/usr/bin/env node
// The `local-sam` command. It bundles the runtime (src/start.ts and what it imports) with esbuild
// into one CommonJS file under the package's .local/, stops esbuild's service, and runs the bundle
// in this same process with plain Node: no loader hooks (which the Lambda workers could inherit),
// no TypeScript compiler and no esbuild process beside the stack. The packages the runtime imports
// stay external: they resolve from this package's node_modules, then the app's. The functions'
// own bundles go to the app's folder, so their externals resolve from the app's node_modules.
const { build, stop } = require('esbuild');
const { readFile } = require('node:fs/promises');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const PACKAGE_DIR = join(__dirname, '..');
const OUTFILE = join(PACKAGE_DIR, '.local', 'runtime', 'start.cjs');

const USAGE = `Usage: local-sam start [options]

Runs the SAM app in the current folder (its template.yaml) on this machine.

  --template FILE        the SAM template (default: template.yaml)
  --stack-name NAME      physical names are NAME-<LogicalId> (default: local-sam.config, samconfig.toml, the folder)
  --port N               the API's port (default: PORT or 3000; 0: any free port)
  --lambda-port N        also serve Lambda's Invoke API there (0: any free port)
  --param Name=Value     a template parameter (repeatable)
  --relaxed-params       accept parameter values outside the template's constraints
  --persist DIR          keep DynamoDB, SQS and SNS data in DIR between runs
  --faults SPEC          inject AWS's failure modes: a .yaml/.json file or the inline form (README)
  --transaction-conflicts  DynamoDB reports transaction conflicts, as on AWS
  --api-keys             require the API key as the deployed API does (printed, and in the state file)
  --state-file FILE      write the endpoints and every resource's physical id as JSON once ready
  --env-vars-file FILE   where the file for \`sam local invoke --env-vars\` goes (default .local/env.json)
  --emulator-host ADDR   where fauxqs listens instead of 127.0.0.1
  --build-dir DIR        where the bundles go (inside the app's folder; default .local/build)
  --parent-pid PID       stop when that process is gone
  --seed                 once ready, put in the app's demo data (local-sam.config's seed)
`;

/** Each bundled file keeps its own __dirname and __filename, as when it runs from source. */
const sourceLocation = {
  name: 'source-location',
  setup(context) {
    context.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const text = await readFile(path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(text)) return undefined;
      return { loader: 'ts', contents: `const __dirname = ${JSON.stringify(dirname(path))}, __filename = ${JSON.stringify(path)};\n${text}` };
    });
  },
};

async function bundleRuntime() {
  const { outputFiles } = await build({
    entryPoints: [join(PACKAGE_DIR, 'src', 'start.ts')],
    outfile: OUTFILE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    plugins: [sourceLocation],
    write: false,
    logLevel: 'error',
  });
  await stop();
  // Written under another name and renamed: another stack may be loading the file right now.
  mkdirSync(dirname(OUTFILE), { recursive: true });
  const temporary = `${OUTFILE}.${process.pid}.tmp`;
  writeFileSync(temporary, outputFiles[0].contents);
  renameSync(temporary, OUTFILE);
}

/** fauxqs persists with node:sqlite, which Node 22 flags as experimental on every start. */
function quietExperimentalWarnings() {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = (warning, ...rest) => {
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
    if (type === 'ExperimentalWarning') return;
    emitWarning(warning, ...rest);
  };
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v') return void process.stdout.write(`${JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')).version}\n`);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return void process.stdout.write(USAGE);
  if (command !== 'start') {
    process.stderr.write(`local-sam: unknown command ${command}\n\n${USAGE}`);
    process.exit(2);
  }
  if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(USAGE);
  quietExperimentalWarnings();
  try {
    await bundleRuntime();
  } catch (error) {
    process.stderr.write(`Could not bundle the local runtime: ${error.message}\n`);
    process.exit(1);
  }
  const runtime = require(OUTFILE);
  await runtime.main(rest).catch((error) => {
    process.stderr.write(`${runtime.startFailure(error)}\n`);
    process.exit(1);
  });
}

main(process.argv.slice(2));
