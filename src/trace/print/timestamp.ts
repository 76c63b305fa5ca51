// Packet timestamps in tcpdump's six styles (-t … -ttttt), with microsecond
// or nanosecond fractions (--nano).

export interface TimestampOptions {
  /** 0 = default HH:MM:SS.frac, 1 = none (-t), 2 = epoch (-tt), 3 = delta from previous (-ttt), 4 = date (-tttt), 5 = delta from first (-ttttt). */
  tflag: number;
  /** Print nanoseconds (9 digits) instead of microseconds (6). */
  nano: boolean;
  /** Format wall-clock times in the process's local zone (TZ set) or in UTC. */
  localTime: boolean;
}

interface Stamp {
  sec: number;
  frac: number;
}

const ERROR = '[Error converting time]';

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

export class TimestampFormatter {
  private readonly opts: TimestampOptions;
  private ref: Stamp = { sec: 0, frac: 0 };

  constructor(opts: TimestampOptions) {
    this.opts = opts;
  }

  private fracText(frac: number): string {
    return '.' + pad(frac, this.opts.nano ? 9 : 6);
  }

  private hms(sec: number, frac: number, withDate: boolean, local: boolean): string {
    // Seconds with bit 31 set cannot be converted (tcpdump 4.99.3 behaviour).
    if (sec < 0 || sec >= 0x80000000) return ERROR;
    const d = new Date(sec * 1000);
    const Y = local ? d.getFullYear() : d.getUTCFullYear();
    const M = (local ? d.getMonth() : d.getUTCMonth()) + 1;
    const D = local ? d.getDate() : d.getUTCDate();
    const h = local ? d.getHours() : d.getUTCHours();
    const m = local ? d.getMinutes() : d.getUTCMinutes();
    const s = local ? d.getSeconds() : d.getUTCSeconds();
    const time = `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
    const text = withDate ? `${pad(Y, 4)}-${pad(M, 2)}-${pad(D, 2)} ${time}` : time;
    return text + this.fracText(frac);
  }

  /**
   * The timestamp text including its trailing space ('' with -t).
   * `tsNsec` is the fraction in nanoseconds; without --nano it is truncated to µs.
   */
  format(tsSec: number, tsNsec: number): string {
    const frac = this.opts.nano ? tsNsec : Math.floor(tsNsec / 1000);
    const unit = this.opts.nano ? 1_000_000_000 : 1_000_000;
    const t: Stamp = { sec: tsSec, frac };
    switch (this.opts.tflag) {
      case 1:
        return '';
      case 2:
        if (tsSec < 0 || tsSec >= 0x80000000) return ERROR + ' ';
        return `${tsSec}${this.fracText(frac)} `;
      case 3:
      case 5: {
        // The reference counts as unset while it is exactly 0.0.
        if (this.ref.sec === 0 && this.ref.frac === 0) this.ref = t;
        const negative = t.sec < this.ref.sec || (t.sec === this.ref.sec && t.frac < this.ref.frac);
        const [a, b] = negative ? [this.ref, t] : [t, this.ref];
        let dsec = a.sec - b.sec;
        let dfrac = a.frac - b.frac;
        if (dfrac < 0) {
          dsec -= 1;
          dfrac += unit;
        }
        const text = (negative ? '-' : ' ') + this.hms(dsec, dfrac, false, false) + ' ';
        if (this.opts.tflag === 3) this.ref = t;
        return text;
      }
      case 4:
        return this.hms(tsSec, frac, true, this.opts.localTime) + ' ';
      default:
        return this.hms(tsSec, frac, false, this.opts.localTime) + ' ';
    }
  }
}
