// A tiny test harness for the extension's modules, run inside Chromium by
// tests/extension/test_js_modules.py (results in window.__results).

const tests = [];

export function test(name, fn) {
  tests.push({ name, fn });
}

export class AssertionError extends Error {}

export function assert(condition, message = "assertion failed") {
  if (!condition) throw new AssertionError(message);
}

export function assertEqual(actual, expected, message = "") {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${message} expected ${e}, got ${a}`);
}

export function assertClose(actual, expected, tolerance, message = "") {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new AssertionError(`${message} expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}

export async function run() {
  const results = [];
  for (const { name, fn } of tests) {
    try {
      await fn();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: String(error && error.stack ? error.stack : error) });
    }
  }
  return results;
}
