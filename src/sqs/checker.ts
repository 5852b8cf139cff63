// What the two checker functions share: new orders from their queue, checked as one batch, each
// check's outcome counted.
import { parseOrderPlaced, type OrderToCheck } from '../domain/messages';
import { orderMetrics } from '../metrics';
import type { CheckOutcomes } from '../usecases/checkOrders';
import { sqsConsumer } from './consumer';

export function checkerConsumer(runChecks: (orders: OrderToCheck[]) => Promise<CheckOutcomes>) {
  return sqsConsumer(parseOrderPlaced, async (orders) => {
    const outcomes = await runChecks(orders);
    for (const outcome of outcomes.inOrder()) if (outcome.status === 'fulfilled') orderMetrics.checked(outcome.value);
    return outcomes;
  });
}
