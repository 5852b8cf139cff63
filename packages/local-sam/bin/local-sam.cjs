// The first half of `npm start`: bundles local/start.ts, with what it imports from local/ and src/,
// into .local/runtime/start.cjs, which package.json's start script then runs with plain Node. So
// the stack runs in one Node process with no loader hooks (which its Lambda workers could inherit)
// and no tsx process or esbuild service beside it; the packages in node_modules stay external.
const { build, stop } = require('esbuild');
const { readFile } = require('node:fs/promises');
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '..');
const OUTFILE = join(ROOT, '.local', 'runtime', 'start.cjs');

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

async function main() {
  const { outputFiles } = await build({
    entryPoints: [join(ROOT, 'local', 'start.ts')],
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
  // Written under another name and renamed: another `npm start` may be loading the file right now.
  mkdirSync(dirname(OUTFILE), { recursive: true });
  const temporary = `${OUTFILE}.${process.pid}.tmp`;
  writeFileSync(temporary, outputFiles[0].contents);
  renameSync(temporary, OUTFILE);
}

main().catch((error) => {
  process.stderr.write(`Could not bundle the local runtime: ${error.message}\n`);
  process.exit(1);
});
