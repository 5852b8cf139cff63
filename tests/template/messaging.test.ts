// The order topic, the work queues and their dead-letter queues: delivery, encryption, alarms.
import { asList, logicalIdsOfType, props, referencedResources, resource, target, template, workQueueIds, type Statement } from './stack';

const queues = logicalIdsOfType('AWS::SQS::Queue');
const workQueues = workQueueIds();
const deadLetterQueueOf = (queue: string): string | undefined => target((props(queue).RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn);
const deadLetterQueues = workQueues.map((queue) => deadLetterQueueOf(queue) ?? '');
const sqsSubscriptions = logicalIdsOfType('AWS::SNS::Subscription').filter((id) => props(id).Protocol === 'sqs');
const alarms = logicalIdsOfType('AWS::CloudWatch::Alarm');

interface WatchedMetric {
  MetricName: unknown;
  Dimensions: { Name: string; Value: unknown }[];
}

/** The metrics an alarm watches: its own, or those its metric math reads. */
const metricsOf = (alarm: string): WatchedMetric[] => {
  const properties = props(alarm);
  if (properties.MetricName) return [properties as unknown as WatchedMetric];
  return asList(properties.Metrics as { MetricStat?: { Metric: WatchedMetric } }[] | undefined).flatMap((query) => asList(query.MetricStat?.Metric));
};

/** The alarms watching one queue's metric. */
const alarmsOn = (queue: string, metric: string) =>
  alarms.filter((id) =>
    metricsOf(id).some((watched) => watched.MetricName === metric && watched.Dimensions.some((dimension) => dimension.Name === 'QueueName' && target(dimension.Value) === queue)),
  );

describe('work queues', () => {
  it('are the four queues the functions consume', () => {
    expect(new Set(workQueues)).toEqual(new Set(['BalanceCheckerQueue', 'StockCheckerQueue', 'OrderUpdateQueue', 'ShipOrderQueue']));
  });

  it.each(workQueues)('gives %s a dead-letter queue of its own after MaxReceiveCount deliveries', (queue) => {
    expect(props(queue).RedrivePolicy).toMatchObject({ maxReceiveCount: { Ref: 'MaxReceiveCount' } });
    const deadLetterQueue = deadLetterQueueOf(queue) ?? '';
    expect(resource(deadLetterQueue).Type).toBe('AWS::SQS::Queue');
    expect(deadLetterQueues.filter((id) => id === deadLetterQueue)).toHaveLength(1);
  });

  it('keeps dead letters for the longest time SQS allows, 14 days', () => {
    expect(deadLetterQueues.length).toBeGreaterThan(0);
    for (const queue of deadLetterQueues) expect(props(queue).MessageRetentionPeriod).toBe(1209600);
  });

  it('encrypts every queue at rest', () => {
    expect(queues.length).toBeGreaterThan(0);
    for (const queue of queues) {
      const properties = props(queue);
      expect({ queue, encrypted: properties.SqsManagedSseEnabled === true || properties.KmsMasterKeyId !== undefined }).toEqual({ queue, encrypted: true });
    }
  });
});

describe('the order topic', () => {
  it('delivers every queue subscription raw, so consumers read the order itself', () => {
    expect(sqsSubscriptions.length).toBeGreaterThan(0);
    expect(sqsSubscriptions.length).toBeGreaterThan(0);
    for (const subscription of sqsSubscriptions) expect(props(subscription).RawMessageDelivery).toBe(true);
  });

  it('lets only the order topic send to the checker queues', () => {
    const policies = logicalIdsOfType('AWS::SQS::QueuePolicy');
    expect(sqsSubscriptions.length).toBeGreaterThan(0);
    for (const subscription of sqsSubscriptions) {
      const queue = target(props(subscription).Endpoint) ?? '';
      const topic = target(props(subscription).TopicArn) ?? '';
      const statements = policies
        .filter((policy) => asList(props(policy).Queues).some((ref) => target(ref) === queue))
        .flatMap((policy) => asList((props(policy).PolicyDocument as { Statement: Statement | Statement[] }).Statement))
        .filter((statement) => target(statement.Resource) === queue);
      expect(statements).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topic } } },
        }),
      ]);
    }
  });

  it('lets nothing but SNS write to any queue through a queue policy', () => {
    const statements = logicalIdsOfType('AWS::SQS::QueuePolicy').flatMap((policy) =>
      asList((props(policy).PolicyDocument as { Statement: Statement | Statement[] }).Statement),
    );
    expect(statements.filter((s) => s.Effect === 'Allow').length).toBeGreaterThan(0);
    for (const statement of statements.filter((s) => s.Effect === 'Allow')) {
      expect(statement.Principal).toEqual({ Service: 'sns.amazonaws.com' });
      expect(statement.Condition?.ArnEquals?.['aws:SourceArn']).toBeDefined();
    }
  });

  it('encrypts every topic with the stack’s customer managed key', () => {
    expect(logicalIdsOfType('AWS::SNS::Topic').length).toBeGreaterThan(0);
    for (const topic of logicalIdsOfType('AWS::SNS::Topic')) {
      const key = target(props(topic).KmsMasterKeyId) ?? '';
      expect({ topic, key: resource(key).Type }).toEqual({ topic, key: 'AWS::KMS::Key' });
    }
  });
});

describe('alarms', () => {
  const alarmTopic = logicalIdsOfType('AWS::SNS::Topic').filter((topic) =>
    alarms.every((alarm) => asList(props(alarm).AlarmActions).some((action) => target(action) === topic)),
  );

  it.each(deadLetterQueues)('raise an alarm as soon as %s holds a message, also while the sweeper is reading it', (queue) => {
    const [alarm = '', ...others] = alarmsOn(queue, 'ApproximateNumberOfMessagesVisible');
    expect(others).toEqual([]);
    expect(alarmsOn(queue, 'ApproximateNumberOfMessagesNotVisible')).toEqual([alarm]);
    const queries = props(alarm).Metrics as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: WatchedMetric & { Namespace: string } } }[];
    const [visible, inFlight] = ['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible'].map((name) => queries.find((query) => query.MetricStat?.Metric.MetricName === name));
    expect(queries.filter((query) => query.ReturnData !== false)).toEqual([expect.objectContaining({ Expression: `${visible?.Id} + ${inFlight?.Id}` })]);
    expect(visible?.MetricStat?.Metric.Namespace).toBe('AWS/SQS');
    expect(props(alarm)).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, TreatMissingData: 'notBreaching' });
  });

  it.each(workQueues)('raise an alarm when the oldest message in %s has waited too long', (queue) => {
    const [alarm, ...others] = alarmsOn(queue, 'ApproximateAgeOfOldestMessage');
    expect(others).toEqual([]);
    expect(props(alarm ?? '')).toMatchObject({ Namespace: 'AWS/SQS', ComparisonOperator: 'GreaterThanThreshold', Threshold: { Ref: 'QueueAgeAlarmSeconds' } });
  });

  it('all notify one encrypted alarm topic, which is not the order topic', () => {
    expect(alarmTopic).toHaveLength(1);
    expect(alarmTopic).not.toContain('OrderTopic');
    expect(props(alarmTopic[0] ?? '').KmsMasterKeyId).toBeDefined();
  });

  it('e-mail the AlarmEmail address only when one is given', () => {
    const emails = logicalIdsOfType('AWS::SNS::Subscription').filter((id) => props(id).Protocol === 'email');
    expect(emails).toHaveLength(1);
    const subscription = resource(emails[0] ?? '');
    expect(subscription.Condition).toBe('HasAlarmEmail');
    expect(template.Conditions?.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }] });
    expect(template.Parameters.AlarmEmail?.Default).toBe('');
    expect([...referencedResources(subscription.Properties?.TopicArn)]).toEqual(alarmTopic);
  });
});
