// BalanceCheckerFunction: new orders from BalanceCheckerQueue -> credit check -> OrderUpdateQueue.
import { accountStore } from '../adapters/balanceStore';
import { dynamo } from '../adapters/clients/dynamo';
import { sqs } from '../adapters/clients/sqs';
import { checkResultQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { parseOrderPlaced } from '../domain/messages';
import { orderMetrics } from '../metrics';
import { sqsConsumer } from '../sqs/consumer';
import { runCreditCheck } from '../usecases/checkOrder';

const accounts = accountStore(dynamo, requiredEnv('ACCOUNT_TABLE_NAME'));
const results = checkResultQueue(sqs, requiredEnv('ORDER_UPDATE_QUEUE_URL'));

export const handler = sqsConsumer(parseOrderPlaced, async (order) => {
  const result = await runCreditCheck(order, {
    creditOf: async (customerId) => (await accounts.get(customerId))?.balance,
    report: results.report,
  });
  orderMetrics.checked(result.check, result.passed);
  return result.passed ? 'credit-passed' : 'credit-failed';
});
