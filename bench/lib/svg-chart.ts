// A small SVG line chart for the bench's curves: series of (x, y) points over a log x
// axis (1 -> 10,000 connections, 64 B -> 1 MiB), y linear from 0 or logarithmic when the
// values span more than 30x. No dependency; the output is a self-contained <svg> string.

export interface Series { label: string; points: [number, number][]; color?: string }

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** How x values are written on the axis (default: 1k / 1M style). */
  xFormat?: (x: number) => string;
  width?: number;
  height?: number;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** 1234 -> "1.2k", 1048576 -> "1M" (powers of 1000 for counts; callers pass a byte formatter for sizes). */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  const [d, s] = a >= 1e9 ? [1e9, "G"] : a >= 1e6 ? [1e6, "M"] : a >= 1e3 ? [1e3, "k"] : [1, ""];
  const n = v / d;
  return `${Number.isInteger(n) ? n : n.toFixed(n >= 10 ? 0 : 1)}${s}`;
}

/** 64 -> "64 B", 16384 -> "16 KiB", 1048576 -> "1 MiB". */
export function bytesLabel(v: number): string {
  if (v >= 1 << 20) return `${v / (1 << 20)} MiB`;
  if (v >= 1024) return `${v / 1024} KiB`;
  return `${v} B`;
}

/** Round tick values for a linear axis from 0 to max. */
function linearTicks(max: number): number[] {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max * 1.0001 + step; v += step) { ticks.push(v); if (v >= max) break; }
  return ticks;
}

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 560, H = o.height ?? 340;
  const L = 70, R = 20, T = 36, B = 70;
  const pw = W - L - R, ph = H - T - B;
  const pts = o.series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && Number.isFinite(y));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(o.title)}</text>`);
  if (pts.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`);
    return out.join("\n");
  }
  const xs = [...new Set(pts.map(([x]) => x))].sort((a, b) => a - b);
  const lx0 = Math.log10(xs[0]!), lx1 = Math.log10(xs[xs.length - 1]!);
  const X = (x: number): number => L + (lx1 === lx0 ? pw / 2 : ((Math.log10(x) - lx0) / (lx1 - lx0)) * pw);
  const ys = pts.map(([, y]) => y).filter((y) => y > 0);
  const yMax = Math.max(...pts.map(([, y]) => y), 1e-9);
  const yMin = ys.length ? Math.min(...ys) : yMax;
  const logY = yMin > 0 && yMax / yMin > 30;
  let Y: (y: number) => number;
  let yTicks: number[];
  if (logY) {
    const a = Math.floor(Math.log10(yMin)), b = Math.ceil(Math.log10(yMax));
    Y = (y) => T + ph - ((Math.log10(Math.max(y, 10 ** a)) - a) / (b - a || 1)) * ph;
    yTicks = Array.from({ length: b - a + 1 }, (_, i) => 10 ** (a + i));
  } else {
    yTicks = linearTicks(yMax);
    const top = yTicks[yTicks.length - 1]!;
    Y = (y) => T + ph - (y / top) * ph;
  }
  // Grid and axes.
  for (const t of yTicks) {
    const y = Y(t).toFixed(1);
    out.push(`<line x1="${L}" y1="${y}" x2="${L + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${L - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(shortNumber(t))}</text>`);
  }
  const xf = o.xFormat ?? shortNumber;
  for (const x of xs) {
    const px = X(x).toFixed(1);
    out.push(`<line x1="${px}" y1="${T}" x2="${px}" y2="${T + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${px}" y="${T + ph + 16}" text-anchor="middle">${esc(xf(x))}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${L + pw / 2}" y="${T + ph + 34}" text-anchor="middle">${esc(o.xLabel)} (log scale)</text>`);
  out.push(`<text transform="translate(16 ${T + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}${logY ? " (log scale)" : ""}</text>`);
  // Series: a line through the points it has, a dot on each.
  o.series.forEach((s, i) => {
    const c = s.color ?? COLORS[i % COLORS.length]!;
    const p = s.points.filter(([x, y]) => x > 0 && Number.isFinite(y) && (!logY || y > 0));
    if (p.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${p.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ")}"/>`);
    for (const [x, y] of p) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${c}"/>`);
    const lx = L + i * 150, ly = H - 14;
    out.push(`<rect x="${lx}" y="${ly - 8}" width="14" height="4" fill="${c}"/><text x="${lx + 20}" y="${ly - 4}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
