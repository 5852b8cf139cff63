// BalanceCheckerFunction: new orders from BalanceCheckerQueue -> credit checks -> OrderUpdateQueue.
import { accountStore } from '../adapters/balanceStore';
import { dynamo } from '../adapters/clients/dynamo';
import { sqs } from '../adapters/clients/sqs';
import { checkResultQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { parseOrderPlaced } from '../domain/messages';
import { orderMetrics } from '../metrics';
import { sqsConsumer } from '../sqs/consumer';
import { runCreditChecks } from '../usecases/checkOrder';

const accounts = accountStore(dynamo, requiredEnv('ACCOUNT_TABLE_NAME'));
const results = checkResultQueue(sqs, requiredEnv('ORDER_UPDATE_QUEUE_URL'));

export const handler = sqsConsumer(parseOrderPlaced, async (orders) => {
  const outcomes = await runCreditChecks(orders, { creditOf: accounts.getMany, report: results.report });
  for (const outcome of outcomes.inOrder()) if (outcome.status === 'fulfilled') orderMetrics.checked(outcome.value);
  return outcomes;
});
