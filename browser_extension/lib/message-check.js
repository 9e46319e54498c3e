// The decision on a scanned chat message, and the compliant rewrite offered to the rep.
// Pure functions: the service worker applies them to the service's ScanResult.

// hold: high severity, the message must not go out as it is (替换 / 修改 / 仍然发送 + reason)
// warn: medium or low, shown to the rep while the message goes out
// send: nothing found
export function decide(result) {
  const flags = Array.isArray(result && result.flags) ? result.flags : [];
  if (flags.some((flag) => flag.severity === "high")) return "hold";
  if (flags.length > 0) return "warn";
  return "send";
}

// The phrase a rule suggests instead: the 「…」 after 改为 (compliance/rules/*.yaml).
export function replacementOf(suggestion) {
  const match = /改为[^「]{0,12}「([^」]+)」/.exec(String(suggestion || ""));
  return match ? match[1] : null;
}

const CLAUSE_END = /[，,。！!？?；;\n]/;
const SENTENCE_END = /[。！!？?]$/;

function clauses(text) {
  // [{start, end, body, delimiter}] covering the text; the delimiter belongs to the clause.
  const out = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (CLAUSE_END.test(text[i])) {
      out.push({ start, end: i + 1, body: text.slice(start, i), delimiter: text[i] });
      start = i + 1;
    }
  }
  if (start < text.length) out.push({ start, end: text.length, body: text.slice(start), delimiter: "" });
  return out;
}

// Replaces each clause holding a flagged phrase by the rule's suggested wording; a flag
// without one (e.g. an ID number) is masked instead. Null when nothing could be rewritten.
export function composeRewrite(text, flags) {
  if (!text || !Array.isArray(flags) || flags.length === 0) return null;
  const parts = clauses(text).map((clause) => ({ ...clause, phrases: [], masks: [] }));
  for (const flag of flags) {
    const start = Number(flag.start);
    const end = Number(flag.end);
    if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start || end > text.length) continue;
    const phrase = replacementOf(flag.suggestion);
    const touched = parts.filter((p) => p.start < end && start < p.end);
    if (touched.length === 0) continue;
    if (phrase) {
      touched.forEach((p, i) => {
        p.replaced = true;
        if (i === 0 && !p.phrases.includes(phrase)) p.phrases.push(phrase);
      });
    } else {
      for (const p of touched) p.masks.push([Math.max(start, p.start), Math.min(end, p.start + p.body.length)]);
    }
  }
  if (!parts.some((p) => p.replaced || p.masks.length)) return null;
  let out = "";
  for (const p of parts) {
    if (p.replaced) {
      if (p.phrases.length === 0) continue; // a later clause of a replaced span
      const joined = p.phrases.map((s) => (SENTENCE_END.test(s) ? s : `${s}。`)).join("");
      out += joined; // the phrase carries its own end mark; the old delimiter goes
      continue;
    }
    let body = p.body;
    for (const [from, to] of [...p.masks].sort((a, b) => b[0] - a[0])) {
      if (to > from) body = body.slice(0, from - p.start) + "***" + body.slice(to - p.start);
    }
    out += body + p.delimiter;
  }
  return out;
}
