// URL helpers in Mongoose's spirit: they accept "scheme://user:pass@host:port/uri" and
// forgive what Mongoose forgives (no scheme, no port, no path). RFC 3986 section 3 names the parts.

const DEFAULT_PORTS: Record<string, number> = {
  http: 80, ws: 80, https: 443, wss: 443, mqtt: 1883, mqtts: 8883, udp: 0, tcp: 0, sntp: 123, dns: 53,
};

interface UrlParts { scheme: string; user: string; pass: string; host: string; port: number; uri: string }

/** Percent-decoding that never throws: a malformed escape is kept as written. */
function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

function parse(url: string): UrlParts {
  let rest = typeof url === "string" ? url : "";
  let scheme = "";
  const s = rest.indexOf("://");
  if (s >= 0) { scheme = rest.slice(0, s).toLowerCase(); rest = rest.slice(s + 3); }
  // The authority ends at the first "/", "?" or "#" (RFC 3986 section 3.2).
  let end = 0;
  while (end < rest.length && rest[end] !== "/" && rest[end] !== "?" && rest[end] !== "#") end++;
  let uri = rest.slice(end);
  if (uri === "") uri = "/";
  else if (uri[0] !== "/") uri = "/" + uri;
  rest = rest.slice(0, end);
  let user = "", pass = "";
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const cred = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = cred.indexOf(":");
    if (colon >= 0) { user = safeDecode(cred.slice(0, colon)); pass = safeDecode(cred.slice(colon + 1)); }
    else user = safeDecode(cred);
  }
  let host = rest;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    host = close > 0 ? rest.slice(1, close) : rest.slice(1);
    const after = close > 0 ? rest.slice(close + 1) : "";
    if (after.startsWith(":")) portText = after.slice(1);
    else if (after !== "") portText = "bad";
  } else {
    const colon = rest.lastIndexOf(":");
    // A bare IPv6 address ("::1") has several colons and no port.
    if (colon >= 0 && rest.indexOf(":") === colon) { host = rest.slice(0, colon); portText = rest.slice(colon + 1); }
  }
  let port: number;
  if (portText === undefined || portText === "") port = DEFAULT_PORTS[scheme] ?? 0;
  else if (/^[0-9]{1,5}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
  else port = -1;
  return { scheme, user, pass, host, port, uri };
}

/** The port of a URL, or the scheme's default port (80 for http, 443 for https, ...); -1 when malformed. */
export function urlPort(url: string): number { return parse(url).port; }
/** The host part of a URL, without brackets for IPv6. */
export function urlHost(url: string): string { return parse(url).host; }
/** The user name in "scheme://user:pass@host" (percent-decoded). */
export function urlUser(url: string): string { return parse(url).user; }
/** The password in "scheme://user:pass@host" (percent-decoded). */
export function urlPass(url: string): string { return parse(url).pass; }
/** The path and query of a URL ("/" when absent). */
export function urlUri(url: string): string { return parse(url).uri; }
/** The URL's scheme, lower case ("" when absent). */
export function urlScheme(url: string): string { return parse(url).scheme; }
/** True for the schemes Mongoose treats as TLS: https, wss, mqtts, tls, ssl, tcps. */
export function urlIsSsl(url: string): boolean {
  const s = parse(url).scheme;
  return s === "https" || s === "wss" || s === "mqtts" || s === "tls" || s === "ssl" || s === "tcps";
}
