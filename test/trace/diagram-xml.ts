// A small XML well-formedness check for the SVG the drawings write, and a
// reader of their elements: enough to assert on structure without a DOM.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;

function decode(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function checkText(s: string, where: string): void {
  if (s.includes('<')) throw new Error(`raw '<' in ${where}`);
  const bad = /&(?!(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(s);
  if (bad !== null) throw new Error(`bare '&' in ${where}: ${s.slice(bad.index, bad.index + 12)}`);
}

/** Parse one XML document (no DTD, no comments, no CDATA); throws naming what is malformed. */
export function parseXml(doc: string): XmlElement {
  let i = 0;
  const root: XmlElement = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const textPart = doc.slice(i, lt < 0 ? doc.length : lt);
    checkText(textPart, `text of <${stack[stack.length - 1]!.name}>`);
    stack[stack.length - 1]!.text += decode(textPart);
    if (lt < 0) break;
    const gt = doc.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = doc.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = NAME.exec(body);
    if (m === null) throw new Error(`bad tag <${tag}>`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    let rest = body.slice(m[0].length);
    const attr = /^\s+([A-Za-z_][\w.:-]*)="([^"]*)"/;
    for (;;) {
      const a = attr.exec(rest);
      if (a === null) break;
      if (a[1]! in el.attrs) throw new Error(`attribute ${a[1]} twice on <${el.name}>`);
      checkText(a[2]!, `attribute ${a[1]}`);
      el.attrs[a[1]!] = decode(a[2]!);
      rest = rest.slice(a[0].length);
    }
    if (rest.trim() !== '') throw new Error(`bad attributes on <${el.name}>: ${rest}`);
    stack[stack.length - 1]!.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1]!.name}> not closed`);
  const top = root.children;
  if (top.length !== 1 || root.text.trim() !== '') throw new Error('not exactly one root element');
  return top[0]!;
}

/** Every element below (and including) `el`, depth first. */
export function allElements(el: XmlElement): XmlElement[] {
  const out = [el];
  for (const c of el.children) out.push(...allElements(c));
  return out;
}

/** Elements whose class list contains every class given. */
export function byClass(el: XmlElement, ...classes: string[]): XmlElement[] {
  return allElements(el).filter((e) => {
    const list = (e.attrs['class'] ?? '').split(/\s+/);
    return classes.every((c) => list.includes(c));
  });
}

/** All text inside an element. */
export function textOf(el: XmlElement): string {
  return el.text + el.children.map(textOf).join('');
}
