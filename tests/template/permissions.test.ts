// Least privilege: each function may do what its code does, on the resources its code names.
import {
  actionsOf,
  asList,
  eventQueueOf,
  functionIds,
  logicalIdsOfType,
  props,
  referencedResources,
  resource,
  resourcesNamedFor,
  roleOf,
  roleStatements,
  target,
  template,
  type Statement,
} from './stack';

const functions = functionIds();
const roleStatementsOf = (functionId: string): Statement[] => roleStatements(roleOf(functionId) ?? '');
const allows = (statement: Statement) => statement.Effect === 'Allow';

/** Logical ids a function's role grants access to, X-Ray's '*' aside. */
const grantedResources = (functionId: string): Set<string> =>
  new Set(roleStatementsOf(functionId).filter(allows).flatMap((statement) => [...referencedResources(statement.Resource)]));

/** The actions the role allows on one resource (or on ARNs built from it, such as a table's indexes). */
const actionsOn = (functionId: string, logicalId: string): string[] =>
  roleStatementsOf(functionId)
    .filter((statement) => allows(statement) && referencedResources(statement.Resource).has(logicalId))
    .flatMap(actionsOf);

/** Every policy document in the template: role policies, queue and topic policies, key policies. */
function everyStatement(): { owner: string; statement: Statement }[] {
  return Object.entries(template.Resources).flatMap(([owner, definition]) => {
    const properties = definition.Properties ?? {};
    const documents = [
      ...asList(properties.Policies as { PolicyDocument: unknown }[] | undefined).map((policy) => policy.PolicyDocument),
      properties.AssumeRolePolicyDocument,
      properties.PolicyDocument,
      properties.KeyPolicy,
    ].filter(Boolean) as { Statement: Statement | Statement[] }[];
    return documents.flatMap((document) => asList(document.Statement).map((statement) => ({ owner, statement })));
  });
}

/** What a function may ever do, by service: reading and writing data, never managing it. */
const DATA_PLANE = new Set([
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ChangeMessageVisibility',
  'sns:Publish',
  'kms:GenerateDataKey',
  'kms:Decrypt',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);

const QUEUE_CONSUMER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'];
/** Reading a dead-letter queue without consuming it, as the sweeper does. */
const DEAD_LETTER_READER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility'];

/** Queues that some queue's redrive policy sends its dead letters to. */
const deadLetterQueues = new Set(
  logicalIdsOfType('AWS::SQS::Queue').flatMap((queue) => asList(target((props(queue).RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn))),
);

describe('function permissions', () => {
  it('gives every function a role of its own, and none of SAM’s generated ones', () => {
    expect(functions.length).toBeGreaterThan(0);
    const roles = functions.map(roleOf);
    expect(functions.length).toBeGreaterThan(0);
    for (const [index, functionId] of functions.entries()) {
      // SAM's own roles carry AWS managed policies with '*' resources (logs, SQS polling).
      expect({ functionId, policies: props(functionId).Policies }).toEqual({ functionId, policies: undefined });
      expect({ functionId, roleType: resource(roles[index] ?? '').Type }).toEqual({ functionId, roleType: 'AWS::IAM::Role' });
    }
    expect(new Set(roles).size).toBe(functions.length);
  });

  it('lets only the Lambda service assume the function roles', () => {
    expect(functions.length).toBeGreaterThan(0);
    for (const functionId of functions) {
      const trust = props(roleOf(functionId) ?? '').AssumeRolePolicyDocument as { Statement: Statement[] };
      expect(trust.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    }
  });

  it.each(functions)('lets %s reach only the tables, queues and topic its code names', (functionId) => {
    const logGroup = `${functionId}LogGroup`;
    const topicKeys = [...resourcesNamedFor(functionId)]
      .filter((id) => resource(id).Type === 'AWS::SNS::Topic')
      .flatMap((topic) => [...referencedResources(props(topic).KmsMasterKeyId)]);
    const allowed = new Set([...resourcesNamedFor(functionId), ...asList(eventQueueOf(functionId)), logGroup, ...topicKeys]);
    expect([...grantedResources(functionId)].filter((id) => !allowed.has(id))).toEqual([]);
  });

  it.each(functions)('lets %s use every table, queue and topic its code names', (functionId) => {
    expect([...resourcesNamedFor(functionId)].length).toBeGreaterThan(0);
    for (const id of resourcesNamedFor(functionId)) {
      const queueAction = deadLetterQueues.has(id) ? 'sqs:ReceiveMessage' : 'sqs:SendMessage';
      const service = { 'AWS::DynamoDB::Table': 'dynamodb:', 'AWS::SQS::Queue': queueAction, 'AWS::SNS::Topic': 'sns:Publish' }[resource(id).Type];
      expect({ id, actions: actionsOn(functionId, id).some((action) => service !== undefined && action.startsWith(service)) }).toEqual({ id, actions: true });
    }
  });

  it.each(functions)('lets %s consume only the queue its event source reads', (functionId) => {
    const queue = eventQueueOf(functionId);
    const consuming = roleStatementsOf(functionId).filter((statement) => actionsOf(statement).includes('sqs:DeleteMessage'));
    expect(consuming.map((statement) => [...referencedResources(statement.Resource)])).toEqual(queue ? [[queue]] : []);
    if (queue) expect(new Set(actionsOn(functionId, queue))).toEqual(new Set(QUEUE_CONSUMER_ACTIONS));
  });

  it.each(functions)('lets %s read dead letters only without consuming them, and only from queues its code names', (functionId) => {
    const reading = roleStatementsOf(functionId).filter((statement) => [...referencedResources(statement.Resource)].some((id) => deadLetterQueues.has(id)));
    for (const statement of reading) expect(new Set(actionsOf(statement))).toEqual(new Set(DEAD_LETTER_READER_ACTIONS));
    const read = new Set(reading.flatMap((statement) => [...referencedResources(statement.Resource)]));
    expect(read).toEqual(new Set([...resourcesNamedFor(functionId)].filter((id) => deadLetterQueues.has(id))));
  });

  it.each(functions)('lets %s write logs only to its own log group, which its LoggingConfig names', (functionId) => {
    const logGroup = `${functionId}LogGroup`;
    const logging = roleStatementsOf(functionId).filter((statement) => actionsOf(statement).some((action) => action.startsWith('logs:')));
    expect(logging.map((statement) => target(statement.Resource))).toEqual([logGroup]);
    expect(props(logGroup).LogGroupName).toEqual({ 'Fn::Sub': `/aws/lambda/\${AWS::StackName}-${functionId}` });
    expect(props(functionId).LoggingConfig).toEqual({ LogGroup: { Ref: logGroup } });
  });

  it.each(functions)('leaves %s unnamed, so that CloudFormation makes a name within Lambda’s 64 characters whatever the stack is called', (functionId) => {
    expect(props(functionId).FunctionName).toBeUndefined();
  });

  it('lets functions read and write data only, never manage tables, queues, topics or keys', () => {
    const actions = functions.flatMap((functionId) => roleStatementsOf(functionId).flatMap(actionsOf));
    expect(actions.filter((action) => !DATA_PLANE.has(action))).toEqual([]);
  });

  it('lets the order API use the topic key only through SNS', () => {
    expect(functions.length).toBeGreaterThan(0);
    for (const functionId of functions) {
      for (const statement of roleStatementsOf(functionId).filter((s) => actionsOf(s).some((action) => action.startsWith('kms:')))) {
        expect(statement.Condition?.StringEquals?.['kms:ViaService']).toEqual({ 'Fn::Sub': 'sns.${AWS::Region}.amazonaws.com' });
      }
    }
  });

  it('never allows every action of a service, anywhere in the template', () => {
    const wildcards = everyStatement()
      .filter(({ statement }) => actionsOf(statement).some((action) => action === '*' || action.endsWith(':*')))
      .map(({ owner, statement }) => `${owner}: ${statement.Sid ?? JSON.stringify(statement.Action)}`);
    expect(wildcards).toEqual([]);
  });

  it('grants a role "*" as resource only for X-Ray, whose trace APIs have no resource-level permissions', () => {
    const roles = logicalIdsOfType('AWS::IAM::Role');
    const starred = roles.flatMap((role) =>
      roleStatements(role)
        .filter((statement) => asList(statement.Resource).includes('*'))
        .flatMap(actionsOf),
    );
    expect(new Set(starred)).toEqual(new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
  });

  it('lets API Gateway invoke the HTTP functions only through the stack’s own API and stage', () => {
    const permissions = logicalIdsOfType('AWS::Lambda::Permission');
    expect(permissions.length).toBeGreaterThan(0);
    expect(permissions.length).toBeGreaterThan(0);
    for (const permission of permissions) {
      expect(props(permission)).toMatchObject({
        Principal: 'apigateway.amazonaws.com',
        SourceArn: { 'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${OrderCaptureApi}/${StageName}/*' },
      });
    }
  });
});

describe('the encryption key', () => {
  const key = logicalIdsOfType('AWS::KMS::Key');
  const statements = key.flatMap((id) => asList((props(id).KeyPolicy as { Statement: Statement[] }).Statement));

  it('rotates yearly', () => {
    expect(key.length).toBeGreaterThan(0);
    for (const id of key) expect(props(id).EnableKeyRotation).toBe(true);
  });

  it('lets AWS services use it only for this account, and CloudWatch Logs only for this stack’s log groups', () => {
    const services = statements.filter((statement) => isObject(statement.Principal) && 'Service' in statement.Principal);
    expect(services.length).toBeGreaterThan(0);
    expect(services.length).toBeGreaterThan(0);
    for (const statement of services) expect(statement.Condition).toBeDefined();
    const logs = services.find((statement) => JSON.stringify(statement.Principal).includes('logs.'));
    expect(JSON.stringify(logs?.Condition)).toContain('log-group:/aws/lambda/${AWS::StackName}-*');
  });

  it('trusts no principal outside the account', () => {
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) expect(JSON.stringify(statement.Principal)).not.toMatch(/"\*"/);
  });
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
