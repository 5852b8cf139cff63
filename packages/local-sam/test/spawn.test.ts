import { startArguments } from '../src/spawn';

describe('spawnLocalStack’s options as local-sam start options', () => {
  it('passes each option as the command line spells it, a free port by default', () => {
    expect(
      startArguments(
        { templatePath: '/app/template.yaml', stackName: 'demo', lambdaPort: 0, parameters: { MaxReceiveCount: '2' }, relaxedParameters: true, transactionConflicts: true, apiKeys: true, seed: true, args: ['--emulator-host', '172.17.0.1'] },
        undefined,
      ),
    ).toEqual([
      '--port', '0', '--template', '/app/template.yaml', '--stack-name', 'demo', '--lambda-port', '0', '--param', 'MaxReceiveCount=2',
      '--relaxed-params', '--transaction-conflicts', '--api-keys', '--seed', '--emulator-host', '172.17.0.1',
    ]);
  });

  it('passes faults given as a config through the file it was written to, and a spec as it is', () => {
    expect(startArguments({ faults: { seed: 1, rules: [] } }, '/work/faults.json')).toEqual(['--port', '0', '--faults', '/work/faults.json']);
    expect(startArguments({ port: 4000, faults: 'seed=3; dynamodb:* throttle rate=0.1' })).toEqual(['--port', '4000', '--faults', 'seed=3; dynamodb:* throttle rate=0.1']);
  });
});
