// Tables and logs: encrypted, recoverable, protected in production, and kept only as long as asked.
import { functionIds, logicalIdsOfType, props, resource, target, template } from './stack';

const tables = logicalIdsOfType('AWS::DynamoDB::Table');
const logGroups = logicalIdsOfType('AWS::Logs::LogGroup');

describe('tables', () => {
  it('are the four the functions use', () => {
    expect(new Set(tables)).toEqual(new Set(['OrderTable', 'AccountTable', 'StockTable', 'IdempotencyTable']));
  });

  it.each(tables)('encrypt %s at rest with KMS', (table) => {
    expect(props(table).SSESpecification).toMatchObject({ SSEEnabled: true });
  });

  it.each(tables)('keep point-in-time recovery on for %s', (table) => {
    expect(props(table).PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it.each(tables)('protect %s from deletion when EnableDeletionProtection is true', (table) => {
    expect(props(table).DeletionProtectionEnabled).toEqual({ 'Fn::If': ['ProtectData', true, false] });
  });

  it('leave deletion protection off unless asked, so development stacks can be deleted', () => {
    expect(template.Parameters.EnableDeletionProtection).toMatchObject({ Default: 'false', AllowedValues: ['true', 'false'] });
    expect(template.Conditions?.ProtectData).toEqual({ 'Fn::Equals': [{ Ref: 'EnableDeletionProtection' }, 'true'] });
  });
});

describe('logs and traces', () => {
  it.each(functionIds())('give %s a log group of its own', (functionId) => {
    expect(resource(`${functionId}LogGroup`).Type).toBe('AWS::Logs::LogGroup');
  });

  it.each(logGroups)('keep %s for LogRetentionDays, encrypted with the stack’s key', (logGroup) => {
    expect(props(logGroup).RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
    expect(resource(target(props(logGroup).KmsKeyId) ?? '').Type).toBe('AWS::KMS::Key');
  });

  it('trace every function with X-Ray', () => {
    expect(template.Globals?.Function?.Tracing).toBe('Active');
    expect(functionIds().length).toBeGreaterThan(0);
    for (const functionId of functionIds()) expect(props(functionId).Tracing ?? 'Active').toBe('Active');
  });
});
