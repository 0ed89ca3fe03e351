/**
 * Follows intake batches as they arrive during a bench run: accounts for them in the judge, samples
 * the collector's memory every tenth of the events, and tells when the run is over: every event
 * arrived, the collector exited, or nothing arrived for too long.
 */
import type { CollectorProcess } from '../simulator/collector-process';
import type { AcceptedBatch } from '../simulator/sekoia';
import type { ExactlyOnce } from '../simulator/delivery-check';
import { rssMb } from './proc-stats';

export interface RssSample {
  /** Share of the expected events delivered when the sample was taken. */
  percent: number;
  rssMb: number;
}

/**
 * A run that delivers nothing for this long is stuck, not slow: the slowest legitimate silence is
 * the first listing of a million-session backlog, which takes well under a minute.
 */
const STALL_MS = 5 * 60_000;
const SAMPLE_EVERY_PERCENT = 10;

export class DeliveryWatch {
  readonly rssSamples: RssSample[] = [];
  /** CPU this process spent checking deliveries, apart from serving them. */
  checkCpuSeconds = 0;
  /** Date.now() when the batch holding the last expected event arrived. */
  completedAt?: number;
  private pid?: number;
  private nextSample = SAMPLE_EVERY_PERCENT;
  private onProgress?: () => void;

  constructor(private readonly judge: ExactlyOnce) {}

  /**
   * The intake's onBatch hook. The check runs once the intake has answered: the collector waits
   * for that answer before its next push, so a check in between would slow the collector down.
   */
  accept(batch: AcceptedBatch): void {
    setImmediate(() => this.check(batch));
  }

  /** Resolves once every expected event arrived (undefined), or with why that will not happen. */
  outcome(collector: CollectorProcess): Promise<string | undefined> {
    this.pid = collector.child.pid;
    return new Promise((resolve) => {
      let stall: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (failure?: string): void => {
        if (done) return;
        done = true;
        clearTimeout(stall);
        this.onProgress = undefined;
        resolve(failure);
      };
      this.onProgress = () => {
        if (this.completedAt !== undefined) return finish();
        clearTimeout(stall);
        stall = setTimeout(
          () => finish(`no event for ${STALL_MS / 1000} s${lastWords(collector)}`),
          STALL_MS,
        );
      };
      void collector.exited.then(({ code, signal }) =>
        finish(`the collector exited (code ${code}, signal ${signal})${lastWords(collector)}`),
      );
      this.onProgress();
    });
  }

  private check(batch: AcceptedBatch): void {
    const before = process.cpuUsage();
    this.judge.record(batch.jsons);
    const used = process.cpuUsage(before);
    this.checkCpuSeconds += (used.user + used.system) / 1e6;
    if (this.completedAt === undefined && this.judge.matched >= this.judge.expected) {
      this.completedAt = batch.receivedAt;
    }
    this.sampleRss();
    this.onProgress?.();
  }

  private sampleRss(): void {
    const { matched, expected } = this.judge;
    if (this.pid === undefined) return;
    while (this.nextSample <= 100 && matched * 100 >= expected * this.nextSample) {
      try {
        this.rssSamples.push({ percent: this.nextSample, rssMb: rssMb(this.pid) });
      } catch {
        // The collector is gone; outcome() reports why.
      }
      this.nextSample += SAMPLE_EVERY_PERCENT;
    }
  }
}

/**
 * The collector's last warnings and errors, and what it wrote to stderr: the lines naming an error
 * (a crash prints its reason before a long stack), else the last ones.
 */
function lastWords(collector: CollectorProcess): string {
  const logged = collector.lines
    .filter((line) => ['warning', 'error', 'critical'].includes(String(line.level)))
    .slice(-3)
    .map((line) => String(line.message));
  const errors = collector.stderr.filter((line) => /error/i.test(line)).slice(0, 3);
  const words = [...logged, ...(errors.length > 0 ? errors : collector.stderr.slice(-3))].join(' | ');
  return words === '' ? '' : `; last collector messages: ${words.slice(0, 1000)}`;
}
