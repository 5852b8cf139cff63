// One run of the sweeper: the dead-letter pass, then the relay pass (sweepOrders.ts), each failing on
// its own (a dead-letter queue that cannot be read must not stop the relay, nor the reverse), what
// they did logged and counted, and the run failed after both have run if either failed, so that the
// function's error metric and its alarm see it.
import { orderMetrics } from '../metrics';
import { logger } from '../observability';
import { rejectDeadLettered, sweepDueOrders, type DeadLetterPorts, type DeadLetterReport, type DeadLetterSourceQueue, type DueOrderPorts, type SweepOptions, type SweepReport } from './sweepOrders';

export interface SweepSummary {
  rejectedForDeadLetters: number;
  announced: number;
  markedReadyToShip: number;
  shippingRequested: number;
  leftIndex: number;
  failed: number;
  unfinished: boolean;
}

export interface SweepRunOptions extends SweepOptions {
  /** Every dead letter was delivered this often (the queues' maxReceiveCount) before it was set aside. */
  deliveries: number;
}

/** Runs both passes, one after the other (the relay does not move on what dead letters reject); throws after both if either failed. */
export async function runSweep(queues: DeadLetterSourceQueue[], ports: DeadLetterPorts & DueOrderPorts, options: SweepRunOptions): Promise<SweepSummary> {
  const [deadPass] = await Promise.allSettled([rejectDeadLettered(queues, ports, options)]);
  const [duePass] = await Promise.allSettled([sweepDueOrders(ports, options)]);
  const dead: DeadLetterReport = deadPass.status === 'fulfilled' ? deadPass.value : { rejected: [], namingNoOrder: [], overtaken: 0 };
  const due: SweepReport = duePass.status === 'fulfilled' ? duePass.value : { moved: [], failed: [], unfinished: false };
  if (deadPass.status === 'rejected') logger.error('the dead-letter pass failed; the relay ran all the same', { error: deadPass.reason as Error });
  if (duePass.status === 'rejected') logger.error('the relay pass failed; the dead-letter pass ran all the same', { error: duePass.reason as Error });
  record(dead, due);

  const failures = [deadPass, duePass].flatMap((pass) => (pass.status === 'rejected' ? [pass.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'both sweeper passes failed');
  const count = (effect: string) => due.moved.filter((moved) => moved.effect === effect).length;
  return {
    rejectedForDeadLetters: dead.rejected.length,
    announced: count('announced'),
    markedReadyToShip: count('marked-ready-to-ship'),
    shippingRequested: count('shipping-requested'),
    leftIndex: count('left-index'),
    failed: due.failed.length,
    unfinished: due.unfinished,
  };
}

/** Logs and counts what the two passes did. */
function record(dead: DeadLetterReport, due: SweepReport): void {
  for (const { orderId, messageId, queue, createdAt } of dead.rejected) {
    logger.warn('order rejected: one of its messages was dead-lettered', { orderId, messageId, queue });
    orderMetrics.rejected('dead-lettered', { createdAt });
  }
  if (dead.namingNoOrder.length > 0) logger.warn('dead letters that name no order, left alone', { deadLetters: dead.namingNoOrder });
  for (const { orderId, effect } of due.moved) logger.info('open order moved on', { orderId, effect });
  for (const { orderId, error } of due.failed) logger.error('open order could not be moved on; the next run tries again', { orderId, error: error as Error });
  if (due.unfinished) logger.warn('the sweep ran out of time; the next run carries on');
  orderMetrics.swept({
    movedOn: due.moved.map(({ effect }) => effect),
    notMovedOn: due.failed.length,
    outOfTime: due.unfinished,
    deadLettersSeen: dead.rejected.length + dead.namingNoOrder.length + dead.overtaken,
    deadLettersNamingNoOrder: dead.namingNoOrder.length,
  });
}
