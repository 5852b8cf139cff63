import { DYNAMODB_LOCAL_JVM_OPTIONS, DYNAMODB_LOCAL_JVM_OPTIONS_ENV, dynamoDbLocalArguments, extraJvmOptions } from '../src/emulators';

describe('DynamoDB Local’s command line', () => {
  it('sizes the JVM for one stack, turns telemetry off and allows CORS only from the origins given', () => {
    const args = dynamoDbLocalArguments('/lib/ddb', 8123, undefined, ['http://127.0.0.1:3000', 'http://localhost:3000']);
    expect(args).toEqual([...DYNAMODB_LOCAL_JVM_OPTIONS, '-Djava.library.path=/lib/ddb/DynamoDBLocal_lib', '-jar', '/lib/ddb/DynamoDBLocal.jar', '-port', '8123', '-inMemory', '-sharedDb', '-disableTelemetry', '-cors', 'http://127.0.0.1:3000,http://localhost:3000']);
  });

  it('keeps its data in the folder given instead of in memory', () => {
    const args = dynamoDbLocalArguments('/lib/ddb', 8123, '/data/dynamodb', ['http://127.0.0.1:3000']);
    expect(args).toEqual(expect.arrayContaining(['-dbPath', '/data/dynamodb']));
    expect(args).not.toContain('-inMemory');
  });

  it('puts the JVM options of LOCAL_SAM_DYNAMODB_JVM_OPTIONS after its own, so that one can override a default', () => {
    const options = extraJvmOptions({ [DYNAMODB_LOCAL_JVM_OPTIONS_ENV]: ' -XX:TieredStopAtLevel=4   -Xmx512m ' });
    expect(options).toEqual(['-XX:TieredStopAtLevel=4', '-Xmx512m']);
    const args = dynamoDbLocalArguments('/lib/ddb', 8123, undefined, ['http://127.0.0.1:3000'], options);
    expect(args.slice(0, DYNAMODB_LOCAL_JVM_OPTIONS.length + 3)).toEqual([...DYNAMODB_LOCAL_JVM_OPTIONS, '-XX:TieredStopAtLevel=4', '-Xmx512m', '-Djava.library.path=/lib/ddb/DynamoDBLocal_lib']);
    expect(extraJvmOptions({})).toEqual([]);
  });
});
