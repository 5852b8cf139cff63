// One DynamoDB client per container. Endpoints come from the SDK's own configuration
// (AWS_ENDPOINT_URL_DYNAMODB locally), so nothing here knows where it runs.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The client itself, for code that sends DynamoDB's own commands (Powertools' idempotency store). */
export const dynamoDbClient = new DynamoDBClient({});

export const dynamo = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true },
  // Numbers come back as their exact decimal text; money must never pass through a float.
  unmarshallOptions: { wrapNumbers: true },
});
