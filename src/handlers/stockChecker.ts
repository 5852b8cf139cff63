// StockCheckerFunction: new orders from StockCheckerQueue -> stock checks -> OrderUpdateQueue.
import { stockStore } from '../adapters/balanceStore';
import { dynamo } from '../adapters/clients/dynamo';
import { sqs } from '../adapters/clients/sqs';
import { checkResultQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { parseOrderPlaced } from '../domain/messages';
import { orderMetrics } from '../metrics';
import { sqsConsumer } from '../sqs/consumer';
import { runStockChecks } from '../usecases/checkOrder';

const stock = stockStore(dynamo, requiredEnv('STOCK_TABLE_NAME'));
const results = checkResultQueue(sqs, requiredEnv('ORDER_UPDATE_QUEUE_URL'));

export const handler = sqsConsumer(parseOrderPlaced, async (orders) => {
  const outcomes = await runStockChecks(orders, { stockOf: stock.getMany, report: results.report });
  for (const outcome of outcomes.inOrder()) if (outcome.status === 'fulfilled') orderMetrics.checked(outcome.value);
  return outcomes;
});
