import { join } from 'node:path';
import { parseCli } from '../src/start';

describe('local-sam start options', () => {
  it('defaults to template.yaml in the current folder and port 3000, and writes the env-vars file for sam local invoke to .local/env.json beside the template', () => {
    expect(parseCli([], {}, '/app')).toEqual({ templatePath: '/app/template.yaml', port: 3000, parameters: {}, relaxedParameters: false, envVarsFile: join('/app', '.local', 'env.json') });
  });

  it('takes --template (relative to the current folder), --stack-name and --seed', () => {
    expect(parseCli(['--template', 'infra/sam.yaml', '--stack-name', 'demo', '--seed'], {}, '/app')).toMatchObject({
      templatePath: '/app/infra/sam.yaml',
      envVarsFile: '/app/infra/.local/env.json',
      stackName: 'demo',
      seed: true,
    });
  });

  it('takes --env-vars-file and --emulator-host', () => {
    expect(parseCli(['--env-vars-file', 'env.json', '--emulator-host', '172.17.0.1'], {}, '/app')).toMatchObject({ envVarsFile: '/app/env.json', emulatorHost: '172.17.0.1' });
  });

  it('takes the port from PORT, and --port over PORT', () => {
    expect(parseCli([], { PORT: '4000' }).port).toBe(4000);
    expect(parseCli(['--port', '5000'], { PORT: '4000' }).port).toBe(5000);
  });

  it('collects repeated --param Name=Value overrides (values may contain =)', () => {
    expect(parseCli(['--param', 'MaxReceiveCount=2', '--param', 'Tag=a=b'], {}).parameters).toEqual({ MaxReceiveCount: '2', Tag: 'a=b' });
  });

  it('takes --persist, --relaxed-params, --state-file and --parent-pid', () => {
    expect(parseCli(['--persist', 'data', '--relaxed-params', '--state-file', 's.json', '--parent-pid', '42'], {})).toMatchObject({
      persistDir: 'data',
      relaxedParameters: true,
      stateFile: 's.json',
      parentPid: 42,
    });
  });

  it('takes --api-keys, off by default', () => {
    expect(parseCli(['--api-keys'], {}).apiKeys).toBe(true);
    expect(parseCli([], {}).apiKeys).toBeUndefined();
  });

  it('refuses a malformed --param, a bad port and unknown options', () => {
    expect(() => parseCli(['--param', 'novalue'], {})).toThrow(/Name=Value/);
    expect(() => parseCli(['--port', 'http'], {})).toThrow(/not a port/);
    expect(() => parseCli(['--prot', '1'], {})).toThrow();
  });

  it('takes --faults inline or as a file, and --transaction-conflicts as the rule it stands for', () => {
    expect(parseCli(['--faults', 'seed=5; sns:PublishBatch throttle window=0-10'], {}).faults).toEqual({ seed: 5, rules: [{ operation: 'sns:PublishBatch', kind: 'throttle', window: [0, 10] }] });
    expect(parseCli(['--transaction-conflicts'], {}).faults).toEqual({ seed: 1, rules: [{ operation: 'dynamodb:*', kind: 'transaction-conflict' }] });
    expect(parseCli(['--faults', 'CloseTicketFunction outage', '--transaction-conflicts'], {}).faults?.rules).toEqual([
      { function: 'CloseTicketFunction', kind: 'outage' },
      { operation: 'dynamodb:*', kind: 'transaction-conflict' },
    ]);
    expect(parseCli([], {}).faults).toBeUndefined();
  });

  it('refuses a fault specification it cannot read', () => {
    expect(() => parseCli(['--faults', 'sns:Publish throttle rate=2'], {})).toThrow(/--faults: rule 1: rate must be a number from 0 to 1/);
    expect(() => parseCli(['--faults', 'no-such-file.yaml'], {})).toThrow(/--faults: no file no-such-file.yaml/);
  });
});
