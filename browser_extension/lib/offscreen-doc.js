// The one offscreen document that captures audio (getUserMedia is unavailable in the side
// panel and in the service worker).

const PATH = "offscreen/index.html";
let creating = null;

export async function hasOffscreen() {
  const contexts = await chrome.runtime.getContexts({
    contextTypes: ["OFFSCREEN_DOCUMENT"],
    documentUrls: [chrome.runtime.getURL(PATH)],
  });
  return contexts.length > 0;
}

export async function ensureOffscreen() {
  if (await hasOffscreen()) return;
  if (!creating) {
    creating = chrome.offscreen
      .createDocument({
        url: PATH,
        // USER_MEDIA: microphone and tab audio. AUDIO_PLAYBACK: the captured tab is played
        // back so the rep still hears the customer. (USER_MEDIA alone keeps the document
        // alive; AUDIO_PLAYBACK alone would close it after 30 s of silence.)
        reasons: ["USER_MEDIA", "AUDIO_PLAYBACK"],
        justification: "Capture the call's tab audio and the microphone for live transcription.",
      })
      .finally(() => {
        creating = null;
      });
  }
  await creating;
}

export async function closeOffscreen() {
  if (await hasOffscreen()) await chrome.offscreen.closeDocument();
}
