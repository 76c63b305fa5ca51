import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildSynOptions,
  buildDataOptions,
  negotiate,
  parseSynOptions,
  windowShiftFor,
  optionsSize,
  writeSynOptions,
  SynOptionScratch,
  type LocalOffer,
} from '../../src/tcp/options.js';
import type { TcpOption } from '../../src/wire/tcp-types.js';

const nop: TcpOption = { kind: 'nop' };
const ts = { val: 1000, ecr: 0 };

test('linux SYN layouts', () => {
  assert.deepEqual(buildSynOptions({ mss: 1460, wscale: 7, sackOk: true, ts }, 'linux'), [
    { kind: 'mss', mss: 1460 },
    { kind: 'sackOK' },
    { kind: 'timestamp', val: 1000, ecr: 0 },
    nop,
    { kind: 'wscale', shift: 7 },
  ]);
  assert.deepEqual(buildSynOptions({ mss: 1460, wscale: 7, sackOk: true, ts: undefined }, 'linux'), [
    { kind: 'mss', mss: 1460 },
    nop,
    nop,
    { kind: 'sackOK' },
    nop,
    { kind: 'wscale', shift: 7 },
  ]);
  assert.deepEqual(buildSynOptions({ mss: 1460, wscale: 2, sackOk: false, ts }, 'linux'), [
    { kind: 'mss', mss: 1460 },
    nop,
    nop,
    { kind: 'timestamp', val: 1000, ecr: 0 },
    nop,
    { kind: 'wscale', shift: 2 },
  ]);
  assert.deepEqual(buildSynOptions({ mss: 536, wscale: undefined, sackOk: false, ts: undefined }, 'linux'), [{ kind: 'mss', mss: 536 }]);
});

test('freebsd SYN layouts keep sackOK even and TS at 2 mod 4', () => {
  const full = buildSynOptions({ mss: 1460, wscale: 6, sackOk: true, ts }, 'freebsd');
  assert.deepEqual(full, [
    { kind: 'mss', mss: 1460 },
    nop,
    { kind: 'wscale', shift: 6 },
    { kind: 'sackOK' },
    { kind: 'timestamp', val: 1000, ecr: 0 },
  ]);
  assert.equal(optionsSize(full), 20);
  const noTs = buildSynOptions({ mss: 1460, wscale: 6, sackOk: true, ts: undefined }, 'freebsd');
  assert.deepEqual(noTs, [{ kind: 'mss', mss: 1460 }, nop, { kind: 'wscale', shift: 6 }, { kind: 'sackOK' }, { kind: 'eol' }]);
  const noSack = buildSynOptions({ mss: 1460, wscale: 6, sackOk: false, ts }, 'freebsd');
  assert.deepEqual(noSack, [
    { kind: 'mss', mss: 1460 },
    nop,
    { kind: 'wscale', shift: 6 },
    nop,
    nop,
    { kind: 'timestamp', val: 1000, ecr: 0 },
  ]);
  assert.equal(optionsSize(noSack), 20);
  // 11 bytes ending in EOL: the emitter pads the header to 12 with zeros.
  assert.equal(optionsSize(noTs), 11);
});

test('data segments: nop, nop, TS then nop, nop, SACK', () => {
  assert.deepEqual(buildDataOptions({ val: 5, ecr: 6 }, undefined), [nop, nop, { kind: 'timestamp', val: 5, ecr: 6 }]);
  assert.deepEqual(buildDataOptions({ val: 5, ecr: 6 }, [{ left: 10, right: 20 }]), [
    nop,
    nop,
    { kind: 'timestamp', val: 5, ecr: 6 },
    nop,
    nop,
    { kind: 'sack', blocks: [{ left: 10, right: 20 }] },
  ]);
  assert.deepEqual(buildDataOptions(undefined, []), []);
});

const ours: LocalOffer = { mss: 1460, sendLimit: 1460, wscale: 2, sack: true, timestamps: true, defaultMss: 536 };

test('negotiation: everything on both sides', () => {
  const peer = parseSynOptions(buildSynOptions({ mss: 1400, wscale: 9, sackOk: true, ts }, 'linux'));
  assert.deepEqual(negotiate(ours, peer), { sndMss: 1400, sndWscale: 9, rcvWscale: 2, wscaleOk: true, sackOk: true, tsOk: true });
});

test('negotiation: a bare SYN gives 536, no scaling, no SACK, no timestamps', () => {
  assert.deepEqual(negotiate(ours, parseSynOptions([])), { sndMss: 536, sndWscale: 0, rcvWscale: 0, wscaleOk: false, sackOk: false, tsOk: false });
  assert.equal(negotiate({ ...ours, defaultMss: 1220 }, parseSynOptions([])).sndMss, 1220);
});

test('negotiation: each option needs both sides', () => {
  const peer = parseSynOptions([{ kind: 'mss', mss: 9000 }, { kind: 'wscale', shift: 3 }, { kind: 'sackOK' }, { kind: 'timestamp', val: 1, ecr: 0 }]);
  const n = negotiate({ ...ours, wscale: undefined, sack: false, timestamps: false }, peer);
  assert.deepEqual(n, { sndMss: 1460, sndWscale: 0, rcvWscale: 0, wscaleOk: false, sackOk: false, tsOk: false });
});

test('negotiation: shift above 14 is used as 14, a tiny MSS is raised to 64', () => {
  const n = negotiate(ours, parseSynOptions([{ kind: 'wscale', shift: 20 }, { kind: 'mss', mss: 0 }]));
  assert.equal(n.sndWscale, 14);
  assert.equal(n.sndMss, 64);
});

test('window shift for a buffer size', () => {
  assert.equal(windowShiftFor(65535), 0);
  assert.equal(windowShiftFor(65536), 1);
  assert.equal(windowShiftFor(131072), 2);
  assert.equal(windowShiftFor(6 * 1024 * 1024), 7);
  assert.equal(windowShiftFor(2 ** 40), 14);
});

test('property: the window shift is the least (at most 14) that brings the buffer under 2^16', () => {
  fc.assert(
    fc.property(fc.oneof(fc.nat(1 << 20), fc.integer({ min: 0, max: 2 ** 45 })), (n) => {
      let s = 0;
      while (s < 14 && Math.floor(n / 2 ** s) > 0xffff) s++;
      assert.equal(windowShiftFor(n), s);
    }),
    { numRuns: 2000 },
  );
});

test('property: a reused SynOptionScratch writes the list a fresh buildSynOptions builds, offer after offer', () => {
  const offerArb = fc.record({
    mss: fc.integer({ min: 0, max: 65535 }),
    wscale: fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }),
    sackOk: fc.boolean(),
    ts: fc.option(fc.record({ val: fc.nat(0xffffffff), ecr: fc.nat(0xffffffff) }), { nil: undefined }),
    layout: fc.constantFrom('linux' as const, 'freebsd' as const),
  });
  fc.assert(
    fc.property(fc.array(offerArb, { minLength: 1, maxLength: 8 }), (offers) => {
      const scratch = new SynOptionScratch();
      for (const o of offers) {
        const got = writeSynOptions(scratch, o.mss, o.wscale, o.sackOk, o.ts !== undefined, o.ts?.val ?? 0, o.ts?.ecr ?? 0, o.layout);
        assert.equal(got, scratch.list);
        // Compared as plain data, before the next offer overwrites the scratch.
        assert.deepEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(buildSynOptions(o, o.layout))));
      }
    }),
    { numRuns: 300 },
  );
});
