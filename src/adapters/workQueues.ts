// Messages between the functions: check results to the order-update queue, shipment requests
// to the ship-order queue.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ShipmentRequest } from '../domain/messages';
import type { CheckResult } from '../domain/order';

async function send(client: SQSClient, queueUrl: string, message: object): Promise<void> {
  await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
}

export const checkResultQueue = (client: SQSClient, queueUrl: string) => ({
  report: (result: CheckResult) => send(client, queueUrl, result),
});

export const shipmentQueue = (client: SQSClient, queueUrl: string) => ({
  requestShipping: (orderId: string) => send(client, queueUrl, { orderId } satisfies ShipmentRequest),
});
