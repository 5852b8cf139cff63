// The deployed API: an API key on every route, metered by a usage plan, validated, logged, traced.
import { logicalIdsOfType, props, resource, swagger, target, template } from './stack';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'x-amazon-apigateway-any-method'];
const operations = Object.entries(swagger.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, operation]) => ({ route: `${method} ${path}`, operation })),
);

describe('the API contract in swagger.yaml', () => {
  it('declares the API key as the x-api-key header', () => {
    expect(swagger.components.securitySchemes?.api_key).toMatchObject({ type: 'apiKey', name: 'x-api-key', in: 'header' });
    expect(swagger['x-amazon-apigateway-api-key-source']).toBe('HEADER');
  });

  it.each(operations.map(({ route, operation }) => [route, operation] as const))('requires the API key for %s', (_route, operation) => {
    expect(operation.security).toContainEqual({ api_key: [] });
  });

  it('has API Gateway validate every request’s parameters, leaving bodies to the functions (their errors carry the contract’s field list)', () => {
    const validators = swagger['x-amazon-apigateway-request-validators'] ?? {};
    const byDefault = swagger['x-amazon-apigateway-request-validator'] ?? '';
    expect(validators[byDefault]).toEqual({ validateRequestBody: false, validateRequestParameters: true });
    expect(operations.length).toBeGreaterThan(0);
    for (const { operation } of operations) expect(validators).toHaveProperty(operation['x-amazon-apigateway-request-validator'] ?? byDefault);
  });
});

describe('the API in template.yaml', () => {
  const api = props('OrderCaptureApi');

  it('meters the API key with a usage plan that throttles and sets a daily quota', () => {
    const [plan, ...others] = logicalIdsOfType('AWS::ApiGateway::UsagePlan');
    expect(others).toEqual([]);
    expect(props(plan ?? '')).toMatchObject({
      ApiStages: [{ ApiId: { Ref: 'OrderCaptureApi' }, Stage: { Ref: 'OrderCaptureApi.Stage' } }],
      Throttle: { RateLimit: { Ref: 'ApiThrottleRateLimit' }, BurstLimit: { Ref: 'ApiThrottleBurstLimit' } },
      Quota: { Limit: { Ref: 'ApiQuotaPerDay' }, Period: 'DAY' },
    });
    const [planKey] = logicalIdsOfType('AWS::ApiGateway::UsagePlanKey');
    expect(props(planKey ?? '')).toMatchObject({ KeyType: 'API_KEY', UsagePlanId: { Ref: plan }, KeyId: { Ref: 'OrderCaptureApiKey' } });
  });

  it('reports the API key id, so that its value can be revealed after a deploy', () => {
    expect(resource('OrderCaptureApiKey').Type).toBe('AWS::ApiGateway::ApiKey');
    expect(template.Outputs.ApiKeyId?.Value).toEqual({ Ref: 'OrderCaptureApiKey' });
  });

  it('writes an access log line for every request to a log group with retention', () => {
    const setting = api.AccessLogSetting as { DestinationArn: unknown; Format: string };
    const logGroup = target(setting.DestinationArn) ?? '';
    expect(resource(logGroup).Type).toBe('AWS::Logs::LogGroup');
    expect(props(logGroup).RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
    expect(JSON.parse(setting.Format)).toMatchObject({ requestId: '$context.requestId', apiKeyId: '$context.identity.apiKeyId', status: '$context.status' });
  });

  it('traces requests with X-Ray', () => {
    expect(api.TracingEnabled).toBe(true);
  });

  it('deploys only its named stage (without OpenApiVersion SAM adds a stage called "Stage")', () => {
    expect(api.OpenApiVersion).toBe('3.0.1');
    expect(api.StageName).toEqual({ Ref: 'StageName' });
  });

  it('keeps the parameters that deploy scripts and the local runtime pass', () => {
    for (const name of ['StageName', 'LogLevel', 'FunctionTimeoutSeconds', 'QueueVisibilityTimeoutSeconds', 'MaxReceiveCount', 'LogRetentionDays', 'EnableDeletionProtection']) {
      expect({ name, hasDefault: template.Parameters[name]?.Default !== undefined }).toEqual({ name, hasDefault: true });
    }
  });
});
