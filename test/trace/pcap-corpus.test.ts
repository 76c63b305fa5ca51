// Every pcap of the tcpdump conformance corpus reads whole, with the record
// count, link type and precision that MANIFEST.tsv states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../helpers/paths.js';
import { readCapture } from '../../src/trace/read-capture.js';
import { decodeLink } from '../../src/trace/linklayer.js';

const CORPUS = join(SHARED, 'conformance/tcpdump');

interface ManifestFacts {
  packets: number;
  fileFormat: string;
  linktype: number;
}

/** pcap path (relative to CORPUS) → facts, from the manifests' header-named columns. */
function readManifest(name: string): Map<string, ManifestFacts> {
  const lines = readFileSync(join(CORPUS, name), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]!.split('\t');
  const col = (c: string) => {
    const i = header.indexOf(c);
    assert.ok(i >= 0, `${name} has a ${c} column`);
    return i;
  };
  const [iPcap, iPackets, iFormat, iLinktype] = [col('pcap'), col('packets'), col('file_format'), col('linktype')];
  const out = new Map<string, ManifestFacts>();
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    const lt = /\((\d+)\)$/.exec(f[iLinktype]!);
    assert.ok(lt, `linktype column "${f[iLinktype]}" ends in (N)`);
    const facts = { packets: Number(f[iPackets]), fileFormat: f[iFormat]!, linktype: Number(lt[1]) };
    const seen = out.get(f[iPcap]!);
    if (seen) assert.deepEqual(facts, seen, `${name}: rows for ${f[iPcap]} agree`);
    out.set(f[iPcap]!, facts);
  }
  return out;
}

test('every manifest pcap has the stated number of records, link type and precision', () => {
  const manifest = readManifest('MANIFEST.tsv');
  assert.ok(manifest.size >= 30, `manifest lists ${manifest.size} pcaps`);
  for (const [path, facts] of manifest) {
    const f = readCapture(readFileSync(join(CORPUS, path)));
    assert.equal(f.error, undefined, `${path}: ${f.error?.message}`);
    assert.equal(f.format, 'pcap', path);
    assert.equal(f.records.length, facts.packets, path);
    assert.equal(f.linktype, facts.linktype, path);
    assert.equal(f.nanoPrecision, facts.fileFormat.includes('nsec'), path);
    for (const r of f.records) {
      assert.equal(r.linktype, facts.linktype, path);
      assert.ok(r.data.length <= r.len, `${path}: caplen ${r.data.length} <= len ${r.len}`);
    }
  }
});

test('the drift manifest agrees too', () => {
  for (const [path, facts] of readManifest('manifest-drift.tsv')) {
    const f = readCapture(readFileSync(join(CORPUS, path)));
    assert.equal(f.error, undefined, path);
    assert.equal(f.records.length, facts.packets, path);
    assert.equal(f.linktype, facts.linktype, path);
  }
});

test('every pcap in the folder reads without error, and its IP packets are found', () => {
  const dir = join(CORPUS, 'pcap');
  const files = readdirSync(dir).filter((n) => n.endsWith('.pcap'));
  assert.ok(files.length >= 35, `${files.length} pcaps`);
  for (const name of files) {
    const f = readCapture(readFileSync(join(dir, name)));
    assert.equal(f.error, undefined, `${name}: ${f.error?.message}`);
    assert.ok(f.records.length > 0, name);
    for (const [i, r] of f.records.entries()) {
      const d = decodeLink(r.linktype, r.data);
      const at = `${name} #${i + 1}`;
      assert.ok(d.offset >= 0, at);
      if (d.proto === 'other') {
        // The corpus is TCP/IP; the only other frames in it are ARP.
        assert.equal(d.ethertype, 0x0806, at);
      } else {
        const version = r.data[d.offset]! >> 4;
        assert.equal(version, d.proto === 'ipv4' ? 4 : 6, at);
      }
    }
  }
});

test('timestamps match tcpdump -tt output (seconds.fraction) for every -tt row', () => {
  const lines = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]!.split('\t');
  const [iPcap, iFlags, iOut] = ['pcap', 'flags', 'expected_out'].map((c) => header.indexOf(c));
  let rows = 0;
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    const flags = f[iFlags!]!.split(' ');
    if (!flags.includes('-tt')) continue;
    rows++;
    const nano = flags.includes('--nano');
    const cap = readCapture(readFileSync(join(CORPUS, f[iPcap!]!)));
    const expected = readFileSync(join(CORPUS, f[iOut!]!), 'utf8');
    let seen = 0;
    // "    1  1418145369.924505488 IP ..." : packet number (-#), then the time.
    for (const m of expected.matchAll(/^ *(\d+)  (\d+)\.(\d+) /gm)) {
      const r = cap.records[Number(m[1]) - 1]!;
      const frac = nano ? r.tsNsec : Math.floor(r.tsNsec / 1000);
      assert.equal(r.tsSec, Number(m[2]), `${f[iOut!]} #${m[1]}`);
      assert.equal(frac, Number(m[3]), `${f[iOut!]} #${m[1]}`);
      assert.equal(m[3]!.length, nano ? 9 : 6);
      seen++;
    }
    assert.equal(seen, cap.records.length, `${f[iOut!]}: one line per record`);
  }
  assert.ok(rows >= 10, `${rows} -tt rows`);
});

test('known facts of single corpus files', () => {
  const read = (n: string) => readCapture(readFileSync(join(CORPUS, 'pcap', n)));
  // The same packets in four file flavours give the same records.
  const flavours = ['synth-mini-raw.pcap', 'synth-mini-raw-usec-be.pcap', 'synth-mini-raw-nsec-le.pcap', 'synth-mini-raw-nsec-be.pcap'].map(read);
  for (const f of flavours.slice(1)) {
    assert.equal(f.records.length, flavours[0]!.records.length);
    f.records.forEach((r, i) => {
      const base = flavours[0]!.records[i]!;
      assert.equal(r.tsSec, base.tsSec);
      assert.equal(Math.floor(r.tsNsec / 1000), base.tsNsec / 1000);
      assert.deepEqual([...r.data], [...base.data]);
    });
  }
  // Darwin writes AF_INET6 as 30, NetBSD as 24.
  const afs = (n: string) => new Set(read(n).records.map((r) => decodeLink(r.linktype, r.data).af));
  assert.deepEqual(afs('synth-mini-null-darwin.pcap'), new Set([2, 30]));
  assert.deepEqual(afs('synth-mini-null.pcap'), new Set([2, 24]));
  // The cooked header of the first SLL packet: host, Ethernet, 00:11:22:33:44:55.
  const sll = read('synth-mini-sll.pcap').records[0]!;
  const d = decodeLink(sll.linktype, sll.data);
  assert.deepEqual([d.sllPktType, d.sllHaType, [...d.sllAddr!]], [0, 1, [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]]);
});
