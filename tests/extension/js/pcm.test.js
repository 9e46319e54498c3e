import {
  Downsampler,
  Framer,
  StereoEncoder,
  floatToInt16,
  frameSampleCount,
  int16ToBytes,
  interleaveInt16,
  lowpassTaps,
  rms,
  startMessage,
} from "../lib/pcm.js";
import { assert, assertClose, assertEqual, test } from "./harness.js";

function sine(freq, rate, seconds, amplitude = 1) {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

function inChunks(downsampler, signal, size) {
  const parts = [];
  for (let i = 0; i < signal.length; i += size) parts.push(...downsampler.process(signal.subarray(i, i + size)));
  return Float32Array.from(parts);
}

// Amplitude of `freq` in `signal` (a single-bin DFT), skipping the filter's warm-up.
function toneAmplitude(signal, freq, rate, skip = 200) {
  let re = 0;
  let im = 0;
  const n = signal.length - skip;
  for (let i = skip; i < signal.length; i++) {
    re += signal[i] * Math.cos((2 * Math.PI * freq * i) / rate);
    im += signal[i] * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / n;
}

test("pcm: low-pass taps have unity DC gain and are symmetric", () => {
  const taps = lowpassTaps(0.15, 63);
  assertEqual(taps.length, 63);
  assertClose(taps.reduce((a, b) => a + b, 0), 1, 1e-6);
  for (let i = 0; i < 31; i++) assertClose(taps[i], taps[62 - i], 1e-9);
});

test("pcm: 48 kHz → 16 kHz gives a third of the samples", () => {
  const out = new Downsampler(48000).process(new Float32Array(48000));
  assertEqual(out.length, 16000);
});

test("pcm: 44.1 kHz → 16 kHz over many odd-sized chunks keeps the rate", () => {
  const d = new Downsampler(44100);
  let total = 0;
  for (let i = 0; i < 100; i++) total += d.process(new Float32Array(441)).length;
  assertClose(total, 16000, 1);
});

test("pcm: a 1 kHz tone passes with its amplitude and frequency", () => {
  const out = new Downsampler(48000).process(sine(1000, 48000, 1, 0.5));
  assertClose(toneAmplitude(out, 1000, 16000), 0.5, 0.01);
  assert(toneAmplitude(out, 3000, 16000) < 0.005, "no energy at an unrelated frequency");
});

test("pcm: a 12 kHz tone (above the new Nyquist) is filtered, not aliased to 4 kHz", () => {
  const out = new Downsampler(48000).process(sine(12000, 48000, 1, 0.8));
  assert(toneAmplitude(out, 4000, 16000) < 0.01, `alias at 4 kHz: ${toneAmplitude(out, 4000, 16000)}`);
  assert(rms(out.subarray(200)) < 0.01, "stop band is quiet");
});

test("pcm: 7 kHz is kept mostly, 9 kHz mostly removed (the transition band)", () => {
  const pass = toneAmplitude(new Downsampler(48000).process(sine(6000, 48000, 1)), 6000, 16000);
  assert(pass > 0.8, `6 kHz kept: ${pass}`);
  const alias = toneAmplitude(new Downsampler(48000).process(sine(9000, 48000, 1)), 7000, 16000);
  assert(alias < 0.1, `9 kHz folded to 7 kHz: ${alias}`);
});

test("pcm: chunking does not change the output", () => {
  const signal = sine(440, 48000, 0.5, 0.7);
  const whole = new Downsampler(48000).process(signal);
  const pieces = inChunks(new Downsampler(48000), signal, 128);
  const odd = inChunks(new Downsampler(48000), signal, 1001);
  assertEqual(pieces.length, whole.length);
  assertEqual(odd.length, whole.length);
  for (let i = 0; i < whole.length; i++) {
    assertClose(pieces[i], whole[i], 1e-6, `sample ${i}`);
    assertClose(odd[i], whole[i], 1e-6, `sample ${i}`);
  }
});

test("pcm: DC level is preserved", () => {
  const out = new Downsampler(48000).process(new Float32Array(4800).fill(0.25));
  assertClose(out[out.length - 1], 0.25, 1e-4);
});

test("pcm: 16 kHz input passes through untouched", () => {
  const input = sine(500, 16000, 0.1);
  const out = new Downsampler(16000).process(input);
  assertEqual(Array.from(out), Array.from(input));
});

test("pcm: upsampling is refused", () => {
  let threw = false;
  try {
    new Downsampler(8000);
  } catch {
    threw = true;
  }
  assert(threw);
});

test("pcm: int16 conversion clamps and rounds", () => {
  assertEqual([1, -1, 0, 2, -2, 0.5, -0.5, NaN].map(floatToInt16), [32767, -32768, 0, 32767, -32768, 16384, -16384, 0]);
});

test("pcm: interleave puts the rep left and the customer right", () => {
  const out = interleaveInt16(Float32Array.from([0.5, -0.5]), Float32Array.from([1, -1]));
  assertEqual(Array.from(out), [16384, 32767, -16384, -32768]);
});

test("pcm: a missing channel is silence", () => {
  assertEqual(Array.from(interleaveInt16(null, Float32Array.from([1, 1]))), [0, 32767, 0, 32767]);
  assertEqual(Array.from(interleaveInt16(Float32Array.from([-1]), null)), [-32768, 0]);
});

test("pcm: bytes are little-endian int16", () => {
  const bytes = new Uint8Array(int16ToBytes(Int16Array.from([1, -2, 0x1234])));
  assertEqual(Array.from(bytes), [1, 0, 0xfe, 0xff, 0x34, 0x12]);
});

test("pcm: frames are 100 ms of 16 kHz stereo (6400 bytes), the rest kept", () => {
  assertEqual(frameSampleCount(), 1600);
  const framer = new Framer();
  const frames = framer.push(new Int16Array(2 * 1600 * 2 + 2 * 100));
  assertEqual(frames.map((f) => f.byteLength), [6400, 6400]);
  assertEqual(framer.push(new Int16Array(2 * 1500)).map((f) => f.byteLength), [6400]);
  assertEqual(framer.flush().map((f) => f.byteLength), []);
  framer.push(new Int16Array(2 * 10));
  assertEqual(framer.flush().map((f) => f.byteLength), [40]);
});

test("pcm: a framer refuses half a sample frame", () => {
  let threw = false;
  try {
    new Framer().push(new Int16Array(3));
  } catch {
    threw = true;
  }
  assert(threw);
});

test("pcm: stereo encoder turns 1 s at 48 kHz into ten 100 ms frames with both parties", () => {
  const encoder = new StereoEncoder(48000);
  const rep = sine(300, 48000, 1, 0.5);
  const customer = sine(800, 48000, 1, 0.25);
  const frames = [];
  for (let i = 0; i < 48000; i += 2048) frames.push(...encoder.push(rep.subarray(i, i + 2048), customer.subarray(i, i + 2048)));
  frames.push(...encoder.flush());
  const total = frames.reduce((n, f) => n + f.byteLength, 0);
  assertEqual(total, 16000 * 2 * 2);
  assert(frames.slice(0, -1).every((f) => f.byteLength === 6400), "whole frames");
  const samples = new Int16Array(frames[5]);
  let left = 0;
  let right = 0;
  for (let i = 0; i < samples.length; i += 2) {
    left = Math.max(left, Math.abs(samples[i]));
    right = Math.max(right, Math.abs(samples[i + 1]));
  }
  assertClose(left / 32767, 0.5, 0.02, "rep level on the left");
  assertClose(right / 32767, 0.25, 0.02, "customer level on the right");
});

test("pcm: stereo encoder with the microphone missing keeps both channels in step", () => {
  const encoder = new StereoEncoder(48000);
  const frames = [];
  for (let i = 0; i < 10; i++) frames.push(...encoder.push(null, sine(800, 48000, 2048 / 48000, 0.3)));
  const samples = new Int16Array(frames[0]);
  for (let i = 0; i < samples.length; i += 2) assertEqual(samples[i], 0);
});

test("pcm: the start header matches docs/service.md", () => {
  assertEqual(startMessage({ customerName: "赵总", hotwords: ["云帆"] }), {
    type: "start",
    sample_rate: 16000,
    channels: 2,
    encoding: "pcm_s16le",
    customer_name: "赵总",
    hotwords: ["云帆"],
    channel_map: ["rep", "customer"],
  });
});
