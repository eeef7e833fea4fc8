/** The source of time for every server rule (D4). Tests inject a controllable clock; nothing sleeps on timers for correctness. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand. */
export function createManualClock(start: Date | string = '2026-01-01T00:00:00.000Z'): Clock & { set(t: Date | string): void; advanceMs(ms: number): void } {
  let current = new Date(start);
  return {
    now: () => new Date(current.getTime()),
    set: (t) => {
      current = new Date(t);
    },
    advanceMs: (ms) => {
      current = new Date(current.getTime() + ms);
    },
  };
}

export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
