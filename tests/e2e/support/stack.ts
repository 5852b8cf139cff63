// What e2e tests know of the running stack (its state file, local-sam's LocalStackState), and
// small HTTP helpers over it.
import { readFileSync } from 'node:fs';
import type { LocalStackState } from 'local-sam';

export type StackState = LocalStackState;

export function stackState(): StackState {
  const file = process.env.E2E_STATE_FILE;
  if (!file) throw new Error('E2E_STATE_FILE is not set; run the e2e project through Jest (its globalSetup starts the stack)');
  return JSON.parse(readFileSync(file, 'utf8')) as StackState;
}

export const baseUrl = (): string => stackState().url;

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${baseUrl()}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

export const FINAL_STATUSES = ['SHIPPED', 'REJECTED'];

/** Polls an order's status until it is final (or the time is up, then returns the last status). */
export async function finalStatus(orderId: string, timeoutMs = 20_000): Promise<{ status: string; logs: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call<{ status: string; logs: string[] }>('GET', `/order/${orderId}/status`);
    if (FINAL_STATUSES.includes(body.status) || Date.now() > deadline) return body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A fresh id per test run, so tests never see each other's (or a persisted run's) data. */
export const uniqueId = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
