// URL helpers in Mongoose's spirit: they accept "scheme://user:pass@host:port/uri".

const DEFAULT_PORTS: Record<string, number> = {
  http: 80, ws: 80, https: 443, wss: 443, mqtt: 1883, mqtts: 8883, udp: 0, tcp: 0, sntp: 123, dns: 53,
};

interface UrlParts { scheme: string; user: string; pass: string; host: string; port: number; uri: string }

function parse(url: string): UrlParts {
  let rest = url;
  let scheme = "";
  const s = rest.indexOf("://");
  if (s >= 0) { scheme = rest.slice(0, s).toLowerCase(); rest = rest.slice(s + 3); }
  let uri = "/";
  const slash = rest.indexOf("/");
  if (slash >= 0) { uri = rest.slice(slash); rest = rest.slice(0, slash); }
  let user = "", pass = "";
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const cred = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = cred.indexOf(":");
    if (colon >= 0) { user = decodeURIComponent(cred.slice(0, colon)); pass = decodeURIComponent(cred.slice(colon + 1)); }
    else user = decodeURIComponent(cred);
  }
  let host = rest;
  let port = 0;
  if (rest.startsWith("[")) {
    const end = rest.indexOf("]");
    host = end > 0 ? rest.slice(1, end) : rest.slice(1);
    const after = end > 0 ? rest.slice(end + 1) : "";
    if (after.startsWith(":")) port = Number(after.slice(1));
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon >= 0 && rest.indexOf(":") === colon) { host = rest.slice(0, colon); port = Number(rest.slice(colon + 1)); }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) port = -1;
  if (port === 0 && !/:0*$/.test(rest.replace(/\]$/, ""))) port = DEFAULT_PORTS[scheme] ?? 0;
  return { scheme, user, pass, host, port, uri };
}

/** The port of a URL, or the scheme's default port (80 for http, 443 for https, ...). */
export function urlPort(url: string): number { return parse(url).port; }
/** The host part of a URL, without brackets for IPv6. */
export function urlHost(url: string): string { return parse(url).host; }
/** The user name in "scheme://user:pass@host". */
export function urlUser(url: string): string { return parse(url).user; }
/** The password in "scheme://user:pass@host". */
export function urlPass(url: string): string { return parse(url).pass; }
/** The path and query of a URL ("/" when absent). */
export function urlUri(url: string): string { return parse(url).uri; }
/** The URL's scheme, lower case ("" when absent). */
export function urlScheme(url: string): string { return parse(url).scheme; }
/** True for https://, wss://, mqtts://, tls:// and ssl://. */
export function urlIsSsl(url: string): boolean {
  const s = parse(url).scheme;
  return s === "https" || s === "wss" || s === "mqtts" || s === "tls" || s === "ssl";
}
