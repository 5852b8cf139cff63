// The benchmark's progress display on stderr, so that stdout carries only the results. On a
// terminal one status line is redrawn in place; in a log (CI, a pipe) each phase and every tenth of
// its work is a line of its own, so the log stays short.

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

const clock = (ms: number): string => {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly started = Date.now();
  private phaseIndex = 0;
  private phaseName = '';
  private phaseStarted = Date.now();
  private total = 0;
  private done = 0;
  private detail = '';
  private frame = 0;
  private lastLoggedTenth = -1;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly phaseCount: number) {
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 120);
      this.timer.unref();
    }
  }

  /** Starts the next phase; `total` units of work when known, for a bar and an estimate. */
  phase(name: string, total = 0): void {
    this.phaseIndex += 1;
    this.phaseName = name;
    this.phaseStarted = Date.now();
    this.total = total;
    this.done = 0;
    this.detail = '';
    this.lastLoggedTenth = -1;
    if (!this.tty) process.stderr.write(`[${this.phaseIndex}/${this.phaseCount}] ${name}\n`);
    this.draw();
  }

  /** Reports progress within the phase: `done` units so far and what is happening now. */
  update(done: number, detail = this.detail): void {
    this.done = done;
    this.detail = detail;
    if (!this.tty && this.total > 0) {
      const tenth = Math.floor((10 * done) / this.total);
      if (tenth > this.lastLoggedTenth) {
        this.lastLoggedTenth = tenth;
        process.stderr.write(`    ${Math.round((100 * done) / this.total)}% ${detail}\n`);
      }
    }
  }

  /** A line that stays above the status line (a finding worth seeing before the summary). */
  note(line: string): void {
    if (this.tty) process.stderr.write('\r\u001b[2K');
    process.stderr.write(`    ${line}\n`);
    this.draw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) process.stderr.write('\r\u001b[2K');
    process.stderr.write(`benchmark finished in ${clock(Date.now() - this.started)}\n`);
  }

  private draw(): void {
    if (!this.tty) return;
    this.frame = (this.frame + 1) % FRAMES.length;
    const elapsed = Date.now() - this.phaseStarted;
    let bar = '';
    if (this.total > 0) {
      const fraction = Math.min(1, this.done / this.total);
      const filled = Math.round(fraction * 20);
      const eta = fraction > 0.02 ? ` ~${clock((elapsed / fraction) * (1 - fraction))} left` : '';
      bar = ` ${'█'.repeat(filled)}${'░'.repeat(20 - filled)} ${Math.round(fraction * 100)}%${eta}`;
    }
    const line = `${FRAMES[this.frame]} [${this.phaseIndex}/${this.phaseCount}] ${this.phaseName}${bar} · ${clock(Date.now() - this.started)} ${this.detail}`;
    const width = process.stderr.columns ?? 120;
    process.stderr.write(`\r\u001b[2K${line.slice(0, width - 1)}`);
  }
}
