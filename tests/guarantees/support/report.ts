// Each guarantee test records what it did and saw, in figures, next to its stack's log
// (.local/guarantees/<name>/summary.json), and prints it in one line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultCounts } from 'local-sam';
import { GUARANTEES_DIR } from './localStack';

export function recordSummary(name: string, summary: Record<string, unknown>): void {
  writeFileSync(join(GUARANTEES_DIR, name, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`[guarantees] ${name}: ${JSON.stringify(summary)}\n`);
}

/** Per fault rule, as a summary shows it: the rule, the calls (invocations) it matched, the faults it injected. */
export const faultFigures = (counts: FaultCounts) => counts.rules.map(({ text, seen, injected }) => ({ rule: text, seen, injected }));
