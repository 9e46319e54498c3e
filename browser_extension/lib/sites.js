// The chat sites whose drafts are checked before sending: parsing the options page's list,
// matching a page URL against Chrome match patterns, and the origins to ask permission for.

const PATTERN = /^(\*|https?):\/\/(\*|(?:\*\.)?[^/*:]+)(:\d{1,5})?(\/.*)$/;

// "https://chat.example.com/* | button.send" → {pattern, selector}; errors name the line.
export function parseSiteList(text) {
  const sites = [];
  const errors = [];
  String(text || "")
    .split(/\r?\n/)
    .forEach((line, index) => {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith("#")) return;
      const [patternPart, ...selectorParts] = trimmed.split("|");
      const pattern = patternPart.trim();
      const selector = selectorParts.join("|").trim();
      if (!PATTERN.test(pattern)) {
        errors.push(`第 ${index + 1} 行：「${pattern}」不是有效的匹配模式（例如 https://chat.example.com/*）`);
        return;
      }
      if (pattern.startsWith("*://*/") || /^https?:\/\/\*\//.test(pattern)) {
        errors.push(`第 ${index + 1} 行：不支持匹配所有网站，请写出具体域名`);
        return;
      }
      sites.push({ pattern, selector });
    });
  return { sites, errors };
}

export function formatSiteList(sites) {
  return sites.map((s) => (s.selector ? `${s.pattern} | ${s.selector}` : s.pattern)).join("\n");
}

function escapeRegExp(text) {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

// A match pattern as a RegExp over full URLs. Without a port the pattern matches any port,
// as Chrome's content-script matching does.
export function patternToRegExp(pattern) {
  const parts = PATTERN.exec(pattern);
  if (!parts) return null;
  const [, scheme, host, port, path] = parts;
  const schemeRe = scheme === "*" ? "https?" : scheme;
  let hostRe;
  if (host === "*") hostRe = "[^/:]+";
  else if (host.startsWith("*.")) hostRe = `(?:[^/:]+\\.)?${escapeRegExp(host.slice(2))}`;
  else hostRe = escapeRegExp(host);
  const portRe = port ? escapeRegExp(port) : "(?::\\d+)?";
  const pathRe = path.split("*").map(escapeRegExp).join(".*");
  return new RegExp(`^${schemeRe}://${hostRe}${portRe}${pathRe}$`, "i");
}

export function matchesPattern(pattern, url) {
  const re = patternToRegExp(pattern);
  return Boolean(re && re.test(url));
}

// The first configured site that covers `url`, or null.
export function siteFor(sites, url) {
  return sites.find((site) => matchesPattern(site.pattern, url)) || null;
}

// Host permission origins to request at runtime (the path of a pattern does not matter).
export function originsFor(sites) {
  const origins = new Set();
  for (const { pattern } of sites) {
    const parts = PATTERN.exec(pattern);
    if (parts) origins.add(`${parts[1]}://${parts[2]}${parts[3] || ""}/*`);
  }
  return [...origins];
}
