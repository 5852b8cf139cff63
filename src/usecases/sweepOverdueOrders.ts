import { overdueAction } from '../domain/deadlines';
import { OrderStatus } from '../domain/order';

export interface OpenOrder {
  orderId: string;
  status: OrderStatus;
  /** When the order entered its current open status (ISO 8601). */
  openSince: string;
}

export interface SweepPorts {
  /** Open orders in a status that entered it before `before`, oldest first. */
  openOrders(status: OrderStatus, before: string): AsyncIterable<OpenOrder>;
  /** Rejects the order if it is still in `status`; false if it had moved on. */
  rejectOverdue(orderId: string, status: OrderStatus, logLine: string): Promise<boolean>;
  requestShipping(orderId: string): Promise<void>;
}

export interface SweepReport {
  rejected: string[];
  shippingRequested: string[];
}

export async function sweepOverdueOrders(ports: SweepPorts, now: Date, deadlineSeconds: number): Promise<SweepReport> {
  const report: SweepReport = { rejected: [], shippingRequested: [] };
  const cutoff = new Date(now.getTime() - deadlineSeconds * 1000).toISOString();
  for (const status of [OrderStatus.Pending, OrderStatus.ReadyToShip]) {
    for await (const order of ports.openOrders(status, cutoff)) {
      const action = overdueAction(order.status, (now.getTime() - Date.parse(order.openSince)) / 1000, deadlineSeconds);
      if (action.kind === 'reject' && (await ports.rejectOverdue(order.orderId, order.status, action.logLine))) report.rejected.push(order.orderId);
      if (action.kind === 'request-shipping') {
        await ports.requestShipping(order.orderId);
        report.shippingRequested.push(order.orderId);
      }
    }
  }
  return report;
}
