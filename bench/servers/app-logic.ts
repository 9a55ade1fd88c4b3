// What the "user traffic" servers do, shared by ours-http.ts, node-http.ts and
// fastify-http.ts so that every side runs the same application code and only the server
// underneath differs: read a session cookie and render a page; parse a JSON order and
// answer a JSON summary; bodies of a given size. The bench's load side imports the
// request builders from here too, so it can compute the exact answer each side must give.

export const HELLO = "Hello, World!";

/** The value of cookie `name` in a Cookie header (RFC 6265 section 4.2: `name=value` pairs joined by "; "). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let at = 0;
  while (at < header.length) {
    let end = header.indexOf(";", at);
    if (end < 0) end = header.length;
    const eq = header.indexOf("=", at);
    if (eq > 0 && eq < end && header.slice(at, eq).trim() === name) return header.slice(eq + 1, end).trim();
    at = end + 1;
  }
  return undefined;
}

const PAGE_HEAD = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Product 42</title>" +
  "<link rel=\"stylesheet\" href=\"/static/site.css\"></head>\n<body><header><nav><a href=\"/\">Home</a> <a href=\"/products\">Products</a> " +
  "<a href=\"/cart\">Cart</a></nav></header>\n<main><h1>Widget 42</h1><p>A widget for every purpose, in three colours.</p>\n";
const PAGE_TAIL = "\n<ul><li>Weight: 120 g</li><li>Size: 10 x 4 x 2 cm</li><li>In stock: yes</li></ul>\n" +
  "<form method=\"post\" action=\"/cart\"><input type=\"hidden\" name=\"sku\" value=\"W-42\"><button>Add to cart</button></form>\n" +
  "</main><footer>&copy; 2026 Example Shop</footer><script src=\"/static/app.js\" defer></script></body></html>\n";

/** The product page for the session in the Cookie header (anonymous without one). */
export function renderPage(cookieHeader: string | undefined): string {
  const sid = cookieValue(cookieHeader, "sid") ?? "anonymous";
  return `${PAGE_HEAD}<p class="session">Signed in, session ${sid}</p>${PAGE_TAIL}`;
}

export const PAGE_PATH = "/products/42?ref=home";

/** A browser's request headers for a page (Chrome on Linux, with analytics and session cookies): about 600 bytes. */
export const BROWSER_HEADERS: [string, string][] = [
  ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"],
  ["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"],
  ["Accept-Encoding", "gzip, deflate, br, zstd"],
  ["Accept-Language", "en-US,en;q=0.9,de;q=0.8"],
  ["Sec-Fetch-Dest", "document"],
  ["Sec-Fetch-Mode", "navigate"],
  ["Sec-Fetch-Site", "same-origin"],
  ["Upgrade-Insecure-Requests", "1"],
  ["Referer", "http://127.0.0.1/products?page=2"],
  ["Cookie", "_ga=GA1.1.1234567890.1733040000; theme=dark; sid=3f9a6c2e8b1d4f7a9c0e2b4d6f8a1c3e; _gid=GA1.1.987654321.1733040000; consent=analytics%3Dno"],
];

interface OrderItem { sku: string; name: string; qty: number; price: number }
interface Order {
  customer: { id: string; name: string; email: string; tier: string };
  currency: string;
  items: OrderItem[];
  shipping: { method: string; address: { street: string; city: string; zip: string; country: string } };
  note: string;
}

/** The JSON API's request: an order of 1 KiB (the note pads it to exactly 1024 bytes). */
export function orderBody(): Buffer {
  const items: OrderItem[] = Array.from({ length: 8 }, (_, i) => ({ sku: `SKU-${String(1000 + i * 37)}`, name: `Widget ${i + 1}`, qty: 1 + (i % 3), price: Math.round((4.99 + i * 3.5) * 100) / 100 }));
  const order: Order = {
    customer: { id: "c-10482", name: "Ada Lovelace", email: "ada@example.com", tier: "gold" },
    currency: "EUR",
    items,
    shipping: { method: "express", address: { street: "Unter den Linden 1", city: "Berlin", zip: "10117", country: "DE" } },
    note: "",
  };
  const bare = Buffer.byteLength(JSON.stringify(order));
  order.note = "Please leave the parcel with the neighbour. ".repeat(30).slice(0, Math.max(0, 1024 - bare));
  return Buffer.from(JSON.stringify(order));
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The JSON API's answer to an order (about 1 KiB once serialized); throws on a malformed order. */
export function answerOrder(v: unknown): unknown {
  const o = v as Order;
  if (typeof o !== "object" || o === null || !Array.isArray(o.items)) throw new Error("not an order");
  let subtotal = 0;
  const lines = o.items.map((it) => {
    const lineTotal = round2(it.qty * it.price);
    subtotal += lineTotal;
    return { sku: it.sku, name: it.name, qty: it.qty, unitPrice: it.price, lineTotal, available: true };
  });
  subtotal = round2(subtotal);
  const tax = round2(subtotal * 0.19);
  return {
    orderId: `o-${o.customer.id}-0001`, status: "accepted", customer: o.customer.id, tier: o.customer.tier, currency: o.currency,
    lines, subtotal, tax, total: round2(subtotal + tax),
    shipTo: `${o.shipping.address.city}, ${o.shipping.address.country}`, method: o.shipping.method, eta: "2026-12-03",
    links: { self: "/api/orders/o-c-10482-0001", invoice: "/api/orders/o-c-10482-0001/invoice", track: "/api/orders/o-c-10482-0001/tracking" },
  };
}

export const JSON_PATH = "/api/orders";

/** GET /size/<n>: n bytes of text (cached per size). */
const sized = new Map<number, Buffer>();
export function sizedBody(uri: string): Buffer | undefined {
  if (!uri.startsWith("/size/")) return undefined;
  const n = Number(uri.slice(6));
  if (!Number.isInteger(n) || n < 0 || n > (64 << 20)) return undefined;
  let b = sized.get(n);
  if (b === undefined) { b = Buffer.alloc(n, "0123456789abcdef"); sized.set(n, b); }
  return b;
}
