// Retries an operation that failed for a passing reason, with jittered exponential backoff, and
// bounds a call by the time its caller must answer by.
import { TransactionConflictException, type CancellationReason } from '@aws-sdk/client-dynamodb';

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Epoch milliseconds after which no further attempt starts: the caller must answer by then. */
  deadline?: number;
  isRetryable?: (error: unknown) => boolean;
  /** Told of each failure that is about to be tried again. */
  onRetry?: (error: unknown) => void;
}

export async function withRetries<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts = 5, baseDelayMs = 20, maxDelayMs = 1000, deadline = Number.POSITIVE_INFINITY, isRetryable = () => true, onRetry } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const delay = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      if (Date.now() + delay >= deadline) throw error;
      onRetry?.(error);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * The options of an SDK call that must be over by `deadline` (epoch milliseconds): a slow answer is
 * abandoned then, with an error, instead of holding the caller past the time it must answer by.
 */
export function until(deadline: number | undefined): { abortSignal?: AbortSignal } {
  if (deadline === undefined || !Number.isFinite(deadline)) return {};
  // As AbortSignal.timeout does (a TimeoutError, a timer that keeps no process alive), on the
  // global timers, which tests can drive. Deadlines are shares of the time left: they have fractions.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), Math.max(0, Math.floor(deadline - Date.now())));
  (timer as { unref?: () => void }).unref?.();
  return { abortSignal: controller.signal };
}

/**
 * A single-item write to an item that a running transaction includes (an order, an account or a
 * product being shipped) fails with TransactionConflictException, which the SDK does not retry.
 * It is transient: the transaction takes milliseconds.
 */
export function retryingTransactionConflicts<T>(write: () => Promise<T>, deadline?: number): Promise<T> {
  return withRetries(write, { isRetryable: (error) => error instanceof TransactionConflictException, ...(deadline === undefined ? {} : { deadline }) });
}

/** A transaction cancelled for a passing reason (another transaction, throttling): try it again, it means nothing about the data. */
export const isTransientCancellation = (reason: CancellationReason | undefined): boolean =>
  reason?.Code === 'TransactionConflict' || reason?.Code === 'ThrottlingError' || reason?.Code === 'ProvisionedThroughputExceeded';
