// The environment every function's template entry gives it, with placeholder names for unit tests.
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'unit',
  AWS_SECRET_ACCESS_KEY: 'unit',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  ORDER_TABLE_NAME: 'orders',
  ACCOUNT_TABLE_NAME: 'accounts',
  STOCK_TABLE_NAME: 'stock',
  IDEMPOTENCY_TABLE_NAME: 'idempotency',
  ORDER_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:orders',
  ORDER_UPDATE_QUEUE_URL: 'http://sqs.local/000000000000/order-update',
  SHIP_ORDER_QUEUE_URL: 'http://sqs.local/000000000000/ship-order',
});
