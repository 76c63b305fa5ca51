// The sender's SACK scoreboard (RFC 6675 §3): which bytes between SND.UNA
// and SND.MAX the receiver reported holding, from the SACK blocks of its
// ACKs (RFC 2018). Ranges are kept in sequence space, sorted, disjoint and
// not touching; everything goes through seq.ts (sequence numbers wrap).

import type { SackBlock } from '../wire/tcp-types.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqMax, seqSub } from './seq.js';

export class SackScoreboard {
  /** SACKed ranges [left, right) above SND.UNA, in sequence order. */
  private readonly lefts: number[] = [];
  private readonly rights: number[] = [];
  /** Total SACKed bytes. */
  private total = 0;

  get sackedBytes(): number {
    return this.total;
  }

  get isEmpty(): boolean {
    return this.lefts.length === 0;
  }

  /** Right edge of the highest SACKed range (undefined when empty). */
  get highestSacked(): number | undefined {
    const n = this.rights.length;
    return n === 0 ? undefined : this.rights[n - 1];
  }

  clear(): void {
    this.lefts.length = 0;
    this.rights.length = 0;
    this.total = 0;
  }

  /**
   * Record the blocks of one ACK. Blocks outside (sndUna, sndMax] are
   * ignored: among them the D-SACK blocks of RFC 2883, which report
   * duplicates below SND.UNA. Returns the bytes newly SACKed.
   */
  update(blocks: readonly SackBlock[], sndUna: number, sndMax: number): number {
    let added = 0;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k]!;
      let left = b.left >>> 0;
      const right = b.right >>> 0;
      if (!seqLt(left, right) || seqGt(right, sndMax) || seqLe(right, sndUna)) continue;
      if (seqLt(left, sndUna)) left = sndUna;
      added += this.add(left, right);
    }
    return added;
  }

  /** SND.UNA moved to `una`: forget what lies below it. */
  advance(una: number): void {
    let drop = 0;
    while (drop < this.lefts.length && seqLe(this.rights[drop]!, una)) {
      this.total -= seqSub(this.rights[drop]!, this.lefts[drop]!);
      drop++;
    }
    if (drop > 0) {
      this.lefts.splice(0, drop);
      this.rights.splice(0, drop);
    }
    if (this.lefts.length > 0 && seqLt(this.lefts[0]!, una)) {
      this.total -= seqSub(una, this.lefts[0]!);
      this.lefts[0] = una;
    }
  }

  /** Is the byte at `seq` SACKed? Returns the right edge of its range, or undefined. */
  sackedAt(seq: number): number | undefined {
    for (let i = 0; i < this.lefts.length; i++) {
      if (seqLt(seq, this.lefts[i]!)) return undefined;
      if (seqLt(seq, this.rights[i]!)) return this.rights[i];
    }
    return undefined;
  }

  /** Left edge of the first SACKed range at or after `seq` (undefined if none). */
  nextSackedFrom(seq: number): number | undefined {
    for (let i = 0; i < this.lefts.length; i++) if (seqGt(this.rights[i]!, seq)) return seqMax(this.lefts[i]!, seq);
    return undefined;
  }

  /** SACKed bytes above `seq`. */
  sackedAbove(seq: number): number {
    let n = 0;
    for (let i = this.lefts.length - 1; i >= 0; i--) {
      const l = this.lefts[i]!;
      const r = this.rights[i]!;
      if (seqLe(r, seq)) break;
      n += seqSub(r, seqMax(l, seq));
    }
    return n;
  }

  /**
   * RFC 6675 §4 IsLost(seq): more than (DupThresh − 1)·SMSS bytes SACKed
   * above it (the discontiguous-ranges half of the rule is implied for
   * full-sized segments).
   */
  isLost(seq: number, mss: number, dupThresh = 3): boolean {
    return this.sackedAbove(seq) > (dupThresh - 1) * mss;
  }

  /**
   * The end of the region where unSACKed bytes count as lost: the highest
   * point below which IsLost holds (SND.UNA when nothing is lost).
   */
  lostEnd(sndUna: number, mss: number, dupThresh = 3): number {
    const need = (dupThresh - 1) * mss;
    let above = 0;
    for (let i = this.lefts.length - 1; i >= 0; i--) {
      const l = this.lefts[i]!;
      const len = seqSub(this.rights[i]!, l);
      if (above + len > need) {
        // Within this range: bytes below `l + len − (need − above)` have more than `need` above.
        return seqMax(sndUna, seqAdd(l, len - (need - above)));
      }
      above += len;
    }
    return sndUna;
  }

  /**
   * RFC 6675 §4 SetPipe: bytes outstanding in the network. UnSACKed bytes
   * count once unless deemed lost; lost bytes count again once retransmitted
   * (below highRxt).
   */
  pipe(sndUna: number, sndMax: number, highRxt: number, mss: number): number {
    const outstanding = seqSub(sndMax, sndUna) - this.total;
    const lost = this.lostEnd(sndUna, mss);
    if (!seqGt(lost, sndUna)) return outstanding;
    // Unsacked bytes in [sndUna, lost) are lost; those below highRxt are back in flight.
    const notResent = seqGe(highRxt, lost) ? 0 : this.unsackedIn(seqMax(highRxt, sndUna), lost);
    return outstanding - notResent;
  }

  /** UnSACKed bytes in [from, to). */
  unsackedIn(from: number, to: number): number {
    if (!seqLt(from, to)) return 0;
    let n = seqSub(to, from);
    for (let i = 0; i < this.lefts.length; i++) {
      const l = seqMax(this.lefts[i]!, from);
      const r = this.rights[i]!;
      if (seqGe(this.lefts[i]!, to)) break;
      const rr = seqLt(r, to) ? r : to;
      if (seqLt(l, rr)) n -= seqSub(rr, l);
    }
    return n;
  }

  private add(left: number, right: number): number {
    const L = this.lefts;
    const R = this.rights;
    let i = 0;
    while (i < L.length && seqLt(R[i]!, left)) i++;
    let j = i;
    let l = left;
    let r = right;
    let covered = 0;
    while (j < L.length && seqLe(L[j]!, r)) {
      covered += seqSub(R[j]!, L[j]!);
      if (seqLt(L[j]!, l)) l = L[j]!;
      if (seqGt(R[j]!, r)) r = R[j]!;
      j++;
    }
    L.splice(i, j - i, l);
    R.splice(i, j - i, r);
    const added = seqSub(r, l) - covered;
    this.total += added;
    return added;
  }
}
