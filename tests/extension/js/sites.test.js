import { formatSiteList, matchesPattern, originsFor, parseSiteList, siteFor } from "../lib/sites.js";
import { assert, assertEqual, test } from "./harness.js";

test("sites: list with selectors, comments and errors", () => {
  const { sites, errors } = parseSiteList("# 企业聊天\nhttps://chat.example.com/* | button.send\n\nhttp://127.0.0.1/*\nchat.example.com\n<all_urls>\nhttps://*/*");
  assertEqual(sites, [
    { pattern: "https://chat.example.com/*", selector: "button.send" },
    { pattern: "http://127.0.0.1/*", selector: "" },
  ]);
  assertEqual(errors.length, 3);
  assert(errors[0].startsWith("第 5 行"), errors[0]);
});

test("sites: matching follows Chrome match patterns (any port when none given)", () => {
  assert(matchesPattern("http://127.0.0.1/*", "http://127.0.0.1:8123/chat.html"));
  assert(matchesPattern("https://*.example.com/im/*", "https://a.b.example.com/im/room?x=1"));
  assert(matchesPattern("https://*.example.com/*", "https://example.com/"));
  assert(!matchesPattern("https://*.example.com/*", "https://badexample.com/"));
  assert(!matchesPattern("https://chat.example.com/*", "http://chat.example.com/"));
  assert(matchesPattern("*://chat.example.com/*", "http://chat.example.com/x"));
  assert(!matchesPattern("http://localhost:8080/*", "http://localhost:9090/"));
  assert(!matchesPattern("https://chat.example.com/*", "https://chat.example.com.evil.io/"));
});

test("sites: the first matching site gives the selector", () => {
  const sites = [{ pattern: "https://a.example/*", selector: "#send" }, { pattern: "https://*.example/*", selector: "" }];
  assertEqual(siteFor(sites, "https://a.example/room").selector, "#send");
  assertEqual(siteFor(sites, "https://b.example/room").selector, "");
  assertEqual(siteFor(sites, "https://c.other/"), null);
});

test("sites: origins to request drop paths and duplicates", () => {
  assertEqual(originsFor([{ pattern: "https://chat.example.com/web/*" }, { pattern: "https://chat.example.com/*" }, { pattern: "http://localhost:8080/*" }]), [
    "https://chat.example.com/*",
    "http://localhost:8080/*",
  ]);
});

test("sites: format is the inverse of parse", () => {
  const text = "https://chat.example.com/* | button.send\nhttp://127.0.0.1/*";
  assertEqual(formatSiteList(parseSiteList(text).sites), text);
});
