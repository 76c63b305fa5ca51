// What an application answers from its event handlers goes out with the
// ACK it was owed (TcpConnection.hold / release): the request rides on the
// third segment of the handshake, a response and its FIN share one segment
// that also acknowledges the request. An application that answers later
// still gets its ACK at once: holding changes no timing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, B4, bytes, text } from './helpers.js';
import { parseAddress } from '../../src/stack/addr.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseTcp } from '../../src/wire/tcp.js';
import type { Segment } from '../../src/wire/tcp-types.js';
import type { Pair } from './helpers.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';

interface Seen {
  from: 'a' | 'b';
  at: number;
  flags: string;
  len: number;
}

/** tcpdump's letters for a segment's flags, in its order (S F R P then "." for ACK). */
function flagText(s: Segment): string {
  let f = '';
  if (s.flags & 0x02) f += 'S';
  if (s.flags & 0x01) f += 'F';
  if (s.flags & 0x04) f += 'R';
  if (s.flags & 0x08) f += 'P';
  if (s.flags & 0x10) f += '.';
  return f;
}

function watch(p: Pair): Seen[] {
  const seen: Seen[] = [];
  for (const [from, link] of [['a', p.link.ab], ['b', p.link.ba]] as const) {
    link.watch((e) => {
      if (e.kind !== 'send') return;
      const ip = parseIpv4(e.packet);
      assert.ok(ip.ok);
      const t = parseTcp(ip.value.payload);
      assert.ok(t.ok);
      seen.push({ from, at: e.time, flags: flagText(t.value), len: t.value.payload.length });
    });
  }
  return seen;
}

/** A server on b:80 that reads each request whole and then calls `answer`. */
function serve(p: Pair, answer: (ep: TcpEndpoint) => void): void {
  p.b.tcpListen({ port: 80 }).onConnection = (ep) => {
    ep.handler = (ev) => {
      if (ev.type !== 'readable') return;
      while (ep.read() !== null);
      answer(ep);
    };
  };
}

/** A client on a that sends 'request' once connected; what it heard so far. */
function request(p: Pair): { response: string; error: string } {
  const heard = { response: '', error: '' };
  const c = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 80 });
  c.handler = (ev) => {
    if (ev.type === 'established') c.send(bytes('request'));
    if (ev.type === 'readable') for (let d = c.read(); d !== null; d = c.read()) heard.response += text(d);
    if (ev.type === 'error') heard.error = ev.code;
  };
  return heard;
}

test('request, response and close, all answered from handlers: six segments', () => {
  for (const batch of [false, true]) {
    const p = makePair({ ab: { delay: 1000, batch }, ba: { delay: 1000, batch } });
    const seen = watch(p);
    const l = p.b.tcpListen({ port: 80 });
    let request = '';
    l.onConnection = (ep) => {
      ep.handler = (ev) => {
        if (ev.type !== 'readable') return;
        for (let d = ep.read(); d !== null; d = ep.read()) request += text(d);
        ep.send(bytes('response'));
        ep.close();
      };
    };
    let response = '';
    let closed = false;
    const c = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 80 });
    c.handler = (ev) => {
      if (ev.type === 'established') c.send(bytes('request'));
      if (ev.type === 'readable') for (let d = c.read(); d !== null; d = c.read()) response += text(d);
      if (ev.type === 'eof') c.close();
      if (ev.type === 'closed') closed = true;
    };
    p.clock.runUntil(100_000);
    assert.equal(request, 'request');
    assert.equal(response, 'response');
    assert.ok(closed);
    assert.deepEqual(
      seen.map((s) => `${s.from} ${s.flags} ${s.len}`),
      [
        'a S 0',
        'b S. 0',
        // Data on the third segment: the handshake's ACK carries the request.
        'a P. 7',
        // The response, its FIN and the ACK of the request in one segment.
        'b FP. 8',
        // The client's FIN acknowledges the server's.
        'a F. 0',
        'b . 0',
      ],
      `batch: ${batch}`,
    );
    // One hop each, back to back: nothing waited for a timer.
    assert.deepEqual(seen.map((s) => s.at), [0, 1000, 2000, 3000, 4000, 5000]);
  }
});

test('an application that answers later: its ACK still leaves at once', () => {
  const p = makePair({ ab: { delay: 1000 }, ba: { delay: 1000 } });
  const seen = watch(p);
  // Answer 5 ms later, from outside any handler.
  serve(p, (ep) => p.clock.setTimer(p.clock.now() + 5000, () => ep.send(bytes('late'))));
  const heard = request(p);
  p.clock.runUntil(100_000);
  assert.equal(heard.response, 'late');
  const fromB = seen.filter((s) => s.from === 'b');
  // SYN-ACK, the pure ACK of the request when it arrived (2 ms), then the answer.
  assert.deepEqual(
    fromB.map((s) => `${s.at} ${s.flags} ${s.len}`),
    ['1000 S. 0', '3000 . 0', '8000 P. 4'],
  );
});

test('a client that sends nothing when established acknowledges the SYN-ACK at once', () => {
  const p = makePair({ ab: { delay: 1000, batch: true }, ba: { delay: 1000, batch: true } });
  const seen = watch(p);
  p.b.tcpListen({ port: 80 });
  const c = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 80 });
  let established = false;
  c.handler = (ev) => {
    if (ev.type === 'established') established = true;
  };
  p.clock.runUntil(10_000);
  assert.ok(established);
  assert.deepEqual(
    seen.map((s) => `${s.at} ${s.from} ${s.flags} ${s.len}`),
    ['0 a S 0', '1000 b S. 0', '2000 a . 0'],
  );
});

test('a handler that sends and then aborts: the data still goes out before the RST', () => {
  const p = makePair({ ab: { delay: 1000, batch: true }, ba: { delay: 1000, batch: true } });
  const seen = watch(p);
  serve(p, (ep) => {
    ep.send(bytes('bye'));
    ep.abort();
  });
  const heard = request(p);
  p.clock.runUntil(100_000);
  assert.equal(heard.response, 'bye');
  assert.equal(heard.error, 'ECONNRESET');
  assert.deepEqual(
    seen.filter((s) => s.from === 'b').map((s) => `${s.flags} ${s.len}`),
    ['S. 0', 'P. 3', 'R 0'],
  );
});
