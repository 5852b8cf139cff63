// The local runtime reads template.yaml itself (Globals, events, implicit resources). Here that
// reading is held against AWS's own SAM transform (aws-sam-translator, pinned with the SAM CLI in
// requirements-tools.txt, run offline by scripts/sam_translate.py in the venv scripts/tools-venv.sh
// makes) of the same template with the same parameters, so that the two cannot drift: every
// function's name, environment, timeout and memory; every SQS event source mapping; every queue's
// redrive and visibility; every subscription, schedule, the API's stage and its routes.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { integrationFunctionArn, localApi, type LocalApi, functionDefinitions, type FunctionDefinition, sqsEventSources, type SqsEventSource, provision, type ProvisionedStack, scheduleSources, type ScheduleSource, loadTemplate } from 'local-sam/tools';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const TEMPLATE = join(ROOT, 'template.yaml');
/** Values other than the defaults, so that a parameter read wrongly (or not at all) shows. */
const PARAMETERS = { StageName: 'qa', FunctionTimeoutSeconds: '15', MaxReceiveCount: '3', LogLevel: 'DEBUG' };

type Json = Record<string, unknown>;
interface CloudFormationResource {
  Type: string;
  Condition?: string;
  Properties?: Json;
}

/** Variables Lambda sets itself; none of them comes from the template. */
const LAMBDA_RESERVED = /^(_HANDLER|_X_AMZN_TRACE_ID|AWS_.*|LAMBDA_.*|LANG|PATH|TZ|LD_LIBRARY_PATH|NODE_PATH)$/;

// The emulators' side of provisioning, answered as the emulators answer it; what is read from the template is provision's own.
const dynamo = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const sns = mockClient(SNSClient);

let translated: Record<string, CloudFormationResource>;
let stack: ProvisionedStack;
let definitions: FunctionDefinition[];
let sources: SqsEventSource[];
let schedules: ScheduleSource[];
let api: LocalApi | undefined;

async function samTransform(): Promise<Record<string, CloudFormationResource>> {
  const { stdout: venv } = await run('bash', [join(ROOT, 'scripts', 'tools-venv.sh'), 'sam', join(ROOT, 'requirements-tools.txt')], { cwd: ROOT });
  const env = { ...process.env, AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', SAM_CLI_TELEMETRY: '0', PYTHONDONTWRITEBYTECODE: '1' };
  const { stdout } = await run(join(venv.trim(), 'bin', 'python'), [join(ROOT, 'scripts', 'sam_translate.py'), TEMPLATE, JSON.stringify(PARAMETERS)], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(stdout) as { Resources: Record<string, CloudFormationResource> }).Resources;
}

async function localReading(): Promise<void> {
  dynamo.on(CreateTableCommand).callsFake((input: { TableName: string }) => ({ TableDescription: { TableArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${input.TableName}` } }));
  dynamo.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  sqs.on(CreateQueueCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: `http://127.0.0.1:2/000000000000/${input.QueueName}` }));
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({ Attributes: { QueueArn: `arn:aws:sqs:us-east-1:000000000000:${input.QueueUrl.split('/').pop()}` } }));
  sns.on(CreateTopicCommand).callsFake((input: { Name: string }) => ({ TopicArn: `arn:aws:sns:us-east-1:000000000000:${input.Name}` }));
  sns.on(SubscribeCommand).callsFake((input: { Endpoint: string }) => ({ SubscriptionArn: `${input.Endpoint}:subscription` }));
  stack = await provision(loadTemplate(TEMPLATE, PARAMETERS), { dynamoEndpoint: 'http://127.0.0.1:1', messagingEndpoint: 'http://127.0.0.1:2' });
  const built = stack.functions.map((fn) => ({ logicalId: fn.logicalId, codeDir: '/var/task', handlerFile: '/var/task/index.js', handlerExport: 'handler', sourcemap: false }));
  definitions = functionDefinitions(stack, built, {});
  // Unbounded, so that each source's concurrency is what its ScalingConfig allows.
  sources = sqsEventSources(stack, definitions, Number.POSITIVE_INFINITY);
  schedules = scheduleSources(definitions);
  api = localApi(stack);
}

beforeAll(async () => {
  // On a fresh machine the venv is installed first (a few minutes); afterwards it is reused.
  [translated] = await Promise.all([samTransform(), localReading()]);
}, 900_000);

/** The transformed resources of a type that CloudFormation would create: their Condition, if any, holds for these parameters. */
const resourcesOf = (type: string) =>
  Object.entries(translated).filter(([, resource]) => resource.Type === type && (resource.Condition === undefined || stack.template.conditions[resource.Condition] === true));
const property = (resource: CloudFormationResource, name: string) => resource.Properties?.[name];
const resolved = (value: unknown) => stack.resolve(value);
const sortedBy = <T>(items: T[], key: (item: T) => string) => [...items].sort((a, b) => key(a).localeCompare(key(b)));

// AutoPublishAlias makes the transform add, per function, an AWS::Lambda::Version, an
// AWS::Lambda::Alias (<Function>Alias<name>) and a CodeDeploy deployment group (with one CodeDeploy
// application and its service role for the stack), and point every event source, schedule and
// `<Function>.Alias` reference at the alias. The local runtime models none of them: it runs one
// version, which the alias's ARN (`<function ARN>:<name>`, as on AWS) names. So these comparisons
// read an alias as its function where a Ref names it, as its qualified ARN where a Sub does, and
// compare no Version, Alias, DeploymentGroup or CodeDeploy resource; the last test below checks
// what the transform made of them instead.
const aliases = (): Record<string, string> =>
  Object.fromEntries(resourcesOf('AWS::Lambda::Alias').map(([logicalId, alias]) => [logicalId, (property(alias, 'FunctionName') as { Ref: string }).Ref]));
/** The function a Ref names, through its alias if it names one. */
const functionOf = (logicalId: string): string => aliases()[logicalId] ?? logicalId;
/** A value with every `${<Function>Alias<name>}` in its Fn::Sub strings read as `${<Function>.Arn}:<name>`, the alias's ARN. */
const throughAliases = (value: unknown): unknown => {
  const names = Object.fromEntries(resourcesOf('AWS::Lambda::Alias').map(([logicalId, alias]) => [logicalId, String(property(alias, 'Name'))]));
  return JSON.parse(JSON.stringify(value ?? null).replace(/\$\{(\w+)\}/g, (whole, id: string) => (id in aliases() ? `\${${aliases()[id]}.Arn}:${names[id]}` : whole)));
};

describe('the local reading of template.yaml against AWS’s SAM transform of it', () => {
  it('has the same functions, with the same names (where the template names them), log groups, timeouts and memory', () => {
    const transformed = resourcesOf('AWS::Lambda::Function').map(([logicalId, fn]) => ({
      logicalId,
      name: property(fn, 'FunctionName') === undefined ? undefined : resolved(property(fn, 'FunctionName')),
      logGroup: resolved((property(fn, 'LoggingConfig') as { LogGroup?: unknown } | undefined)?.LogGroup ?? `/aws/lambda/${String(resolved(property(fn, 'FunctionName')))}`),
      // Lambda's defaults where the transform sets nothing.
      timeoutSeconds: Number(resolved(property(fn, 'Timeout') ?? 3)),
      memorySize: Number(resolved(property(fn, 'MemorySize') ?? 128)),
    }));
    const local = definitions.map(({ logicalId, name, environment, timeoutSeconds, memorySize }) => ({
      logicalId,
      // A function the template does not name gets a name CloudFormation makes up; only a given one must match.
      name: stack.template.resources[logicalId]?.properties.FunctionName === undefined ? undefined : name,
      logGroup: environment.AWS_LAMBDA_LOG_GROUP_NAME,
      timeoutSeconds,
      memorySize,
    }));
    expect(sortedBy(local, (fn) => fn.logicalId)).toEqual(sortedBy(transformed, (fn) => fn.logicalId));
    expect(local.length).toBeGreaterThan(0);
    // Generated names, like CloudFormation's, fit Lambda's 64 characters.
    expect(definitions.length).toBeGreaterThan(0);
    for (const { name } of definitions) expect(name.length).toBeLessThanOrEqual(64);
  });

  it('gives every function exactly the environment the transform gives it (Globals merged), besides what Lambda sets itself', () => {
    expect(resourcesOf('AWS::Lambda::Function').length).toBeGreaterThan(0);
    for (const [logicalId, fn] of resourcesOf('AWS::Lambda::Function')) {
      const variables = ((property(fn, 'Environment') as { Variables?: Json } | undefined)?.Variables ?? {}) as Json;
      const expected = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, String(resolved(value))]));
      const environment = definitions.find((definition) => definition.logicalId === logicalId)?.environment ?? {};
      // The endpoint variables are the one named divergence: empty in the template (the SDK then
      // calls AWS), the emulators' locally.
      const endpoints = (name: string) => name.startsWith('AWS_ENDPOINT_URL_');
      for (const name of Object.keys(expected).filter(endpoints)) expect([name, expected[name]]).toEqual([name, '']);
      for (const name of Object.keys(expected).filter(endpoints)) delete expected[name];
      const fromTemplate = Object.fromEntries(Object.entries(environment).filter(([name]) => !endpoints(name) && (!LAMBDA_RESERVED.test(name) || name in expected)));
      expect({ logicalId, environment: fromTemplate }).toEqual({ logicalId, environment: expected });
    }
  });

  it('polls the same queues for the same functions, with the same batch size, batching window, maximum concurrency and response types', () => {
    const transformed = resourcesOf('AWS::Lambda::EventSourceMapping')
      .filter(([, mapping]) => resolved(property(mapping, 'Enabled') ?? true) !== false)
      .map(([, mapping]) => ({
        functionLogicalId: functionOf((property(mapping, 'FunctionName') as { Ref: string }).Ref),
        queueArn: resolved(property(mapping, 'EventSourceArn')),
        // Lambda's defaults for SQS where the transform sets nothing.
        batchSize: Number(resolved(property(mapping, 'BatchSize') ?? 10)),
        batchingWindowMs: Number(resolved(property(mapping, 'MaximumBatchingWindowInSeconds') ?? 0)) * 1000,
        maximumConcurrency: Number((resolved(property(mapping, 'ScalingConfig')) as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency ?? Number.POSITIVE_INFINITY),
        reportBatchItemFailures: ((resolved(property(mapping, 'FunctionResponseTypes')) ?? []) as string[]).includes('ReportBatchItemFailures'),
      }));
    const local = sources.map((source) => ({
      functionLogicalId: source.functionLogicalId,
      queueArn: source.queue.arn,
      batchSize: source.batchSize,
      batchingWindowMs: source.batchingWindowMs,
      maximumConcurrency: source.concurrency,
      reportBatchItemFailures: source.reportBatchItemFailures,
    }));
    const key = (mapping: { functionLogicalId: string; queueArn: unknown }) => `${mapping.functionLogicalId} ${String(mapping.queueArn)}`;
    expect(sortedBy(local, key)).toEqual(sortedBy(transformed, key));
    expect(local.length).toBeGreaterThan(0);
  });

  it('gives every queue the same redrive policy and visibility timeout', () => {
    const transformed = resourcesOf('AWS::SQS::Queue').map(([logicalId, queue]) => ({
      logicalId,
      redrive: resolved(property(queue, 'RedrivePolicy')) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } | undefined,
      visibilityTimeout: property(queue, 'VisibilityTimeout') === undefined ? undefined : Number(resolved(property(queue, 'VisibilityTimeout'))),
    }));
    const local = stack.queues.map((queue) => ({ logicalId: queue.logicalId, redrive: queue.attributes.RedrivePolicy, visibilityTimeout: queue.attributes.VisibilityTimeout }));
    expect(local.map((queue) => queue.logicalId).sort()).toEqual(transformed.map((queue) => queue.logicalId).sort());
    expect(transformed.length).toBeGreaterThan(0);
    for (const queue of transformed) {
      const mine = local.find((candidate) => candidate.logicalId === queue.logicalId);
      const redrive = mine?.redrive === undefined ? undefined : (JSON.parse(mine.redrive) as { deadLetterTargetArn: string; maxReceiveCount: unknown });
      expect({ queue: queue.logicalId, deadLetterTargetArn: redrive?.deadLetterTargetArn, maxReceiveCount: redrive && Number(redrive.maxReceiveCount), visibilityTimeout: mine?.visibilityTimeout && Number(mine.visibilityTimeout) }).toEqual({
        queue: queue.logicalId,
        deadLetterTargetArn: queue.redrive?.deadLetterTargetArn,
        maxReceiveCount: queue.redrive && Number(queue.redrive.maxReceiveCount),
        visibilityTimeout: queue.visibilityTimeout,
      });
    }
  });

  it('subscribes the same endpoints to the same topics', () => {
    const transformed = resourcesOf('AWS::SNS::Subscription').map(([logicalId, subscription]) => ({
      logicalId,
      topicArn: resolved(property(subscription, 'TopicArn')),
      protocol: resolved(property(subscription, 'Protocol')),
      endpoint: resolved(property(subscription, 'Endpoint')),
    }));
    const local = stack.subscriptions.map(({ logicalId, topicArn, protocol, endpoint }) => ({ logicalId, topicArn, protocol, endpoint }));
    expect(sortedBy(local, (subscription) => subscription.logicalId)).toEqual(sortedBy(transformed, (subscription) => subscription.logicalId));
  });

  it('runs the same schedules for the same functions', () => {
    const transformed = resourcesOf('AWS::Events::Rule').map(([, rule]) => ({
      functionLogicalId: functionOf(((property(rule, 'Targets') as { Arn: { Ref?: string; 'Fn::GetAtt'?: [string, string] } }[])[0]?.Arn ?? {}).Ref ?? ''),
      expression: resolved(property(rule, 'ScheduleExpression')),
    }));
    const local = schedules.map(({ functionLogicalId, expression }) => ({ functionLogicalId, expression }));
    expect(sortedBy(local, (schedule) => schedule.functionLogicalId)).toEqual(sortedBy(transformed, (schedule) => schedule.functionLogicalId));
  });

  it('serves the API’s stage, with every route of the deployed REST API invoking the same function', () => {
    const [[, stage] = ['', { Type: '' }]] = resourcesOf('AWS::ApiGateway::Stage');
    expect(api?.stage).toBe(resolved(property(stage, 'StageName')));
    const [[, restApi] = ['', { Type: '' }]] = resourcesOf('AWS::ApiGateway::RestApi');
    const paths = (property(restApi, 'Body') as { paths: Record<string, Record<string, { 'x-amazon-apigateway-integration'?: { uri?: unknown } }>> }).paths;
    const transformed = Object.entries(paths).flatMap(([resource, methods]) =>
      Object.entries(methods).map(([method, operation]) => `${method} ${resource} -> ${integrationFunctionArn(resolved(throughAliases(operation['x-amazon-apigateway-integration']?.uri))) ?? '?'}`),
    );
    const local = (api?.routes ?? []).flatMap((route) => [
      ...Object.entries(route.methods).map(([method, target]) => `${method.toLowerCase()} ${route.resource} -> ${target.functionArn}`),
      ...(route.anyMethod ? [`x-amazon-apigateway-any-method ${route.resource} -> ${route.anyMethod.functionArn}`] : []),
    ]);
    expect(local.sort()).toEqual(transformed.sort());
  });

  it('publishes every function under the alias `live`, which its event sources and schedule invoke, shifted by a CodeDeploy group with rollback alarms', () => {
    const functions = resourcesOf('AWS::Lambda::Function').map(([logicalId]) => logicalId);
    expect(functions.length).toBeGreaterThan(0);
    const aliasOf = Object.fromEntries(resourcesOf('AWS::Lambda::Alias').map(([logicalId, alias]) => [(property(alias, 'FunctionName') as { Ref: string }).Ref, { logicalId, alias }]));
    for (const functionId of functions) {
      const { logicalId, alias } = aliasOf[functionId] ?? { logicalId: '', alias: { Type: '' } };
      expect({ functionId, name: property(alias, 'Name') }).toEqual({ functionId, name: 'live' });
      const group = (alias as { UpdatePolicy?: { CodeDeployLambdaAliasUpdate?: { DeploymentGroupName?: { Ref: string } } } }).UpdatePolicy?.CodeDeployLambdaAliasUpdate?.DeploymentGroupName?.Ref ?? '';
      const deployment = translated[group];
      expect({ functionId, type: deployment?.Type }).toEqual({ functionId, type: 'AWS::CodeDeploy::DeploymentGroup' });
      const alarms = (property(deployment ?? { Type: '' }, 'AlarmConfiguration') as { Alarms: { Name: unknown }[]; Enabled: boolean }).Alarms;
      expect(alarms).toContainEqual({ Name: { 'Fn::GetAtt': ['MonitoringStack', `Outputs.${functionId}ErrorsAlarm`] } });
      expect(resolved(property(deployment ?? { Type: '' }, 'DeploymentConfigName'))).toEqual(expect.stringContaining('AllAtOnce'));
      expect(logicalId).toMatch(new RegExp(`^${functionId}Aliaslive$`));
    }
    const targets = [
      ...resourcesOf('AWS::Lambda::EventSourceMapping').map(([, mapping]) => property(mapping, 'FunctionName')),
      ...resourcesOf('AWS::Events::Rule').flatMap(([, rule]) => (property(rule, 'Targets') as { Arn: unknown }[]).map((target) => target.Arn)),
    ];
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(Object.keys(aliases())).toContain((target as { Ref?: string }).Ref);
  });
});
