// Messages between the functions: check results to the order-update queue, shipment requests
// to the ship-order queue. A batch's messages go out together, 10 a SendMessageBatch (SQS's limit).
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { toShipmentRequestMessage, type OrderToShip } from '../domain/messages';
import type { CheckResult } from '../domain/order';
import { withRetries } from './retry';

const MESSAGES_PER_CALL = 10;

/** For each message, in the order given: undefined once it was sent, or why it could not be. */
export type Unsent = (Error | undefined)[];

/** Sends the messages, resending the entries SQS failed (a batch can partly fail) a few times; never throws. */
async function sendAll(client: SQSClient, queueUrl: string, messages: readonly object[]): Promise<Unsent> {
  const unsent: Unsent = messages.map(() => undefined);
  const calls: number[][] = [];
  for (let start = 0; start < messages.length; start += MESSAGES_PER_CALL) calls.push(messages.slice(start, start + MESSAGES_PER_CALL).map((_, offset) => start + offset));
  await Promise.all(
    calls.map(async (positions) => {
      let pending = positions.map((position) => ({ Id: String(position), MessageBody: JSON.stringify(messages[position]) }));
      const failures = new Map<string, string>();
      try {
        await withRetries(
          async () => {
            const { Failed = [] } = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
            for (const entry of Failed) failures.set(entry.Id ?? '', `${entry.Code ?? 'Failed'}: ${entry.Message ?? 'SQS did not take the message'}`);
            const failed = new Set(Failed.map((entry) => entry.Id));
            pending = pending.filter((entry) => failed.has(entry.Id));
            if (pending.length > 0) throw new Error(`SQS did not take ${pending.length} of the messages`);
          },
          { attempts: 3 },
        );
      } catch (error) {
        // A call that failed as a whole may have delivered some of them all the same: resending one later is harmless.
        for (const entry of pending) unsent[Number(entry.Id)] = new Error(failures.get(entry.Id) ?? (error as Error).message, { cause: error });
      }
    }),
  );
  return unsent;
}

export const checkResultQueue = (client: SQSClient, queueUrl: string) => ({
  report: (results: readonly CheckResult[]) => sendAll(client, queueUrl, results),
});

export const shipmentQueue = (client: SQSClient, queueUrl: string) => ({
  requestShipping: (orders: readonly OrderToShip[]) => sendAll(client, queueUrl, orders.map(toShipmentRequestMessage)),
});
