/** Debounce for inline completion: wait, and drop a request when a newer one arrived meanwhile. */

export interface CancelLike {
  isCancellationRequested: boolean;
  onCancellationRequested?: (listener: () => void) => { dispose(): void };
}

export class LatestOnlyDebouncer {
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;

  /**
   * Resolves true when this call is still the latest after `ms` and was not cancelled;
   * false as soon as a newer call supersedes it or the token is cancelled.
   */
  wait(ms: number, token?: CancelLike): Promise<boolean> {
    const mine = ++this.generation;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    return new Promise<boolean>((resolve) => {
      const sub: { current?: { dispose(): void } } = {};
      const done = (): void => {
        sub.current?.dispose();
        if (this.wake === finish) this.wake = undefined;
        resolve(mine === this.generation && !token?.isCancellationRequested);
      };
      const finish = (): void => done();
      if (token?.isCancellationRequested) return done();
      this.wake = finish;
      sub.current = token?.onCancellationRequested?.(() => {
        if (this.timer && mine === this.generation) clearTimeout(this.timer);
        done();
      });
      if (ms <= 0) {
        // Still yield once, so a burst of synchronous requests keeps only the last.
        this.timer = setTimeout(done, 0);
      } else {
        this.timer = setTimeout(done, ms);
      }
    });
  }
}
