import { newOrder, OrderStatus, type CheckResult, type Order, type OrderProgress } from '../../../src/domain/order';
import { applyCheckResult, type CheckResultPorts } from '../../../src/usecases/applyCheckResult';
import { checkResult } from '../../support/factories';

/** An in-memory order that follows the same conditional rules as the DynamoDB adapter. */
function fakeOrder(initial: OrderProgress = { status: OrderStatus.Pending }) {
  const order: Order = { ...newOrder({ customerId: 'aaa789', items: [{ productId: '456', qty: 1 }], totalCents: 100 }, 'o-1', '2026-01-01T00:00:00.000Z'), logs: [], ...initial };
  const shipments: string[] = [];
  const attribute = (result: CheckResult) => (result.check === 'CREDIT' ? 'creditCheck' : 'stockCheck');
  const ports: CheckResultPorts = {
    async recordPassedCheck(result) {
      if (order.status === OrderStatus.Pending && order[attribute(result)] === undefined) {
        order[attribute(result)] = 'PASSED';
        order.logs.push(result.detail);
      }
      return { ...order };
    },
    async rejectForFailedCheck(result) {
      if (order.status !== OrderStatus.Pending || order[attribute(result)] !== undefined) return undefined;
      Object.assign(order, { status: OrderStatus.Rejected, [attribute(result)]: 'FAILED' });
      order.logs.push(result.detail);
      return { ...order };
    },
    async markReadyToShip() {
      if (order.status !== OrderStatus.Pending || order.creditCheck !== 'PASSED' || order.stockCheck !== 'PASSED') return false;
      order.status = OrderStatus.ReadyToShip;
      return true;
    },
    async requestShipping(orderId) {
      shipments.push(orderId);
    },
  };
  return { order, shipments, ports };
}

const credit = checkResult({ orderId: 'o-1', check: 'CREDIT' });
const stock = checkResult({ orderId: 'o-1', check: 'STOCK', detail: 'Stock check passed: product 456 has 5, needs 1' });

describe('applying check results', () => {
  it('records the first passed check and waits for the other', async () => {
    const { order, shipments, ports } = fakeOrder();
    expect(await applyCheckResult(credit, ports)).toEqual({ effect: 'recorded' });
    expect(order).toMatchObject({ status: 'PENDING', creditCheck: 'PASSED' });
    expect(shipments).toEqual([]);
  });

  it('moves the order to READY_TO_SHIP and requests shipping once both checks passed', async () => {
    const { order, shipments, ports } = fakeOrder();
    await applyCheckResult(credit, ports);
    expect(await applyCheckResult(stock, ports)).toEqual({ effect: 'ready-to-ship' });
    expect(order.status).toBe('READY_TO_SHIP');
    expect(shipments).toEqual(['o-1']);
  });

  it('rejects the order when a check fails', async () => {
    const { order, ports } = fakeOrder();
    const outcome = await applyCheckResult({ ...stock, passed: false, detail: 'Stock check failed: product 456 has 0, needs 1' }, ports);
    expect(order).toMatchObject({ status: 'REJECTED', stockCheck: 'FAILED', logs: ['Stock check failed: product 456 has 0, needs 1'] });
    expect(outcome).toEqual({ effect: 'rejected', order });
  });

  it('ignores a passed check that arrives after the order was rejected', async () => {
    const { order, shipments, ports } = fakeOrder();
    await applyCheckResult({ ...credit, passed: false, detail: 'Credit check failed: customer aaa789 has no account' }, ports);
    expect(await applyCheckResult(stock, ports)).toEqual({ effect: 'ignored' });
    expect(order.status).toBe('REJECTED');
    expect(shipments).toEqual([]);
  });

  it('does not let a later contrary result overturn the first result for the same check', async () => {
    const { order, ports } = fakeOrder();
    await applyCheckResult(credit, ports);
    expect(await applyCheckResult({ ...credit, passed: false }, ports)).toEqual({ effect: 'ignored' });
    expect(order).toMatchObject({ status: 'PENDING', creditCheck: 'PASSED' });
  });

  it('asks for shipping again when a result is redelivered after the order became READY_TO_SHIP', async () => {
    const { order, shipments, ports } = fakeOrder();
    await applyCheckResult(credit, ports);
    await applyCheckResult(stock, ports);
    expect(await applyCheckResult(stock, ports)).toEqual({ effect: 'shipping-requested-again' });
    expect(order.logs).toHaveLength(2);
    expect(shipments).toEqual(['o-1', 'o-1']);
  });

  it('lets only one of two results that both see both checks passed move the order', async () => {
    const { ports } = fakeOrder({ status: OrderStatus.Pending, creditCheck: 'PASSED', stockCheck: 'PASSED' });
    const shipped: string[] = [];
    const racing = { ...ports, requestShipping: async (id: string) => void shipped.push(id) };
    const effects = await Promise.all([applyCheckResult(credit, racing), applyCheckResult(stock, racing)]);
    expect(effects.filter(({ effect }) => effect === 'ready-to-ship')).toHaveLength(1);
    expect(shipped).toEqual(['o-1']);
  });

  it('ignores a result for an order that does not exist', async () => {
    const { ports } = fakeOrder();
    expect(await applyCheckResult(credit, { ...ports, recordPassedCheck: async () => undefined })).toEqual({ effect: 'ignored' });
  });
});
