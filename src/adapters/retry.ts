// Retries an operation that failed for a passing reason, with jittered exponential backoff.

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Epoch milliseconds after which no further attempt starts: the caller must answer by then. */
  deadline?: number;
  isRetryable?: (error: unknown) => boolean;
}

export async function withRetries<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts = 5, baseDelayMs = 20, maxDelayMs = 1000, deadline = Number.POSITIVE_INFINITY, isRetryable = () => true } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const delay = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      if (Date.now() + delay >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
