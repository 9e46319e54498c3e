// Audio for the service's audio WebSocket: resample each party to 16 kHz, interleave
// rep-left / customer-right, convert to little-endian int16 and cut into frames.
// Pure functions and small stateful objects with no browser API, so tests can feed them
// made-up signals.

export const TARGET_RATE = 16000;
export const CHANNELS = 2; // [rep, customer], the service's channel_map
export const FRAME_MS = 100; // the service accepts at most 1 s per binary frame

// A Blackman-windowed sinc low-pass FIR; `cutoff` is a fraction of the input rate (0..0.5).
export function lowpassTaps(cutoff, count) {
  if (!(cutoff > 0 && cutoff <= 0.5)) throw new RangeError(`cutoff ${cutoff} not in (0, 0.5]`);
  if (count % 2 === 0) count += 1; // odd length: a symmetric filter with a centre tap
  const taps = new Float32Array(count);
  const mid = (count - 1) / 2;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const x = i - mid;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const window =
      0.42 -
      0.5 * Math.cos((2 * Math.PI * i) / (count - 1)) +
      0.08 * Math.cos((4 * Math.PI * i) / (count - 1));
    taps[i] = sinc * window;
    sum += taps[i];
  }
  for (let i = 0; i < count; i++) taps[i] /= sum; // unity gain at DC
  return taps;
}

// Streaming resampler from `inRate` down to `outRate`: low-pass below the new Nyquist
// frequency, then pick samples at fractional positions (linear interpolation between the
// filtered neighbours). Chunk boundaries do not matter: feeding a signal in pieces gives the
// same output as feeding it whole.
export class Downsampler {
  constructor(inRate, outRate = TARGET_RATE, tapCount = 63) {
    if (!(inRate >= outRate && outRate > 0)) {
      throw new RangeError(`cannot downsample ${inRate} Hz to ${outRate} Hz`);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    this.step = inRate / outRate;
    this.passthrough = inRate === outRate;
    // Cut off at 90 % of the output Nyquist frequency (7.2 kHz for 16 kHz output).
    this.taps = this.passthrough ? null : lowpassTaps((0.45 * outRate) / inRate, tapCount);
    this.history = new Float32Array(this.taps ? this.taps.length - 1 : 0);
    this.filtered = []; // filtered samples not yet consumed (at most two)
    this.position = 0; // fractional index of the next output sample into `filtered`
  }

  process(input) {
    if (this.passthrough) return Float32Array.from(input);
    const taps = this.taps;
    const n = taps.length;
    // The filter's view: previous n-1 inputs followed by this chunk.
    const buffer = new Float32Array(this.history.length + input.length);
    buffer.set(this.history);
    buffer.set(input, this.history.length);
    const filtered = this.filtered.slice();
    for (let i = 0; i + n <= buffer.length; i++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += taps[k] * buffer[i + k];
      filtered.push(acc);
    }
    this.history = buffer.slice(buffer.length - (n - 1));

    const out = [];
    let pos = this.position;
    while (pos + 1 < filtered.length) {
      const i = Math.floor(pos);
      const frac = pos - i;
      out.push(filtered[i] * (1 - frac) + filtered[i + 1] * frac);
      pos += this.step;
    }
    const keepFrom = Math.min(Math.floor(pos), filtered.length);
    this.filtered = filtered.slice(keepFrom);
    this.position = pos - keepFrom;
    return Float32Array.from(out);
  }
}

// One float sample in [-1, 1] to int16, clamping what overshoots.
export function floatToInt16(sample) {
  if (!(sample === sample)) return 0; // NaN
  const s = Math.max(-1, Math.min(1, sample));
  return s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
}

// Two mono channels to one interleaved int16 array: rep on the left, customer on the right.
// A missing channel (the microphone was refused) is silence.
export function interleaveInt16(rep, customer) {
  const length = Math.max(rep ? rep.length : 0, customer ? customer.length : 0);
  const out = new Int16Array(length * CHANNELS);
  for (let i = 0; i < length; i++) {
    out[2 * i] = rep && i < rep.length ? floatToInt16(rep[i]) : 0;
    out[2 * i + 1] = customer && i < customer.length ? floatToInt16(customer[i]) : 0;
  }
  return out;
}

// Little-endian bytes of an Int16Array, whatever the platform's byte order.
export function int16ToBytes(samples) {
  const bytes = new ArrayBuffer(samples.length * 2);
  const view = new DataView(bytes);
  for (let i = 0; i < samples.length; i++) view.setInt16(2 * i, samples[i], true);
  return bytes;
}

export function frameSampleCount(rate = TARGET_RATE, ms = FRAME_MS) {
  return Math.round((rate * ms) / 1000);
}

// Collects interleaved int16 samples and hands out frames of exactly `frameFrames` sample
// frames (100 ms by default), so every binary message holds a whole number of frames.
export class Framer {
  constructor(frameFrames = frameSampleCount(), channels = CHANNELS) {
    this.channels = channels;
    this.frameLength = frameFrames * channels;
    this.pending = new Int16Array(0);
  }

  push(interleaved) {
    if (interleaved.length % this.channels !== 0) {
      throw new RangeError(`${interleaved.length} samples is not a whole number of frames`);
    }
    const all = new Int16Array(this.pending.length + interleaved.length);
    all.set(this.pending);
    all.set(interleaved, this.pending.length);
    const frames = [];
    let offset = 0;
    while (all.length - offset >= this.frameLength) {
      frames.push(int16ToBytes(all.subarray(offset, offset + this.frameLength)));
      offset += this.frameLength;
    }
    this.pending = all.slice(offset);
    return frames;
  }

  // What is left (shorter than a frame, still whole sample frames), e.g. at stop.
  flush() {
    const rest = this.pending;
    this.pending = new Int16Array(0);
    return rest.length ? [int16ToBytes(rest)] : [];
  }
}

// Root mean square of a block, for a level meter.
export function rms(samples) {
  if (!samples || samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

// The JSON header that opens the audio WebSocket (docs/service.md).
export function startMessage({ customerName = "", hotwords = [] } = {}) {
  return {
    type: "start",
    sample_rate: TARGET_RATE,
    channels: CHANNELS,
    encoding: "pcm_s16le",
    customer_name: customerName,
    hotwords,
    channel_map: ["rep", "customer"],
  };
}

// Both parties' blocks (same length, from one audio callback) to bytes-ready frames.
export class StereoEncoder {
  constructor(inRate) {
    this.rep = new Downsampler(inRate);
    this.customer = new Downsampler(inRate);
    this.framer = new Framer();
  }

  // A missing block (that source is not captured) is silence of the other's length, so
  // both resamplers always see the same number of samples and stay in step.
  push(repBlock, customerBlock) {
    const length = (repBlock || customerBlock || []).length;
    const silence = new Float32Array(length);
    const rep = this.rep.process(repBlock || silence);
    const customer = this.customer.process(customerBlock || silence);
    return this.framer.push(interleaveInt16(rep, customer));
  }

  flush() {
    return this.framer.flush();
  }
}
