// Shipping a batch of shipment requests. A request carries its order (one sent before requests did
// is read first, all such at once), and the batch ships in waves: the shipments of a wave share no
// account and no product, so they run at the same time without cancelling each other's
// transactions; the waves run one after another.
import type { OrderToShip, ShipmentRequest } from '../domain/messages';
import { OrderStatus, type BusinessReason, type Order } from '../domain/order';
import { rejectionLog, shippingWaves, type ShipmentOutcome } from '../domain/shipping';
import { BatchOutcomes } from './batchOutcomes';

export interface ShippingPorts {
  /** Orders by id: undefined where there is none; throws for an id that could not be read. */
  getOrders(orderIds: string[]): Promise<Pick<ReadonlyMap<string, Order>, 'get'>>;
  /** One transaction: deduct credit and stock under conditions, and mark the order SHIPPED, if it is this order and READY_TO_SHIP. */
  ship(order: OrderToShip): Promise<ShipmentOutcome>;
  /** READY_TO_SHIP -> REJECTED with the reason; false if the order had moved on. */
  rejectAtShipping(orderId: string, logLine: string): Promise<boolean>;
}

export type ShippingEffect = 'shipped' | 'rejected' | 'ignored';

export interface ShippingReport {
  /** For each request: what it did, or why it failed (then it is retried). */
  outcomes: BatchOutcomes<ShipmentRequest, ShippingEffect>;
  shipped: OrderToShip[];
  rejected: { order: OrderToShip; reason: BusinessReason }[];
}

type Shipment = { effect: 'shipped'; order: OrderToShip } | { effect: 'rejected'; order: OrderToShip; reason: BusinessReason } | { effect: 'ignored' };

async function ship(requested: OrderToShip, ports: ShippingPorts): Promise<Shipment> {
  let order = requested;
  let outcome = await ports.ship(order);
  if ('differs' in outcome) {
    // The request does not describe the stored order (a wrong or hand-made message): ship the stored one.
    order = outcome.differs;
    outcome = await ports.ship(order);
    if ('differs' in outcome) throw new Error(`order ${order.orderId} changed while it was being shipped`);
  }
  if (outcome.shipped) return { effect: 'shipped', order };
  if ('refusal' in outcome) {
    return (await ports.rejectAtShipping(order.orderId, rejectionLog(outcome.refusal))) ? { effect: 'rejected', order, reason: outcome.refusal.reason } : { effect: 'ignored' };
  }
  return { effect: 'ignored' };
}

export async function shipOrders(requests: ShipmentRequest[], ports: ShippingPorts): Promise<ShippingReport> {
  const report: ShippingReport = { outcomes: new BatchOutcomes(requests), shipped: [], rejected: [] };
  const toShip: { request: ShipmentRequest; order: OrderToShip }[] = [];
  const unread = requests.filter((request) => !request.order);
  let stored: Awaited<ReturnType<ShippingPorts['getOrders']>> | undefined;
  let readFailure: unknown;
  if (unread.length > 0) {
    try {
      stored = await ports.getOrders(unread.map((request) => request.orderId));
    } catch (error) {
      readFailure = error;
    }
  }
  for (const request of requests) {
    if (request.order) {
      toShip.push({ request, order: request.order });
      continue;
    }
    try {
      if (!stored) throw readFailure;
      const order = stored.get(request.orderId);
      if (order?.status === OrderStatus.ReadyToShip) toShip.push({ request, order });
      else report.outcomes.succeed(request, 'ignored');
    } catch (error) {
      report.outcomes.fail(request, error);
    }
  }

  for (const wave of shippingWaves(toShip.map(({ order }) => order))) {
    await Promise.all(
      wave.map(async (index) => {
        const { request, order } = toShip[index] as (typeof toShip)[number];
        try {
          const shipment = await ship(order, ports);
          report.outcomes.succeed(request, shipment.effect);
          if (shipment.effect === 'shipped') report.shipped.push(shipment.order);
          if (shipment.effect === 'rejected') report.rejected.push({ order: shipment.order, reason: shipment.reason });
        } catch (error) {
          report.outcomes.fail(request, error);
        }
      }),
    );
  }
  return report;
}
