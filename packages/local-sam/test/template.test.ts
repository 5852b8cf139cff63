import { join } from 'node:path';
import {
  createResolver,
  loadTemplate,
  mergeGlobals,
  physicalName,
  resourceReferences,
  ruleViolations,
  TemplateError,
  type PhysicalResources,
  type Template,
} from '../src/template';
import { checkTemplate } from '../src/compatibility';

const fixture = join(__dirname, 'templates', 'stack.yaml');
const projectTemplate = join(__dirname, 'templates', 'helpdesk', 'template.yaml');

/** What provision() would report for the fixture's emulated resources. */
const physical: PhysicalResources = {
  Table: { type: 'AWS::DynamoDB::Table', ref: 'local-Table', attributes: { Arn: 'arn:aws:dynamodb:local:000000000000:table/local-Table' } },
  NamedQueue: { type: 'AWS::SQS::Queue', ref: 'http://127.0.0.1:1/000000000000/local-jobs-dev', attributes: { Arn: 'arn:aws:sqs:us-east-1:000000000000:local-jobs-dev' } },
};

const workerEnvironment = (template: Template) => {
  const resolved = createResolver(template, physical)(template.resources.Worker?.properties.Environment) as { Variables: Record<string, string> };
  return resolved.Variables;
};

describe('loadTemplate', () => {
  it('uses the parameters’ defaults', () => {
    expect(loadTemplate(fixture).parameters).toEqual({ Stage: 'dev', Timeout: '10', Zones: ['a', 'b'] });
  });

  it('applies overrides like sam --parameter-overrides', () => {
    expect(loadTemplate(fixture, { Stage: 'prod', Timeout: '30' }).parameters).toMatchObject({ Stage: 'prod', Timeout: '30' });
  });

  it('refuses an override for a parameter the template does not declare', () => {
    expect(() => loadTemplate(fixture, { Stag: 'prod' })).toThrow(/Unknown template parameter\(s\): Stag/);
  });

  it('refuses a value outside AllowedValues or MinValue/MaxValue, as CloudFormation does', () => {
    expect(() => loadTemplate(fixture, { Stage: 'test' })).toThrow(TemplateError);
    expect(() => loadTemplate(fixture, { Timeout: '2' })).toThrow(/below its MinValue 3/);
    expect(() => loadTemplate(fixture, { Timeout: 'soon' })).toThrow(/not a number/);
  });

  it('accepts out-of-range values when constraints are relaxed', () => {
    expect(loadTemplate(fixture, { Timeout: '1' }, { enforceParameterConstraints: false }).parameters.Timeout).toBe('1');
  });

  it('evaluates Conditions and leaves out resources whose Condition is false', () => {
    expect(loadTemplate(fixture).conditions).toEqual({ IsProd: false, IsDev: true });
    expect(loadTemplate(fixture).resources.ProdOnlyAlarm).toBeUndefined();
    expect(loadTemplate(fixture, { Stage: 'prod' }).resources.ProdOnlyAlarm?.type).toBe('AWS::CloudWatch::Alarm');
  });

  it('merges Globals.Function into each function: maps merge, lists append, the function wins on scalars', () => {
    const worker = loadTemplate(fixture).resources.Worker?.properties;
    expect(worker?.Runtime).toBe('nodejs22.x');
    expect(worker?.Timeout).toEqual({ Ref: 'Timeout' });
    expect(worker?.Layers).toEqual(['global-layer', 'own-layer']);
    expect((worker?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({ SHARED: 'from-function', TABLE: { Ref: 'Table' } });
  });

  it('rejects a template without Resources', () => {
    expect(() => loadTemplate(join(__dirname, 'templates', 'api.yaml'))).toThrow(/no Resources/);
  });
});

describe('the template’s Rules', () => {
  const rules = join(__dirname, 'templates', 'rules.yaml');

  it('hold for the defaults', () => {
    expect(loadTemplate(rules).parameters).toMatchObject({ Timeout: '10', Visibility: '60' });
  });

  it('refuse parameters that break an assertion, with its AssertDescription, as CloudFormation does', () => {
    expect(() => loadTemplate(rules, { Timeout: '30', Visibility: '20' })).toThrow('Template parameters break rule VisibilityCoversTimeout: Visibility must be at least Timeout.');
  });

  it('apply only where their RuleCondition holds', () => {
    expect(loadTemplate(rules, { Timeout: '10', Visibility: '20' }).parameters.Visibility).toBe('20');
    expect(() => loadTemplate(rules, { Mode: 'safe' })).toThrow(/rule SafeModeIsSlow: Safe mode needs the longer timeout/);
    expect(loadTemplate(rules, { Mode: 'safe', Timeout: '30' }).parameters.Mode).toBe('safe');
  });

  it('evaluate list parameters with Fn::EachMemberIn and Fn::EachMemberEquals', () => {
    expect(() => loadTemplate(rules, { Zones: 'a,d' })).toThrow(/Zones must be a, b or c/);
    expect(() => loadTemplate(rules, { Zones: 'c,c' })).toThrow(/Zones may not all be c/);
  });

  it('say how many rules are broken when more than one is', () => {
    expect(() => loadTemplate(rules, { Timeout: '30', Visibility: '20', Zones: 'd' })).toThrow(/\(and 1 more\)/);
  });

  it('are skipped with the constraints when parameters are relaxed', () => {
    expect(loadTemplate(rules, { Timeout: '30', Visibility: '20' }, { enforceParameterConstraints: false }).parameters.Visibility).toBe('20');
  });

  it('refuse the rule functions that need the AWS account', () => {
    expect(() => ruleViolations({ Ami: { Assertions: [{ Assert: { 'Fn::EachMemberIn': [{ 'Fn::ValueOfAll': ['AWS::EC2::Subnet::Id', 'VpcId'] }, ['vpc-1']] } }] } }, {})).toThrow(
      /Fn::ValueOfAll in Rules is not supported locally/,
    );
  });
});

describe('mergeGlobals', () => {
  it('treats an intrinsic as a value, not as a map to merge into', () => {
    expect(mergeGlobals({ Ref: 'A' }, { 'Fn::GetAtt': ['B', 'Arn'] })).toEqual({ 'Fn::GetAtt': ['B', 'Arn'] });
  });

  it('keeps the global value when the resource does not set it', () => {
    expect(mergeGlobals({ a: 1 }, undefined)).toEqual({ a: 1 });
  });
});

describe('createResolver', () => {
  const template = loadTemplate(fixture, {}, { stackName: 'local' });

  it('resolves Ref to parameters, resources and pseudo parameters', () => {
    const resolve = createResolver(template, physical);
    expect(resolve({ Ref: 'Stage' })).toBe('dev');
    expect(resolve({ Ref: 'Table' })).toBe('local-Table');
    expect(resolve({ Ref: 'AWS::StackName' })).toBe('local');
    expect(resolve({ Ref: 'AWS::Region' })).toBe('us-east-1');
    expect(resolve({ Ref: 'AWS::AccountId' })).toBe('000000000000');
  });

  it('resolves a function environment from the template to local names', () => {
    expect(workerEnvironment(template)).toEqual({
      SHARED: 'from-function',
      TABLE: 'local-Table',
      QUEUE: 'http://127.0.0.1:1/000000000000/local-jobs-dev',
      QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:local-jobs-dev',
      SUBSTITUTED: 'arn:aws:us-east-1:000000000000:local-Table/${Literal}',
      SUB_WITH_VARIABLES: 'arn:aws:dynamodb:local:000000000000:table/local-Table@dev',
      JOINED: 'dev|10|b',
      SPLIT_THEN_SELECT: 'x',
      MODE: 'development',
      ENCODED: Buffer.from('hello').toString('base64'),
    });
  });

  it('drops a property set to AWS::NoValue and keeps it when the condition picks a value', () => {
    expect(workerEnvironment(template)).not.toHaveProperty('OPTIONAL');
    expect(workerEnvironment(loadTemplate(fixture, { Stage: 'prod' }))).toMatchObject({ OPTIONAL: 'set', MODE: 'production' });
  });

  it('resolves Fn::FindInMap against Mappings', () => {
    expect(createResolver(template, physical)(template.resources.Worker?.properties.MemorySize)).toBe(256);
  });

  it('derives a function’s name and ARN from the stack name when nothing emulates it', () => {
    const resolve = createResolver(template, physical);
    expect(resolve({ Ref: 'Worker' })).toBe('local-Worker');
    expect(resolve({ 'Fn::GetAtt': ['Worker', 'Arn'] })).toBe('arn:aws:lambda:us-east-1:000000000000:function:local-Worker');
    expect(resolve({ 'Fn::GetAtt': 'Worker.Arn' })).toBe('arn:aws:lambda:us-east-1:000000000000:function:local-Worker');
  });

  it('inlines an AWS::Include and resolves the Fn::Sub inside it', () => {
    const definition = createResolver(template, physical)(template.resources.Api?.properties.DefinitionBody) as {
      paths: Record<string, Record<string, { 'x-amazon-apigateway-integration': { uri: string } }>>;
    };
    expect(definition.paths['/work']?.post?.['x-amazon-apigateway-integration'].uri).toBe(
      'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:local-Worker/invocations',
    );
  });

  it('refuses a reference to something the template does not declare', () => {
    expect(() => createResolver(template, physical)({ Ref: 'Missing' })).toThrow(/Unresolved reference to Missing/);
  });

  it('refuses an attribute the local resource does not have', () => {
    expect(() => createResolver(template, physical)({ 'Fn::GetAtt': ['Table', 'StreamArn'] })).toThrow(/has no attribute StreamArn/);
  });

  it('refuses intrinsics with no local meaning', () => {
    expect(() => createResolver(template, physical)({ 'Fn::ImportValue': 'elsewhere' })).toThrow(/not supported locally/);
  });
});

describe('aliases (AutoPublishAlias) and nested applications', () => {
  const template = loadTemplate(join(__dirname, 'templates', 'aliases.yaml'), {}, { stackName: 'notes' });
  const resolve = createResolver(template, {});
  const arn = 'arn:aws:lambda:us-east-1:000000000000:function:notes-NotesFunction';

  it('resolves the alias and the version, however the template names them, qualified as on AWS', () => {
    expect(resolve(template.resources.NotesFunction?.properties.Environment)).toEqual({
      Variables: { SELF_ALIAS: `${arn}:live`, SELF_VERSION: `${arn}:1`, GENERATED_ALIAS: `${arn}:live`, DASHBOARD: 'Monitoring.Outputs.DashboardName' },
    });
  });

  it('routes an API integration that targets the alias to the function', () => {
    const api = resolve(template.resources.Api?.properties.DefinitionBody) as { paths: Record<string, { get: { 'x-amazon-apigateway-integration': { uri: string } } }> };
    expect(api.paths['/notes']?.get['x-amazon-apigateway-integration'].uri).toBe(`arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${arn}:live/invocations`);
  });

  it('still refuses an alias of a function that publishes none', () => {
    const bare = { ...template, resources: { ...template.resources, NotesFunction: { ...template.resources.NotesFunction!, properties: { Handler: 'notes.handler' } } } };
    expect(() => createResolver(bare, {})({ Ref: 'NotesFunction.Alias' })).toThrow(/Unresolved reference to NotesFunction.Alias/);
  });

  it('names both at startup: the alias as the one local version, the nested application as not run', () => {
    const warnings = checkTemplate(template);
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^AutoPublishAlias: accepted: the alias names the function's one local version.*NotesFunction/),
      expect.stringMatching(/^Monitoring \(AWS::Serverless::Application\) is not run locally/),
    ]));
  });
});

describe('physicalName', () => {
  const template = loadTemplate(fixture, {}, { stackName: 'local' });

  it('is <stack>-<LogicalId> by default', () => {
    expect(physicalName(template, template.resources.Table!)).toBe('local-Table');
  });

  it('is the resource’s own name property when it sets one', () => {
    expect(physicalName(template, template.resources.NamedQueue!)).toBe('local-jobs-dev');
  });
});

describe('resourceReferences', () => {
  it('finds the resources a value refers to through Ref, Fn::GetAtt and Fn::Sub, not parameters’ pseudo names or Sub variables', () => {
    const references = resourceReferences({
      a: { Ref: 'Queue' },
      b: { 'Fn::GetAtt': 'DeadLetters.Arn' },
      c: { 'Fn::Sub': ['${Topic}/${AWS::Region}/${Local}/${!Escaped}', { Local: { Ref: 'Table' } }] },
    });
    expect([...references].sort()).toEqual(['DeadLetters', 'Queue', 'Table', 'Topic']);
  });
});

describe('the project’s template.yaml', () => {
  const template = loadTemplate(projectTemplate);
  const resolve = createResolver(template, {});
  const functions = Object.values(template.resources).filter((resource) => resource.type === 'AWS::Serverless::Function');

  it('declares functions whose environment resolves to plain strings', () => {
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const variables = (resolve(fn.properties.Environment) as { Variables: Record<string, unknown> }).Variables;
      for (const value of Object.values(variables)) expect(typeof value).toBe('string');
    }
  });

  it('points every SQS event source at a queue the template declares', () => {
    for (const fn of functions) {
      for (const event of Object.values((fn.properties.Events ?? {}) as Record<string, { Type: string; Properties: { Queue: unknown } }>)) {
        if (event.Type !== 'SQS') continue;
        const [queueId] = [...resourceReferences(event.Properties.Queue)];
        expect(template.resources[queueId ?? '']?.type).toBe('AWS::SQS::Queue');
      }
    }
  });
});

describe('names SAM generates, as templates commonly refer to them', () => {
  const template = loadTemplate(join(__dirname, 'templates', 'generated-names.yaml'), {}, { stackName: 'p' });
  const arn = 'arn:aws:lambda:us-east-1:000000000000:function:p-MyAliasFn';

  it('resolves a stage named by a parameter, and an alias named by one on a function whose name contains Alias', () => {
    expect(createResolver(template, {})(template.resources.MyAliasFn?.properties.Environment)).toEqual({
      Variables: { ALIAS: `${arn}:current`, STAGE: 'dev', VERSION: `${arn}:1` },
    });
  });

  it('accepts a DependsOn on the stage SAM makes, and warns only about what does not run', () => {
    expect(checkTemplate(template)).toEqual([
      'AWS::ApiGateway::UsagePlan: read by --api-keys (a usage plan and one key made at startup), not created (Plan)',
      "AutoPublishAlias: accepted: the alias names the function's one local version (MyAliasFn)",
    ]);
  });

  it('refuses an alias name the function does not publish', () => {
    expect(() => createResolver(template, {})({ Ref: 'MyAliasFnAliaslive' })).toThrow(/Unresolved reference to MyAliasFnAliaslive/);
  });
});
