// The audio graph of a call: the microphone (rep) and the captured tab (customer) feed an
// AudioWorklet that hands mono blocks to `onBlock`; the tab is also played back, so the rep
// keeps hearing the customer while the tab is captured.

function describeMediaError(error, what) {
  if (error && error.name === "NotAllowedError") {
    return what === "mic"
      ? "麦克风未授权：请在设置页点击「授权麦克风」后重试"
      : "标签页声音未授权：请在通话页面点击扩展图标后重试";
  }
  if (error && error.name === "NotFoundError") return what === "mic" ? "没有找到麦克风" : "标签页已关闭";
  return `${what === "mic" ? "麦克风" : "标签页声音"}：${error && error.message ? error.message : error}`;
}

async function openStreams({ streamId, mic }) {
  const streams = { mic: null, tab: null, problems: [] };
  if (streamId) {
    try {
      streams.tab = await navigator.mediaDevices.getUserMedia({
        audio: { mandatory: { chromeMediaSource: "tab", chromeMediaSourceId: streamId } },
        video: false,
      });
    } catch (error) {
      streams.problems.push(describeMediaError(error, "tab"));
    }
  }
  if (mic) {
    try {
      streams.mic = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        video: false,
      });
    } catch (error) {
      streams.problems.push(describeMediaError(error, "mic"));
    }
  }
  return streams;
}

export class AudioCapture {
  constructor({ onBlock, onEnded }) {
    this.onBlock = onBlock;
    this.onEnded = onEnded;
    this.context = null;
    this.node = null;
    this.streams = null;
  }

  get sampleRate() {
    return this.context ? this.context.sampleRate : 0;
  }

  // → {mic, tab, problems}; throws when neither source could be opened.
  async start({ streamId, mic }) {
    this.streams = await openStreams({ streamId, mic });
    const { mic: micStream, tab: tabStream, problems } = this.streams;
    if (!micStream && !tabStream) throw new Error(problems.join("；") || "没有可录制的声音来源");

    this.context = new AudioContext({ latencyHint: "interactive" });
    await this.context.audioWorklet.addModule(new URL("pcm-worklet.js", import.meta.url));
    this.node = new AudioWorkletNode(this.context, "capture-processor", {
      numberOfInputs: 2,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      channelCount: 1, // each input is mixed down to mono
      channelCountMode: "explicit",
      channelInterpretation: "speakers",
    });
    this.node.port.onmessage = (event) => this.onBlock(event.data.rep, event.data.customer);
    if (micStream) this.context.createMediaStreamSource(micStream).connect(this.node, 0, 0);
    if (tabStream) {
      const tab = this.context.createMediaStreamSource(tabStream);
      tab.connect(this.node, 0, 1);
      tab.connect(this.context.destination); // capturing a tab mutes it: play it back
    }
    // The worklet must be pulled by the graph to run; a muted gain keeps it connected.
    const mute = this.context.createGain();
    mute.gain.value = 0;
    this.node.connect(mute).connect(this.context.destination);
    await this.context.resume();

    for (const stream of [micStream, tabStream]) {
      if (!stream) continue;
      for (const track of stream.getAudioTracks()) {
        track.addEventListener("ended", () =>
          this.onEnded(stream === tabStream ? "标签页已关闭或停止共享" : "麦克风已断开"),
        );
      }
    }
    return { mic: Boolean(micStream), tab: Boolean(tabStream), problems };
  }

  async stop() {
    if (this.node) {
      this.node.port.postMessage("stop");
      this.node.port.onmessage = null;
      this.node.disconnect();
    }
    if (this.streams) {
      for (const stream of [this.streams.mic, this.streams.tab]) {
        if (stream) stream.getTracks().forEach((track) => track.stop());
      }
    }
    if (this.context && this.context.state !== "closed") await this.context.close();
    this.node = null;
    this.context = null;
    this.streams = null;
  }
}
