// Shipping: why a shipment could not be made, as the shipping transaction reports it, and which
// shipments of a batch can run at the same time.
import { formatCents, type Cents } from './money';
import type { Order } from './order';

export type ShipmentRefusal =
  | { reason: 'no-account' }
  | { reason: 'insufficient-credit'; totalCents: Cents }
  | { reason: 'insufficient-stock'; productIds: string[] }
  | { reason: 'no-product'; productIds: string[] };

export type ShipmentOutcome =
  | { shipped: true }
  | { shipped: false; refusal: ShipmentRefusal }
  /** The order is not READY_TO_SHIP (not yet, or no longer), or does not exist: nothing to do. */
  | { shipped: false; notReadyToShip: true }
  /** The order is READY_TO_SHIP but is not the one the request describes: here is the stored one. */
  | { shipped: false; differs: Order };

export function rejectionLog(refusal: ShipmentRefusal): string {
  switch (refusal.reason) {
    case 'no-account':
      return 'Rejected at shipping: customer has no account';
    case 'insufficient-credit':
      return `Rejected at shipping: insufficient credit for ${formatCents(refusal.totalCents)}`;
    case 'insufficient-stock':
      return `Rejected at shipping: insufficient stock for ${refusal.productIds.map((id) => `product ${id}`).join(', ')}`;
    case 'no-product':
      return `Rejected at shipping: ${refusal.productIds.map((id) => `product ${id}`).join(', ')} does not exist`;
  }
}

/** What a shipment writes besides its order: the customer's account and each product's stock. */
const balancesTouched = (order: Pick<Order, 'customerId' | 'items'>): string[] => [`account ${order.customerId}`, ...order.items.map((item) => `product ${item.productId}`)];

/**
 * Splits a batch of shipments into waves that run one after another, the shipments of a wave all at
 * once: no two shipments of a wave write the same account or product, so they never cancel each
 * other's transactions, and of two that share one, the earlier in the batch ships first. Each wave
 * lists positions in `shipments`.
 */
export function shippingWaves(shipments: readonly Pick<Order, 'customerId' | 'items'>[]): number[][] {
  const waves: number[][] = [];
  /** The last wave that writes each balance. */
  const lastWave = new Map<string, number>();
  shipments.forEach((shipment, position) => {
    const touched = balancesTouched(shipment);
    const wave = 1 + Math.max(-1, ...touched.map((balance) => lastWave.get(balance) ?? -1));
    (waves[wave] ??= []).push(position);
    for (const balance of touched) lastWave.set(balance, wave);
  });
  return waves;
}
