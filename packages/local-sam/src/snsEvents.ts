// Lambda's SNS event source (`Type: SNS` events): SNS invokes the function asynchronously with one
// message per event. fauxqs delivers SNS only to queues, so each such event gets a queue of its own
// subscribed to the topic (with the event's FilterPolicy), and a poller hands each notification to
// the function as the SNS event Lambda would build. A failed invocation is tried twice more, about
// a minute apart (the queue's visibility timeout), then dropped with a log line, as Lambda's
// asynchronous invocation does without a destination or dead-letter queue.
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent, SNSMessageAttributes, SQSEvent, SQSRecord } from 'aws-lambda';
import { LOCAL_CREDENTIALS, type Emulators } from './emulators';
import type { FunctionDefinition } from './functions';
import type { SqsEventSource } from './poller';
import { queueUrlOf, type ProvisionedStack } from './provision';

/** Lambda's asynchronous invocation: the first attempt and two retries. */
export const ASYNC_ATTEMPTS = 3;
/** About how long Lambda waits before retrying an asynchronous invocation (one minute, then two). */
const RETRY_DELAY_SECONDS = 60;

export interface SnsEventSource {
  functionLogicalId: string;
  eventName: string;
  topicArn: string;
  subscriptionArn: string;
  /** The queue that carries the topic's notifications to the function, polled like an SQS event source of batch size 1. */
  delivery: SqsEventSource;
}

interface SnsNotification {
  Type?: string;
  MessageId?: string;
  TopicArn?: string;
  Subject?: string;
  Message?: string;
  Timestamp?: string;
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
  UnsubscribeURL?: string;
  MessageAttributes?: SNSMessageAttributes;
}

/** The SNS event Lambda builds for one notification, from the notification as SNS delivers it to a queue. */
export function toSnsEvent(record: SQSRecord, subscriptionArn: string): SNSEvent {
  const notification = JSON.parse(record.body) as SnsNotification;
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: notification.Type ?? 'Notification',
          MessageId: notification.MessageId ?? record.messageId,
          TopicArn: notification.TopicArn ?? '',
          Subject: notification.Subject ?? (null as unknown as string),
          Message: notification.Message ?? '',
          Timestamp: notification.Timestamp ?? new Date().toISOString(),
          SignatureVersion: notification.SignatureVersion ?? '1',
          Signature: notification.Signature ?? '',
          SigningCertUrl: notification.SigningCertURL ?? '',
          UnsubscribeUrl: notification.UnsubscribeURL ?? '',
          MessageAttributes: notification.MessageAttributes ?? {},
        },
      },
    ],
  };
}

/**
 * Creates the delivery queue and subscription of every enabled `Type: SNS` event. An event whose
 * topic is not one of the stack's is returned in `warnings` and not delivered.
 */
export async function provisionSnsEventSources(
  stack: ProvisionedStack,
  functions: FunctionDefinition[],
  emulators: Pick<Emulators, 'messagingEndpoint' | 'dynamoEndpoint'>,
  concurrency: number,
): Promise<{ sources: SnsEventSource[]; warnings: string[] }> {
  const { region, stackName } = stack.template;
  const config = { region, credentials: LOCAL_CREDENTIALS, endpoint: emulators.messagingEndpoint };
  const sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
  const sns = new SNSClient(config);
  const sources: SnsEventSource[] = [];
  const warnings: string[] = [];
  try {
    for (const fn of functions) {
      for (const [eventName, event] of Object.entries(fn.events)) {
        if (event.Type !== 'SNS') continue;
        const properties = event.Properties;
        const topicArn = String(properties.Topic);
        const topic = stack.topics.find((candidate) => candidate.arn === topicArn);
        if (!topic) {
          warnings.push(`${fn.logicalId}.${eventName} subscribes to ${topicArn}, which is not a topic of this stack: nothing is delivered`);
          continue;
        }
        const name = `${stackName}-${fn.logicalId}${eventName}`.slice(0, 75) + '-sns';
        const visibility = String(Math.max(RETRY_DELAY_SECONDS, fn.timeoutSeconds + 1));
        const url = queueUrlOf((await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: visibility } }))).QueueUrl, emulators);
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
        const queueArn = Attributes?.QueueArn ?? `arn:aws:sqs:${region}:${stack.template.accountId}:${name}`;
        const attributes: Record<string, string> = {};
        if (properties.FilterPolicy !== undefined) attributes.FilterPolicy = JSON.stringify(properties.FilterPolicy);
        if (properties.FilterPolicyScope !== undefined) attributes.FilterPolicyScope = String(properties.FilterPolicyScope);
        const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: attributes, ReturnSubscriptionArn: true }));
        sources.push({
          functionLogicalId: fn.logicalId,
          eventName,
          topicArn,
          subscriptionArn: SubscriptionArn ?? `${topicArn}:local`,
          delivery: {
            functionLogicalId: fn.logicalId,
            eventName,
            queue: { logicalId: `${fn.logicalId}${eventName}`, name, url, arn: queueArn, attributes: { VisibilityTimeout: visibility } },
            batchSize: 1,
            batchingWindowMs: 0,
            reportBatchItemFailures: false,
            concurrency,
          },
        });
      }
    }
  } finally {
    sqs.destroy();
    sns.destroy();
  }
  return { sources, warnings };
}

/** What the delivery queue's poller invokes: the function with the SNS event, or nothing once the attempts are spent. */
export function snsInvoker(source: SnsEventSource, invoke: (event: SNSEvent) => Promise<unknown>, log: (line: string) => void) {
  return async (event: SQSEvent): Promise<unknown> => {
    const [record] = event.Records;
    if (!record) return undefined;
    if (Number(record.attributes.ApproximateReceiveCount) > ASYNC_ATTEMPTS) {
      log(`dropped notification ${record.messageId} from ${source.topicArn} after ${ASYNC_ATTEMPTS} failed attempts`);
      return undefined;
    }
    return invoke(toSnsEvent(record, source.subscriptionArn));
  };
}
