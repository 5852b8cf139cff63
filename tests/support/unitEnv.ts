// The environment every function's template entry gives it, with placeholder names for unit tests.
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'unit',
  AWS_SECRET_ACCESS_KEY: 'unit',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  // Quiet, like the logs; tests of the metrics turn them on (tests/support/emf.ts).
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_METRICS_NAMESPACE: 'order-capture',
  ORDER_TABLE_NAME: 'orders',
  ACCOUNT_TABLE_NAME: 'accounts',
  STOCK_TABLE_NAME: 'stock',
  IDEMPOTENCY_TABLE_NAME: 'idempotency',
  ORDER_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:orders',
  ORDER_UPDATE_QUEUE_URL: 'http://sqs.local/000000000000/order-update',
  SHIP_ORDER_QUEUE_URL: 'http://sqs.local/000000000000/ship-order',
  ORDER_DEADLINE_SECONDS: '300',
  MAX_RECEIVE_COUNT: '5',
  BALANCE_CHECKER_DEAD_LETTER_QUEUE_URL: 'http://sqs.local/000000000000/balance-checker-dead-letters',
  STOCK_CHECKER_DEAD_LETTER_QUEUE_URL: 'http://sqs.local/000000000000/stock-checker-dead-letters',
  ORDER_UPDATE_DEAD_LETTER_QUEUE_URL: 'http://sqs.local/000000000000/order-update-dead-letters',
  SHIP_ORDER_DEAD_LETTER_QUEUE_URL: 'http://sqs.local/000000000000/ship-order-dead-letters',
});
