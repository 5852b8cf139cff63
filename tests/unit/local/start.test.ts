import { join } from 'node:path';
import { parseCli } from '../../../local/start';

describe('npm start options', () => {
  it('defaults to port 3000, and writes the env-vars file for sam local invoke to .local/env.json', () => {
    expect(parseCli([], {})).toEqual({ port: 3000, parameters: {}, relaxedParameters: false, envVarsFile: join(__dirname, '..', '..', '..', '.local', 'env.json') });
  });

  it('takes --env-vars-file and --emulator-host', () => {
    expect(parseCli(['--env-vars-file', 'env.json', '--emulator-host', '172.17.0.1'], {})).toMatchObject({ envVarsFile: 'env.json', emulatorHost: '172.17.0.1' });
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

  it('refuses a malformed --param, a bad port and unknown options', () => {
    expect(() => parseCli(['--param', 'novalue'], {})).toThrow(/Name=Value/);
    expect(() => parseCli(['--port', 'http'], {})).toThrow(/not a port/);
    expect(() => parseCli(['--prot', '1'], {})).toThrow();
  });
});
