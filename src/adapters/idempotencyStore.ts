// IdempotencyTable: Powertools' idempotency records, in the container's one DynamoDB client.
import { IdempotencyItemAlreadyExistsError } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Powertools saves a request's in-progress record with a conditional PutItem. When the SDK resends
 * that put after its answer was lost, the first try's record makes the condition fail, and
 * Powertools would take its own record for another attempt in progress (409). The record it finds
 * is recognised as this write's own when it is the one this write made: same status, payload hash
 * and expiry, and the same in-progress expiry to the millisecond (the invocation's own deadline).
 * Two invocations of one key that matched on all of these would both run the placement, which is
 * safe: its orders' ids come from the key and their writes are conditional.
 */
class IdempotencyRecords extends DynamoDBPersistenceLayer {
  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    try {
      await super._putRecord(record);
    } catch (error) {
      if (error instanceof IdempotencyItemAlreadyExistsError && sameRecord(error.existingRecord, record)) return;
      throw error;
    }
  }
}

const sameRecord = (found: IdempotencyRecord | undefined, mine: IdempotencyRecord): boolean =>
  found !== undefined &&
  found.getStatus() === mine.getStatus() &&
  found.payloadHash === mine.payloadHash &&
  found.expiryTimestamp === mine.expiryTimestamp &&
  found.inProgressExpiryTimestamp !== undefined &&
  found.inProgressExpiryTimestamp === mine.inProgressExpiryTimestamp;

export const idempotencyStore = (client: DynamoDBClient, tableName: string) => new IdempotencyRecords({ tableName, awsSdkV3Client: client });
