// BalanceCheckerFunction: new orders from BalanceCheckerQueue -> credit checks (the customer's account balance covers the total) -> OrderUpdateQueue.
import { accountStore } from '../adapters/balanceStore';
import { dynamo } from '../adapters/clients/dynamo';
import { sqs } from '../adapters/clients/sqs';
import { checkResultQueue } from '../adapters/workQueues';
import { requiredEnv } from '../config';
import { checkerConsumer } from '../sqs/checker';
import { runCreditChecks } from '../usecases/checkOrders';

const accounts = accountStore(dynamo, requiredEnv('ACCOUNT_TABLE_NAME'));
const results = checkResultQueue(sqs, requiredEnv('ORDER_UPDATE_QUEUE_URL'));

export const handler = checkerConsumer((orders) => runCreditChecks(orders, { creditOf: accounts.getMany, report: results.report }));
