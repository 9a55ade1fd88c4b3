// Topic filters (MQTT 3.1.1 section 4.7, 5.0 section 4.7): levels separated by "/",
// "+" matches one level, "#" (last) matches the rest, including the parent level.
// Wildcards at the first level do not match topics that start with "$" (4.7.2).

/** A filter MQTT accepts: "+" and "#" stand alone in their level, "#" only last. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes("#") && (l !== "#" || i !== levels.length - 1)) return false;
    if (l.includes("+") && l !== "+") return false;
  }
  return true;
}

/** Does `topic` (a topic name) match `filter` (a valid filter)? */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === 0x24 /* $ */ && (filter.charCodeAt(0) === 0x2b || filter.charCodeAt(0) === 0x23)) return false;
  let f = 0, t = 0;
  const fl = filter.length, tl = topic.length;
  for (;;) {
    // Compare one level: filter[f..] against topic[t..].
    if (f < fl && filter.charCodeAt(f) === 0x23 /* # */) return true;
    const fEnd = nextSlash(filter, f), tEnd = nextSlash(topic, t);
    if (!(fEnd - f === 1 && filter.charCodeAt(f) === 0x2b /* + */)) {
      if (fEnd - f !== tEnd - t || filter.slice(f, fEnd) !== topic.slice(t, tEnd)) return false;
    }
    const fDone = fEnd >= fl, tDone = tEnd >= tl;
    if (fDone && tDone) return true;
    if (tDone) {
      // "a/#" matches "a": the rest of the filter is exactly "/#".
      return fEnd + 2 === fl && filter.charCodeAt(fEnd + 1) === 0x23;
    }
    if (fDone) return false;
    f = fEnd + 1;
    t = tEnd + 1;
  }
}

function nextSlash(s: string, from: number): number {
  const i = s.indexOf("/", from);
  return i < 0 ? s.length : i;
}
