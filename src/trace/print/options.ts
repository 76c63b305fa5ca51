// The tcpdump command-line switches the printer honours.

export interface PrintOptions {
  /** -# : packet numbers. */
  packetNumber: boolean;
  /** -S : absolute sequence numbers. */
  absoluteSeq: boolean;
  /** -q : quick (quiet) output. */
  quiet: boolean;
  /** -v count. */
  verbose: number;
  /** -t count (0 … 5). */
  tflag: number;
  /** --nano : nanosecond timestamps. */
  nano: boolean;
  /** -e : link-level header. */
  linkHeader: boolean;
  /** -x / -xx, -X / -XX, -A / -AA counts. */
  xflag: number;
  Xflag: number;
  Aflag: number;
  /** Wall-clock times in local time (TZ set) rather than UTC. */
  localTime: boolean;
}

export function defaultPrintOptions(over: Partial<PrintOptions> = {}): PrintOptions {
  return {
    packetNumber: false,
    absoluteSeq: false,
    quiet: false,
    verbose: 0,
    tflag: 0,
    nano: false,
    linkHeader: false,
    xflag: 0,
    Xflag: 0,
    Aflag: 0,
    localTime: false,
    ...over,
  };
}
