// AccountUpdateFunction: POST /account and GET /account/{customerId}.
import { accountStore, type Balance } from '../adapters/balanceStore';
import { dynamo } from '../adapters/clients/dynamo';
import { requiredEnv } from '../config';
import { centsToNumber, toCents, type Cents } from '../domain/money';
import { apiHandler, type ApiRequest } from '../http/apiHandler';
import { etag, writeCondition } from '../http/etag';
import { InvalidRequestError, notFound } from '../http/errors';
import { logger } from '../observability';

const accounts = accountStore(dynamo, requiredEnv('ACCOUNT_TABLE_NAME'));

const accountResult = (account: Balance<Cents>) => ({
  statusCode: 200,
  body: { customerId: account.id, balance: centsToNumber(account.balance), updatedAt: account.updatedAt },
  headers: { ETag: etag(account.version) },
});

function exactBalance(balance: number): Cents {
  try {
    return toCents(balance);
  } catch {
    throw InvalidRequestError.of([{ path: 'balance', message: 'must be a number >= 0 with at most 2 decimal places, at most 1000000000' }]);
  }
}

export const handler = apiHandler(
  {
    async setAccountBalance(request: ApiRequest<{ customerId: string; balance: number }>) {
      return accountResult(await accounts.set(request.body.customerId, exactBalance(request.body.balance), writeCondition(request.headers)));
    },
    async getAccount(request) {
      const account = await accounts.get(request.pathParameters.customerId ?? '');
      if (!account) throw notFound('The account');
      return accountResult(account);
    },
  },
  logger,
);
