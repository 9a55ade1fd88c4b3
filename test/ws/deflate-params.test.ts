// permessage-deflate parameters (RFC 7692 section 7.1): the grammar, row by row, for
// the server's view of an offer and the client's view of the answer.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { serverNegotiate, clientAccept } from "../../src/ws/deflate.js";
import { leakCheckAfterAll } from "../helpers.js";

const EXT = "permessage-deflate";

// [offer parameters, the server's answer or undefined when the offer is declined]
const offers: [string, string | undefined][] = [
  ["", EXT],
  ["; server_max_window_bits=8", `${EXT}; server_max_window_bits=8`],
  ["; server_max_window_bits=9", `${EXT}; server_max_window_bits=9`],
  ["; server_max_window_bits=15", `${EXT}; server_max_window_bits=15`],
  ['; server_max_window_bits="10"', `${EXT}; server_max_window_bits=10`],
  ["; server_max_window_bits=09", undefined], // leading zero (7.1.2.1)
  ["; server_max_window_bits=010", undefined],
  ['; server_max_window_bits="09"', undefined],
  ["; server_max_window_bits=7", undefined],
  ["; server_max_window_bits=16", undefined],
  ["; server_max_window_bits=0", undefined],
  ["; server_max_window_bits=1e1", undefined],
  ["; server_max_window_bits=+9", undefined],
  ["; server_max_window_bits", undefined], // a value is required
  ["; server_max_window_bits=", undefined],
  ["; client_max_window_bits", EXT], // value-less is allowed in an offer (7.1.2.2)
  ["; client_max_window_bits=09", undefined],
  ["; client_max_window_bits=12", `${EXT}; client_max_window_bits=12`],
  ["; client_max_window_bits; client_max_window_bits", undefined], // duplicate
  ["; server_max_window_bits=10; server_max_window_bits=10", undefined],
  ["; server_no_context_takeover", `${EXT}; server_no_context_takeover`],
  ["; server_no_context_takeover=true", undefined], // no value allowed (7.1.1.1)
  ["; client_no_context_takeover", `${EXT}; client_no_context_takeover`],
  ['; client_no_context_takeover=""', undefined],
  ["; client_no_context_takeover; client_no_context_takeover", undefined],
  ["; unknown_param", undefined], // unknown parameters are declined (7.1)
  ["; x=1", undefined],
];

// [answer parameters, agreed window bits of our compressor or the error it is refused with]
const answers: [string, number | RegExp][] = [
  ["", 15],
  ["; client_max_window_bits=9", 9],
  ["; client_max_window_bits=09", /client_max_window_bits/],
  ["; client_max_window_bits", /client_max_window_bits/], // the answer must carry a value
  ["; server_max_window_bits=09", /server_max_window_bits/],
  ["; server_max_window_bits=12", 15],
  ["; server_no_context_takeover; server_no_context_takeover", /repeated/],
  ["; server_no_context_takeover=1", /server_no_context_takeover/],
  ["; client_no_context_takeover", 15],
  ["; whatever", /unknown/],
];

describe("RFC 7692 parameter grammar", () => {
  for (const [params, want] of offers) {
    it(`server, offer "${EXT}${params}"`, () => {
      const r = serverNegotiate([EXT + params], {});
      assert.equal(r?.[0], want);
    });
  }
  for (const [params, want] of answers) {
    it(`client, answer "${EXT}${params}"`, () => {
      const r = clientAccept([EXT + params], {});
      if (typeof want === "number") assert.equal(typeof r === "object" ? r.sendWindowBits : r, want);
      else assert.match(String(r), want);
    });
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
