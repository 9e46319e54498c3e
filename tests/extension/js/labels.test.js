import { budgetText, clock, yuan } from "../lib/labels.js";
import { isApiKey, normalizeServiceUrl, withDefaults } from "../lib/settings.js";
import { socketUrl } from "../lib/api.js";
import { assertEqual, test } from "./harness.js";

test("labels: amounts in 万", () => {
  assertEqual([yuan(480000), yuan(15000), yuan(123456), yuan(8000)], ["48 万", "1.5 万", "12.3 万", "8,000"]);
});

test("labels: budget ranges, ceilings and periods", () => {
  assertEqual(budgetText({ amount_min: 480000, amount_max: 720000, period: "year" }), "48–72 万元 · 每年");
  assertEqual(budgetText({ amount_min: null, amount_max: 500000, period: null }), "不超过 50 万元");
  assertEqual(budgetText({ amount_min: 600000, amount_max: 600000 }), "60 万元");
  assertEqual(budgetText({ amount_min: 300000, amount_max: null }), "至少 30 万元");
});

test("labels: clock", () => {
  assertEqual([clock(0), clock(65.4), clock(3600)], ["00:00", "01:05", "60:00"]);
});

test("settings: service URL and key checks", () => {
  assertEqual(normalizeServiceUrl("http://127.0.0.1:8765/").url, "http://127.0.0.1:8765");
  assertEqual(normalizeServiceUrl("ftp://x").ok, false);
  assertEqual(normalizeServiceUrl("not a url").ok, false);
  assertEqual(typeof normalizeServiceUrl("http://10.0.0.5:8765").warning, "string");
  assertEqual(isApiKey("cpk_abc123_secretsecret"), true);
  assertEqual(isApiKey("Bearer x"), false);
  assertEqual(withDefaults({ fail_mode: "explode" }).fail_mode, "warn");
});

test("api: socket URLs use ws/wss and encode the call id", () => {
  assertEqual(socketUrl("http://127.0.0.1:8765", "c 1", "events", { token: "a+b", after: 3 }), "ws://127.0.0.1:8765/v1/calls/c%201/events?token=a%2Bb&after=3");
  assertEqual(socketUrl("https://copilot.example.com/base", "c1", "audio"), "wss://copilot.example.com/base/v1/calls/c1/audio");
});
