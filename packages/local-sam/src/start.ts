// `local-sam start`: runs a SAM app's whole stack on this machine and prints what runs where.
//   --template FILE     the SAM template (default: template.yaml in the current folder)
//   --stack-name NAME   physical names are <NAME>-<LogicalId> (default: the app's local-sam.config,
//                       else samconfig.toml's stack_name, else the folder's name)
//   --seed              once ready, put in the app's demo data (its local-sam.config's seed)
//   --port N            API port (default: PORT or 3000)
//   --lambda-port N     also serve the Lambda Invoke API there (as `sam local start-lambda`; 0: any free port)
//   --persist DIR       keep DynamoDB and SNS/SQS data in DIR between runs
//   --param Name=Value  template parameter override (repeatable)
//   --relaxed-params    accept parameter values outside the template's constraints
//   --faults SPEC       inject AWS's failure modes: a .yaml/.json file or the inline form (faults.ts)
//   --transaction-conflicts  report DynamoDB transaction conflicts, which DynamoDB Local never does
//                       (shorthand for the fault rule `dynamodb:* transaction-conflict`)
//   --api-keys          require the API key as the deployed API does (a key made at startup, printed
//                       and in the state file), throttled and capped by the template's usage plan
//   --state-file FILE   write the endpoints and every resource's physical id as JSON once ready (state.ts)
//   --env-vars-file FILE  where to write the file for `sam local invoke --env-vars` (default .local/env.json beside the template)
//   --emulator-host ADDR  where fauxqs listens instead of 127.0.0.1 (e.g. the Docker bridge, for containers on Linux)
//   --build-dir DIR     where bundles go (inside the app's folder; default .local/build)
//   --parent-pid PID    stop when that process is gone (a test run that started the stack)
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { findAppConfig, loadAppConfig } from './app';
import { COUNTS_PATH } from './awsProxy';
import { LOCAL_DIR } from './build';
import { CONSOLE_PATH } from './console/server';
import type { LocalSamApp } from './defineApp';
import { faultReport, readFaultSpec, type FaultConfig } from './faults';
import { startLocalStack, type LocalStack } from './runtime';
import { samEnvVars } from './samEnvVars';
import { nextFireTime, type ScheduleSource } from './scheduler';
import { stateOf } from './state';
import type { UsagePlanLimits } from './usagePlan';

export interface CliOptions {
  templatePath: string;
  stackName?: string;
  seed?: boolean;
  port: number;
  lambdaPort?: number;
  persistDir?: string;
  parameters: Record<string, string>;
  relaxedParameters: boolean;
  apiKeys?: boolean;
  faults?: FaultConfig;
  stateFile?: string;
  envVarsFile: string;
  emulatorHost?: string;
  buildDir?: string;
  parentPid?: number;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      template: { type: 'string', short: 't' },
      'stack-name': { type: 'string' },
      seed: { type: 'boolean' },
      port: { type: 'string' },
      'lambda-port': { type: 'string' },
      persist: { type: 'string' },
      param: { type: 'string', multiple: true },
      'relaxed-params': { type: 'boolean' },
      faults: { type: 'string' },
      'transaction-conflicts': { type: 'boolean' },
      'api-keys': { type: 'boolean' },
      'state-file': { type: 'string' },
      'env-vars-file': { type: 'string' },
      'emulator-host': { type: 'string' },
      'build-dir': { type: 'string' },
      'parent-pid': { type: 'string' },
    },
    strict: true,
  });
  const port = Number(values.port ?? env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port ?? env.PORT} is not a port number`);
  const lambdaPort = values['lambda-port'] === undefined ? undefined : Number(values['lambda-port']);
  if (lambdaPort !== undefined && (!Number.isInteger(lambdaPort) || lambdaPort < 0 || lambdaPort > 65535)) throw new Error(`--lambda-port ${values['lambda-port']} is not a port number`);
  const parameters: Record<string, string> = {};
  for (const pair of values.param ?? []) {
    const separator = pair.indexOf('=');
    if (separator <= 0) throw new Error(`--param ${pair}: expected Name=Value`);
    parameters[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  let faults = values.faults === undefined ? undefined : readFaultSpec(values.faults);
  if (values['transaction-conflicts']) faults = { seed: faults?.seed ?? 1, rules: [...(faults?.rules ?? []), { operation: 'dynamodb:*', kind: 'transaction-conflict' }] };
  const templatePath = resolvePath(cwd, values.template ?? 'template.yaml');
  return {
    templatePath,
    port,
    parameters,
    relaxedParameters: values['relaxed-params'] === true,
    envVarsFile: resolvePath(cwd, values['env-vars-file'] ?? join(dirname(templatePath), LOCAL_DIR, 'env.json')),
    ...(values['stack-name'] ? { stackName: values['stack-name'] } : {}),
    ...(values.seed ? { seed: true } : {}),
    ...(values['emulator-host'] ? { emulatorHost: values['emulator-host'] } : {}),
    ...(lambdaPort !== undefined ? { lambdaPort } : {}),
    ...(values['api-keys'] ? { apiKeys: true } : {}),
    ...(faults ? { faults } : {}),
    ...(values.persist ? { persistDir: values.persist } : {}),
    ...(values['state-file'] ? { stateFile: values['state-file'] } : {}),
    ...(values['build-dir'] ? { buildDir: values['build-dir'] } : {}),
    ...(values['parent-pid'] ? { parentPid: Number(values['parent-pid']) } : {}),
  };
}

function usagePlanSummary(limits: UsagePlanLimits | undefined): string {
  if (!limits) return 'no usage plan lists this API';
  const throttle = limits.rateLimit !== undefined && limits.burstLimit !== undefined ? `${limits.rateLimit} requests/s, bursts of ${limits.burstLimit}` : 'not throttled';
  return `usage plan: ${throttle}${limits.quota ? `, ${limits.quota.limit} a day` : ''}`;
}

export function summary(local: LocalStack, envVarsFile?: string, panelTitles?: string): string {
  const { stack, api } = local;
  const lines: string[] = [];
  const section = (title: string, rows: string[]) => {
    if (rows.length === 0) return;
    lines.push(`  ${title}`);
    for (const row of rows) lines.push(`    ${row}`);
  };
  const fnOf = (arn: string) => local.functions.byArn(arn)?.definition.logicalId ?? arn;
  lines.push(`${stack.template.stackName} is running locally (ready in ${(local.startupMs / 1000).toFixed(1)} s)`);
  if (api) {
    lines.push(`  API        ${local.url}  (also under /${api.stage}; Swagger UI at ${local.url}/docs)`);
    lines.push(local.apiKey ? `  API key    ${local.apiKey.value}  (send as x-api-key; ${usagePlanSummary(local.apiKey.limits)})` : '  API key    not required (--api-keys requires it as the deployed API does)');
    lines.push(`  Console    ${local.url}${CONSOLE_PATH}  (live: pipeline, queues and dead letters, functions, metrics${panelTitles ? `, ${panelTitles}` : ''})`);
    if (local.lambdaUrl) lines.push(`  Lambda     ${local.lambdaUrl}  (invoke once: POST /2015-03-31/functions/<LogicalId>/invocations)`);
    section(
      'Routes',
      [...api.routes].sort((a, b) => a.resource.localeCompare(b.resource)).flatMap((route) => [
        ...Object.entries(route.methods).map(([method, target]) => `${method.padEnd(6)} ${route.resource.padEnd(28)} -> ${fnOf(target.functionArn)}`),
        ...(route.anyMethod && Object.keys(route.methods).length === 0 ? [`ANY    ${route.resource.padEnd(28)} -> ${fnOf(route.anyMethod.functionArn)}`] : []),
      ]),
    );
  }
  const consumers = new Map(local.pollers.map((poller) => [poller.source.queue.logicalId, poller.source]));
  section(
    'Queues',
    stack.queues.map((queue) => {
      const source = consumers.get(queue.logicalId);
      const redrive = queue.attributes.RedrivePolicy ? (JSON.parse(queue.attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number }) : undefined;
      const dlq = redrive && stack.queueByArn(redrive.deadLetterTargetArn);
      return [
        queue.name.padEnd(48),
        source ? `-> ${source.functionLogicalId} (batch ${source.batchSize}, ${source.concurrency} at a time)` : '',
        dlq ? `dead letters after ${redrive.maxReceiveCount} receives -> ${dlq.logicalId}` : '',
        queue.attributes.VisibilityTimeout ? `visibility ${queue.attributes.VisibilityTimeout} s` : '',
      ]
        .filter(Boolean)
        .join('  ');
    }),
  );
  section(
    'Topics',
    stack.topics.map((topic) => {
      const queues = stack.subscriptions.filter((s) => s.topicArn === topic.arn).map((s) => stack.queueByArn(s.endpoint)?.logicalId ?? s.endpoint);
      const functions = local.snsEventSources.filter((source) => source.topicArn === topic.arn).map((source) => source.functionLogicalId);
      return `${topic.name.padEnd(48)} -> ${[...queues, ...functions].join(', ')}`;
    }),
  );
  section('Tables', stack.tables.map((table) => table.name));
  const nextRun = (schedule: ScheduleSource) => {
    const next = nextFireTime(schedule, Date.now(), Date.now());
    return next === undefined ? ' (not again)' : ` (next ${new Date(next).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
  };
  section('Schedules', local.schedules.map((schedule) => `${schedule.expression.padEnd(20)} -> ${schedule.functionLogicalId}${schedule.notRunLocally ? ` (not run locally: ${schedule.notRunLocally})` : nextRun(schedule)}`));
  section('Emulators', [
    `DynamoDB Local  ${local.emulators.dynamoEndpoint}`,
    `                its port is reachable from the network: DynamoDB Local cannot listen on loopback only (telemetry off, CORS for ${local.url || 'no origin'} only)`,
    `fauxqs SNS/SQS  ${local.emulators.messagingEndpoint}`,
    ...(local.faults ? [`(the functions and pollers call both through the fault injector at ${local.faults.endpoint})`] : []),
  ]);
  if (local.faults) {
    const { seed, rules } = local.faults.injector.counts();
    section(`Faults (seed ${seed}; windows count seconds from now; counts: GET ${local.faults.endpoint}${COUNTS_PATH})`, rules.map((rule) => rule.text));
  }
  section('Warnings (what does not run locally, and what that means)', local.warnings);
  if (envVarsFile) lines.push(`  For sam local invoke: --env-vars ${relative(process.cwd(), envVarsFile)} (this stack's variables)`);
  lines.push('  Ctrl-C stops everything.');
  return lines.join('\n');
}

/** `local-sam start [options]`: runs the stack until SIGINT or SIGTERM (or --parent-pid's process is gone). */
export async function main(argv: string[]): Promise<void> {
  const cli = parseCli(argv);
  const appDir = dirname(cli.templatePath);
  const configFile = findAppConfig(appDir);
  const app: LocalSamApp = configFile ? await loadAppConfig(configFile, join(appDir, LOCAL_DIR, 'local-sam')) : {};
  const stackName = cli.stackName ?? app.stackName;
  const local = await startLocalStack({
    templatePath: cli.templatePath,
    ...(stackName ? { stackName } : {}),
    ...(app.validator ? { validator: app.validator } : {}),
    ...(app.consolePanels ? { consolePanels: app.consolePanels } : {}),
    port: cli.port,
    ...(cli.lambdaPort !== undefined ? { lambdaPort: cli.lambdaPort } : {}),
    parameters: cli.parameters,
    relaxedParameters: cli.relaxedParameters,
    ...(cli.apiKeys ? { apiKeys: true } : {}),
    ...(cli.faults ? { faults: cli.faults } : {}),
    ...(cli.emulatorHost ? { messagingHost: cli.emulatorHost } : {}),
    ...(cli.persistDir ? { persistDir: cli.persistDir } : {}),
    ...(cli.buildDir ? { buildDir: resolvePath(cli.buildDir) } : {}),
  });
  const state = stateOf(local);
  if (cli.seed) {
    if (!app.seed) process.stdout.write(`--seed: ${configFile ?? 'no local-sam.config'} has no seed; nothing put in.\n`);
    else await app.seed(state).catch(async (error: unknown) => {
      await local.stop();
      throw new Error(`Seeding failed: ${(error as Error).message}`, { cause: error });
    });
  }
  process.stdout.write(`${summary(local, cli.envVarsFile, app.consolePanels?.map((panel) => panel.title.toLowerCase()).join(', '))}\n`);
  mkdirSync(dirname(resolvePath(cli.envVarsFile)), { recursive: true });
  writeFileSync(cli.envVarsFile, `${JSON.stringify(samEnvVars(local.stack, local.emulators), null, 2)}\n`);
  if (cli.stateFile) {
    mkdirSync(dirname(resolvePath(cli.stateFile)), { recursive: true });
    // Whole or not at all: whoever waits for the file may read it the moment it appears.
    const temporary = `${cli.stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state, null, 2));
    renameSync(temporary, cli.stateFile);
  }

  let stoppingSince: number | undefined;
  const stop = (reason: string, code = 0) => {
    if (stoppingSince !== undefined) {
      // Ctrl-C reaches npm and this process at once: only a later one means "now".
      if (Date.now() - stoppingSince < 2000) return;
      process.stderr.write('Stopping anyway.\n');
      process.exit(130);
    }
    stoppingSince = Date.now();
    process.stdout.write(`\n${reason}: stopping the local stack...\n`);
    local
      .stop()
      .then(() => {
        if (cli.stateFile) rmSync(cli.stateFile, { force: true });
        if (local.faults) process.stdout.write(`${faultReport(local.faults.injector.counts())}\n`);
        rmSync(cli.envVarsFile, { force: true });
        process.stdout.write('Stopped.\n');
        process.exit(code);
      })
      .catch((error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      });
  };
  if (cli.parentPid) {
    const parentPid = cli.parentPid;
    setInterval(() => {
      try {
        process.kill(parentPid, 0);
      } catch {
        stop(`process ${parentPid} is gone`);
      }
    }, 1000).unref();
  }
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // A crash must not leave the emulators (a JVM among them) running.
  process.on('uncaughtException', (error) => {
    process.stderr.write(`${error.stack ?? String(error)}\n`);
    stop('uncaught exception', 1);
  });
}

/** The message for a start that failed, with a hint where one helps. */
export function startFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const hint = /^Template parameters? .* (is not one of|does not match|is below|is above|is shorter|is longer|break rule)/.test(message) ? ' (add --relaxed-params to run with it locally anyway)' : '';
  return `Could not start the local stack: ${message}${hint}`;
}
