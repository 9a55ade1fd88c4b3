// How cost grows with work: a curve measures ours and one peer at several points of one
// parameter (connections, body size, subscribers), each point a short run (throughput
// and p99 latency), and is written as a table and as an SVG chart. Each side's server is
// started once per curve (alone, in its own process, as for the scenarios), probed, warmed
// up once, then loaded at every point in turn.
import type { Fixtures, Measurement, Side } from "./types.js";
import { startServer } from "./child.js";
import { lineChart } from "./svg-chart.js";
import { fmtValue } from "./report.js";

export interface PreparedCurve {
  ours: Side;
  peer: Side;
  probe(port: number): Promise<void>;
  load(port: number, x: number, seconds: number): Promise<Measurement>;
}

export interface Curve {
  /** Id for BENCH_ONLY, also the chart's file name (docs/bench-<id>.svg). */
  id: string;
  title: string;
  /** The parameter, as the x axis says it ("connections", "response body"). */
  axis: string;
  points: number[];
  /** How a point is written (table and axis). */
  xFormat(x: number): string;
  unit: string;
  needs: string[];
  /** Measured seconds at a point, from the base setting (more where connecting takes long). */
  secondsAt?(x: number, base: number): number;
  prepare(fx: Fixtures): Promise<PreparedCurve>;
}

export interface CurvePoint { x: number; value?: number; p99ms?: number; error?: string; detail?: string; none?: boolean }

/** What a load reports when nothing completed in time: too slow at this point, not a wrong answer. */
const NOTHING_DONE = /^(no message reached every subscriber|no responses|no round trip completed|no echo came back)$/;
export interface CurveSideResult { label: string; points: CurvePoint[]; na?: string }
export interface CurveResult { curve: Curve; sides: CurveSideResult[]; na?: string }

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}

export async function runCurve(curve: Curve, fx: Fixtures, seconds: number, warmup: number): Promise<CurveResult> {
  console.log(`\n## curve: ${curve.title} [${curve.id}]`);
  let p: PreparedCurve;
  try {
    p = await curve.prepare(fx);
  } catch (e) {
    console.log(`  n/a (${message(e)})`);
    return { curve, sides: [], na: message(e) };
  }
  const result: CurveResult = { curve, sides: [] };
  for (const side of [p.ours, p.peer]) {
    const res: CurveSideResult = { label: side.label, points: [] };
    result.sides.push(res);
    let server;
    try {
      server = await startServer(side.server);
    } catch (e) {
      res.na = message(e);
      console.log(`  ${side.label}: n/a (${res.na})`);
      continue;
    }
    try {
      try {
        await p.probe(server.port);
      } catch (e) {
        res.na = `probe: ${message(e)}`;
        console.log(`  ${side.label}: n/a (${res.na})`);
        continue;
      }
      if (warmup > 0) await p.load(server.port, curve.points[Math.floor(curve.points.length / 2)]!, warmup).catch(() => undefined);
      for (const x of curve.points) {
        const pt: CurvePoint = { x };
        try {
          const m = await p.load(server.port, x, curve.secondsAt?.(x, seconds) ?? seconds);
          if (m.errors.length > 0 && m.errors.every((e) => NOTHING_DONE.test(e))) pt.none = true;
          else if (m.errors.length > 0) pt.error = m.errors.join("; ");
          else { pt.value = m.value; if (m.p99ms !== undefined && Number.isFinite(m.p99ms)) pt.p99ms = m.p99ms; }
          pt.detail = m.detail;
        } catch (e) {
          pt.error = message(e);
        }
        res.points.push(pt);
        const shown = pt.error !== undefined ? `FAIL (${pt.error})` : pt.none === true ? "nothing completed in the time given" : `${fmtValue(pt.value!, curve.unit)}, p99 ${pt.p99ms?.toFixed(2) ?? "–"} ms`;
        console.log(`  ${side.label.padEnd(10)} ${curve.axis} ${curve.xFormat(x).padStart(8)}: ${shown}`);
      }
    } finally {
      await server.stop();
    }
  }
  return result;
}

/** A point that answered wrongly: the bench exits non-zero, as for scenarios. */
export function curveFailed(r: CurveResult): boolean {
  return r.sides.some((s) => s.points.some((p) => p.error !== undefined));
}

export function curveTable(r: CurveResult): string {
  const c = r.curve;
  if (r.na !== undefined) return `n/a (${r.na})`;
  const [o, q] = [r.sides[0], r.sides[1]];
  const lo = o?.label ?? "tsmongoose", lq = q?.label ?? "peer";
  const head = `| ${c.axis} | ${lo} | ${lq} | ratio | ${lo} p99 | ${lq} p99 |\n|---:|---:|---:|---:|---:|---:|`;
  const val = (pt: CurvePoint | undefined, na: string | undefined): string =>
    na !== undefined ? "n/a" : pt === undefined ? "–" : pt.error !== undefined ? `FAIL: ${pt.error.replace(/\|/g, "\\|")}`
      : pt.none === true ? "none completed" : fmtValue(pt.value!, c.unit);
  const p99 = (pt: CurvePoint | undefined): string => (pt?.p99ms !== undefined ? `${pt.p99ms.toFixed(2)} ms` : "–");
  const lines = c.points.map((x, i) => {
    const a = o?.points[i], b = q?.points[i];
    const ratio = a?.value !== undefined && b?.value !== undefined && b.value > 0 ? `${(a.value / b.value).toFixed(2)}x` : "–";
    return `| ${c.xFormat(x)} | ${val(a, o?.na)} | ${val(b, q?.na)} | ${ratio} | ${p99(a)} | ${p99(b)} |`;
  });
  return [head, ...lines].join("\n");
}

/** Two charts side by side in one SVG: throughput and p99 latency against the parameter. */
export function curveSvg(r: CurveResult): string {
  const c = r.curve;
  const series = (f: (p: CurvePoint) => number | undefined) => r.sides.map((s) => ({
    label: s.label,
    points: s.points.flatMap((p): [number, number][] => { const y = f(p); return y === undefined ? [] : [[p.x, y]]; }),
  }));
  const w = 560;
  const left = lineChart({ title: `${c.unit} vs ${c.axis}`, xLabel: c.axis, yLabel: c.unit, series: series((p) => p.value), xFormat: c.xFormat, width: w });
  const right = lineChart({ title: `p99 latency vs ${c.axis}`, xLabel: c.axis, yLabel: "p99 latency, ms", series: series((p) => p.p99ms), xFormat: c.xFormat, width: w });
  const inner = (svg: string, dx: number): string => svg.replace(/^<svg [^>]*>/, `<g transform="translate(${dx} 24)">`).replace(/<\/svg>$/, "</g>");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * w}" height="364" viewBox="0 0 ${2 * w} 364" font-family="sans-serif">`,
    `<rect width="${2 * w}" height="364" fill="white"/>`,
    `<text x="${w}" y="16" text-anchor="middle" font-size="14" font-weight="bold">${c.title.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</text>`,
    inner(left, 0), inner(right, w), "</svg>",
  ].join("\n");
}
