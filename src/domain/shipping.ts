// Why a shipment could not be made, as the shipping transaction reports it.
import { formatCents, type Cents } from './money';

export type ShipmentRefusal =
  | { reason: 'no-account' }
  | { reason: 'insufficient-credit'; totalCents: Cents }
  | { reason: 'insufficient-stock'; productIds: string[] }
  | { reason: 'no-product'; productIds: string[] };

export type ShipmentOutcome = { shipped: true } | { shipped: false; refusal: ShipmentRefusal } | { shipped: false; alreadyFinal: true };

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
