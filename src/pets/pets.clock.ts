/** The time the pet rules see. Production reads the wall clock; tests set or advance it to simulate days away. */
export class Clock {
  private fixed: number | null = null;
  private offsetMs = 0;

  now(): Date {
    return new Date(this.fixed ?? Date.now() + this.offsetMs);
  }

  /** Freezes the clock at an instant. */
  set(at: Date | string): void {
    this.fixed = new Date(at).getTime();
  }

  /** Moves the clock forward (frozen or running). */
  advance(ms: number): void {
    if (this.fixed !== null) this.fixed += ms;
    else this.offsetMs += ms;
  }

  /** Back to the wall clock. */
  reset(): void {
    this.fixed = null;
    this.offsetMs = 0;
  }
}
