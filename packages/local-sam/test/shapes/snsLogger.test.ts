// An SNS logger as `sam init`'s SNS template writes one: a topic, SNS events (one with a
// FilterPolicy), a .cjs handler; and an event type the runtime does not emulate, named at startup.
import { PublishCommand } from '@aws-sdk/client-sns';
import { eventually, startFixture, type FixtureStack } from './support';

let app: FixtureStack;
beforeAll(async () => {
  app = await startFixture('sns-logger');
}, 120_000);
afterAll(() => app?.stop());

const notifications = (prefix: string) => app.logs.filter((line) => line.includes(`] ${prefix} {`)).map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);

describe('an SNS logger', () => {
  it('invokes the subscribed function with the SNS event, one message per invocation', async () => {
    await app.sns.send(new PublishCommand({ TopicArn: app.ref('NotificationsTopic'), Subject: 'hello', Message: 'first news', MessageAttributes: { severity: { DataType: 'String', StringValue: 'low' } } }));
    const [logged] = await eventually(async () => notifications('notification'), (found) => found.length >= 1);
    expect(logged).toEqual({ records: 1, source: 'aws:sns', subject: 'hello', message: 'first news', severity: 'low' });
  });

  it('applies the event’s FilterPolicy', async () => {
    await app.sns.send(new PublishCommand({ TopicArn: app.ref('NotificationsTopic'), Message: 'fire', MessageAttributes: { severity: { DataType: 'String', StringValue: 'urgent' } } }));
    const urgent = await eventually(async () => notifications('urgent'), (found) => found.length >= 1);
    expect(urgent).toEqual([{ records: 1, source: 'aws:sns', subject: null, message: 'fire', severity: 'urgent' }]);
    // Both went to the logger; only the urgent one passed UrgentFunction's filter.
    await eventually(async () => notifications('notification'), (found) => found.length >= 2);
    expect(notifications('urgent')).toHaveLength(1);
  });

  it('names the S3 event and the bucket it cannot emulate, with what that means', () => {
    expect(app.stack.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^UrgentFunction\.Uploads \(event type S3\) is not emulated locally: nothing triggers it/),
        'AWS::S3::Bucket has no local emulator: it is not created, and Ref/GetAtt give placeholder names (UploadsBucket)',
      ]),
    );
  });
});
