// Time is injected (DESIGN rule 2). Microseconds everywhere.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Current time in microseconds. */
  now(): number;
  /** Run `fn` once when the clock reaches `at` (microseconds, absolute). */
  setTimer(at: number, fn: () => void): TimerHandle;
}
