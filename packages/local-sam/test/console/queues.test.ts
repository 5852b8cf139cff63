import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { queueDepths, redrive } from '../../src/console/queues';
import type { ProvisionedQueue } from '../../src/provision';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });

const queue = (logicalId: string): ProvisionedQueue => ({ logicalId, name: `stack-${logicalId}`, url: `http://127.0.0.1:1/000000000000/stack-${logicalId}`, arn: `arn:aws:sqs:us-east-1:000000000000:stack-${logicalId}`, attributes: {} });
const deadLetters = queue('CloseTicketDeadLetterQueue');
const source = queue('CloseTicketQueue');

const message = (id: string, attributes?: Record<string, { DataType: string; StringValue: string }>) => ({ MessageId: id, ReceiptHandle: `receipt-${id}`, Body: `body-${id}`, ...(attributes ? { MessageAttributes: attributes } : {}) });

beforeEach(() => sqsMock.reset());
afterAll(() => sqs.destroy());

describe('queueDepths', () => {
  it('gives each queue’s visible, in-flight and delayed messages by logical id', async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '2', ApproximateNumberOfMessagesDelayed: '1' } });
    await expect(queueDepths(sqs, [source])).resolves.toEqual({ CloseTicketQueue: { visible: 3, inFlight: 2, delayed: 1 } });
  });

  it('fails when a queue cannot be read', async () => {
    sqsMock.on(GetQueueAttributesCommand).rejects(new Error('connection refused'));
    await expect(queueDepths(sqs, [source])).rejects.toThrow('connection refused');
  });
});

describe('redrive', () => {
  it('sends each dead letter back to the source queue with its body and attributes, then deletes it from the dead-letter queue', async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('a', { trace: { DataType: 'String', StringValue: 't-1' } }), message('b')] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'new-a', MD5OfMessageBody: '' }, { Id: '1', MessageId: 'new-b', MD5OfMessageBody: '' }], Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }, { Id: '1' }], Failed: [] });

    await expect(redrive(sqs, deadLetters, source)).resolves.toBe(2);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input).toEqual({
      QueueUrl: source.url,
      Entries: [
        { Id: '0', MessageBody: 'body-a', MessageAttributes: { trace: { DataType: 'String', StringValue: 't-1' } } },
        { Id: '1', MessageBody: 'body-b' },
      ],
    });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input).toEqual({
      QueueUrl: deadLetters.url,
      Entries: [
        { Id: '0', ReceiptHandle: 'receipt-a' },
        { Id: '1', ReceiptHandle: 'receipt-b' },
      ],
    });
  });

  it('moves only as many messages as the dead-letter queue held when it started', async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });
    // A message that failed again meanwhile would be received too.
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [message('a')] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'new', MD5OfMessageBody: '' }], Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({});

    await expect(redrive(sqs, deadLetters, source)).resolves.toBe(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({ QueueUrl: deadLetters.url, MaxNumberOfMessages: 1 });
  });

  it('moves nothing from an empty dead-letter queue', async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
    await expect(redrive(sqs, deadLetters, source)).resolves.toBe(0);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('keeps in the dead-letter queue what the source queue refused, and says so', async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [message('a'), message('b')] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '1', MessageId: 'new-b', MD5OfMessageBody: '' }], Failed: [{ Id: '0', Code: 'InvalidParameterValue', SenderFault: true, Message: 'too big' }] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({});

    await expect(redrive(sqs, deadLetters, source)).rejects.toThrow('CloseTicketQueue refused 1 of the messages (too big); 1 were moved, the rest stay in CloseTicketDeadLetterQueue');
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries).toEqual([{ Id: '0', ReceiptHandle: 'receipt-b' }]);
  });
});
