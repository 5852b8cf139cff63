// StockCheckerFunction: new orders from StockCheckerQueue -> stock checks -> OrderUpdateQueue.
import { stockStore } from '../adapters/balanceStore';
import { dynamo } from '../adapters/clients/dynamo';
import { sqs } from '../adapters/clients/sqs';
import { checkResultQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { checkerConsumer } from '../sqs/checker';
import { runStockChecks } from '../usecases/checkOrders';

const stock = stockStore(dynamo, requiredEnv('STOCK_TABLE_NAME'));
const results = checkResultQueue(sqs, requiredEnv('ORDER_UPDATE_QUEUE_URL'));

export const handler = checkerConsumer((orders) => runStockChecks(orders, { stockOf: stock.getMany, report: results.report }));
