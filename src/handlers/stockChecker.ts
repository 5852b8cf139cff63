// StockCheckerFunction: new orders from StockCheckerQueue -> stock check -> OrderUpdateQueue.
import { stockStore } from '../adapters/balanceStore';
import { dynamo } from '../adapters/clients/dynamo';
import { sqs } from '../adapters/clients/sqs';
import { checkResultQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { parseOrderPlaced } from '../domain/messages';
import { orderMetrics } from '../metrics';
import { sqsConsumer } from '../sqs/consumer';
import { runStockCheck } from '../usecases/checkOrder';

const stock = stockStore(dynamo, requiredEnv('STOCK_TABLE_NAME'));
const results = checkResultQueue(sqs, requiredEnv('ORDER_UPDATE_QUEUE_URL'));

export const handler = sqsConsumer(parseOrderPlaced, async (order) => {
  const result = await runStockCheck(order, { stockOf: stock.getMany, report: results.report });
  orderMetrics.checked(result.check, result.passed);
  return result.passed ? 'stock-passed' : 'stock-failed';
});
