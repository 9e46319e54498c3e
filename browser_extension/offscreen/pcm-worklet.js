// Runs on the audio thread: copies the rep (input 0, microphone) and the customer (input 1,
// tab) as mono blocks of ~40 ms to the offscreen document, which resamples and frames them.

const BLOCK = 2048; // frames per message; at 48 kHz about 43 ms

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.rep = new Float32Array(BLOCK);
    this.customer = new Float32Array(BLOCK);
    this.filled = 0;
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data === "stop") this.running = false;
    };
  }

  process(inputs) {
    if (!this.running) return false;
    const rep = inputs[0] && inputs[0][0];
    const customer = inputs[1] && inputs[1][0];
    const length = (rep || customer || { length: 128 }).length;
    let offset = 0;
    while (offset < length) {
      const take = Math.min(length - offset, BLOCK - this.filled);
      for (let i = 0; i < take; i++) {
        // A source that is not connected (or refused) has no channel: silence.
        this.rep[this.filled + i] = rep ? rep[offset + i] : 0;
        this.customer[this.filled + i] = customer ? customer[offset + i] : 0;
      }
      this.filled += take;
      offset += take;
      if (this.filled === BLOCK) {
        this.port.postMessage({ rep: this.rep, customer: this.customer }, [this.rep.buffer, this.customer.buffer]);
        this.rep = new Float32Array(BLOCK);
        this.customer = new Float32Array(BLOCK);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("capture-processor", CaptureProcessor);
