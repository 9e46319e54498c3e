// What the side panel knows about one call, built by applying events in order. Pure: no
// DOM, so a test can replay a list of events and look at the result.

export const MAX_SUGGESTION_GROUPS = 6;

export function createCallState(callId) {
  return {
    callId,
    status: null, // live | ended | interrupted
    asrLagS: null,
    finals: [], // segments, by start time
    partials: new Map(), // segment id → provisional segment
    insights: null, // the call's merged Insights
    suggestionGroups: [], // newest first: {segmentId, objection, provisional, items}
    flags: [], // newest first
    summary: null,
    errors: [],
  };
}

function insertFinal(finals, segment) {
  const at = finals.findIndex((s) => s.id === segment.id);
  if (at >= 0) {
    finals[at] = segment;
    return;
  }
  let i = finals.length;
  while (i > 0 && finals[i - 1].start > segment.start) i -= 1;
  finals.splice(i, 0, segment);
}

function addSuggestions(state, event) {
  const groups = state.suggestionGroups;
  const existing = groups.findIndex((g) => g.segmentId === event.segment_id);
  if (existing >= 0) {
    // A final answer replaces the early one found in a partial; never the other way round.
    if (event.provisional && !groups[existing].provisional) return false;
    groups.splice(existing, 1);
  }
  const shown = new Set(groups.flatMap((g) => g.items.map((item) => item.id)));
  const items = event.result.suggestions.filter((item) => !shown.has(item.id));
  if (items.length === 0) return existing >= 0;
  groups.unshift({
    segmentId: event.segment_id,
    objection: event.result.objection ?? null,
    provisional: Boolean(event.provisional),
    items,
  });
  groups.length = Math.min(groups.length, MAX_SUGGESTION_GROUPS);
  return true;
}

function addFlag(state, event) {
  const flag = { ...event.flag, segment_id: event.segment_id, seq: event.seq };
  const key = (f) => f.flag_id || `${f.segment_id}:${f.rule_id}:${f.match}`;
  if (state.flags.some((f) => key(f) === key(flag))) return false;
  state.flags.unshift(flag);
  return true;
}

// Applies one (already validated) event; returns the names of the parts that changed.
export function applyEvent(state, event) {
  switch (event.type) {
    case "transcript.partial": {
      const segment = event.segment;
      if (state.finals.some((s) => s.id === segment.id)) return [];
      if (segment.text.trim() === "") state.partials.delete(segment.id);
      else state.partials.set(segment.id, segment);
      return ["transcript"];
    }
    case "transcript.final":
      state.partials.delete(event.segment.id);
      insertFinal(state.finals, event.segment);
      return ["transcript"];
    case "transcript.relabelled": {
      // The end of a mono call: speakers from the whole call's voices; flags on words that
      // turned out to be the customer's are taken back.
      for (const segment of event.segments) insertFinal(state.finals, segment);
      const withdrawn = new Set(event.withdrawn_flags || []);
      const before = state.flags.length;
      state.flags = state.flags.filter((f) => !withdrawn.has(f.flag_id));
      return state.flags.length === before ? ["transcript"] : ["transcript", "flags"];
    }
    case "insight":
      state.insights = event.call_insights;
      return ["insights"];
    case "suggestion":
      return addSuggestions(state, event) ? ["suggestions"] : [];
    case "compliance.flag":
      return addFlag(state, event) ? ["flags"] : [];
    case "call.status":
      state.status = event.status;
      if (typeof event.asr_lag_s === "number") state.asrLagS = event.asr_lag_s;
      if (event.status !== "live") state.partials.clear();
      return ["status", "transcript"];
    case "call.summary":
      state.summary = event.summary;
      if (!state.status || state.status === "live") state.status = "ended";
      return ["summary", "status"];
    case "error":
      state.errors.push({ code: event.code, message: event.message, fatal: Boolean(event.fatal) });
      state.errors.splice(0, state.errors.length - 5);
      return ["errors"];
    default:
      return [];
  }
}
