/** Reads a required environment variable; called at module scope so a missing one fails the cold start, not a request. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set; the function's template entry must define it`);
  }
  return value;
}
