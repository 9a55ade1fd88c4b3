// examples/network/*: each program run as a child process against peers on 127.0.0.1:
// Node sockets for the echo servers, dnsmasq for the DNS client (and the system resolver
// for localhost), chronyd and a scripted server for SNTP, a server
// of the library that streams chunks for the streaming client, and a small CONNECT
// proxy built with the library for the proxy client.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as dgram from "node:dgram";
import { MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_READ, type Connection } from "../../src/index.js";
import { startServer, leakCheckAfterAll } from "../helpers.js";
import { Child, examplePath } from "./spawn.js";
import { startChrony } from "../sntp/chrony.js";
import { buildReply, fakeServer } from "../sntp/fake-server.js";
import { startDnsmasq } from "../dns/dnsmasq.js";

async function startListening(name: string, url: string): Promise<{ child: Child; port: number }> {
  const child = new Child(process.execPath, [examplePath(name), url]);
  try {
    const m = await child.waitFor(/listening on \w+:\/\/127\.0\.0\.1:(\d+)/);
    return { child, port: Number(m[1]) };
  } catch (e) {
    await child.stop();
    throw e;
  }
}

test("network/tcp-echo-server echoes what a client sends, in pieces and at once", async () => {
  const { child, port } = await startListening("network/tcp-echo-server", "tcp://127.0.0.1:0");
  try {
    const sock = net.connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    sock.on("data", (d) => got.push(d));
    const payload = Buffer.alloc(200_000, "abc");
    sock.write("hello ");
    sock.write(payload);
    await new Promise<void>((resolve, reject) => {
      sock.on("error", reject);
      sock.on("data", () => { if (Buffer.concat(got).length >= 6 + payload.length) resolve(); });
    });
    assert.ok(Buffer.concat(got).equals(Buffer.concat([Buffer.from("hello "), payload])));
    sock.end();
    await child.waitFor(/closed/);
    assert.match(child.stdout, /client 127\.0\.0\.1:\d+ connected/);
  } finally {
    assert.equal(await child.stop(), 0);
  }
});

test("network/udp-echo-server sends each datagram back to its sender", async () => {
  const { child, port } = await startListening("network/udp-echo-server", "udp://127.0.0.1:0");
  const sock = dgram.createSocket("udp4");
  try {
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    for (const text of ["one", "two two"]) {
      const back = new Promise<Buffer>((resolve) => sock.once("message", (m) => resolve(m)));
      sock.send(Buffer.from(text), port, "127.0.0.1");
      assert.equal((await back).toString(), text);
    }
    assert.match(child.stdout, /3 bytes from 127\.0\.0\.1:\d+/);
  } finally {
    sock.close();
    assert.equal(await child.stop(), 0);
  }
});

test("network/sntp-client prints chronyd's time, then exits 0", async () => {
  const chrony = await startChrony();
  try {
    const child = new Child(process.execPath, [examplePath("network/sntp-client"), `udp://127.0.0.1:${chrony.port}`]);
    assert.equal(await child.exit(), 0, child.stderr);
    const m = /^time (\S+) offset (-?\d+) ms$/m.exec(child.stdout);
    assert.ok(m, child.stdout);
    assert.ok(Math.abs(Date.parse(m[1]!) - Date.now()) < 60_000, "chronyd serves the local clock");
  } finally {
    await chrony.stop();
  }
});

test("network/sntp-client asks again on its interval (a scripted server), and exits 1 without answers", async () => {
  const srv = await fakeServer((req) => [buildReply(req, { transmitMs: Date.UTC(2030, 0, 2, 3, 4, 5) })]);
  try {
    const child = new Child(process.execPath, [examplePath("network/sntp-client"), `udp://127.0.0.1:${srv.port}`, "2", "0.05"]);
    assert.equal(await child.exit(), 0, child.stderr);
    assert.equal(child.stdout.match(/^time 2030-01-02T03:04:0\d\.\d+Z offset \d+ ms$/gm)?.length, 2, child.stdout);
    assert.equal(srv.requests.length, 2);
  } finally {
    await srv.close();
  }
  const silent = await fakeServer(() => []);
  try {
    const child = new Child(process.execPath, [examplePath("network/sntp-client"), `udp://127.0.0.1:${silent.port}`]);
    assert.equal(await child.exit(), 1);
    assert.match(child.stderr, /error:/);
  } finally {
    await silent.close();
  }
});

test("network/dns-client resolves localhost with the system resolver", async () => {
  // /etc/hosts answers localhost: nothing leaves the machine.
  const child = new Child(process.execPath, [examplePath("network/dns-client"), "localhost"]);
  assert.equal(await child.exit(), 0, child.stderr);
  assert.match(child.stdout, /^localhost -> (127\.0\.0\.1|::1 \(IPv6\))$/m);
});

test("network/dns-client asks dnsmasq with --server (own DNS client): A, CNAME, AAAA, and a refused name", async () => {
  const dns = await startDnsmasq();
  try {
    const names = ["host.test.local", "alias.test.local", "host.v6only.local", "nope.invalid"];
    const child = new Child(process.execPath, [examplePath("network/dns-client"), "--server", dns.url, ...names]);
    // nope.invalid is no name of dnsmasq's (it has no upstream): one failure, exit code 1.
    assert.equal(await child.exit(), 1, child.stdout + child.stderr);
    assert.deepEqual(child.stdout.split("\n").filter(Boolean).sort(), [
      "alias.test.local -> 127.0.0.3", // the CNAME's target
      "host.test.local -> 127.0.0.1",
      "host.v6only.local -> ::1 (IPv6)", // no A record: AAAA
    ]);
    assert.match(child.stderr, /^error: nope\.invalid: /m);
  } finally {
    await dns.stop();
  }
});

test("network/http-stream-client prints each chunk before the next one is sent", async () => {
  let stream: Connection | undefined;
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      c.reply(200, "", { "Transfer-Encoding": "chunked" });
      c.httpChunk("first piece");
      stream = c;
    }
  });
  try {
    const child = new Child(process.execPath, [examplePath("network/http-stream-client"), `http://127.0.0.1:${srv.port}/stream`]);
    // The second chunk goes out only once the first one was printed: it cannot be buffered.
    await child.waitFor(/^chunk: first piece$/m);
    stream!.httpChunk("second piece");
    await child.waitFor(/^chunk: second piece$/m);
    stream!.httpChunk("");
    assert.equal(await child.exit(), 0, child.stderr);
    assert.equal(child.stdout, "status 200\nchunk: first piece\nchunk: second piece\nend of stream\n");
  } finally {
    await srv.stop();
  }
});

test("network/http-proxy-client tunnels a GET through a CONNECT proxy made with the library", async () => {
  const target = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.reply(200, `hello through the tunnel, you asked for ${data.uri} of ${data.header("Host")}`);
  });
  const connects: string[] = [];
  // The proxy: CONNECT host:port -> a TCP connection to it, then bytes both ways.
  const peers = new Map<Connection, Connection>();
  const proxy = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG && data.method === "CONNECT") {
      connects.push(data.uri);
      const up = c.manager.connect(`tcp://${data.uri}`, (u, uev) => {
        if (uev === MG_EV_READ) { c.send(u.recvData()); u.recvConsume(); }
        else if (uev === MG_EV_CLOSE) c.drain();
      });
      peers.set(c, up);
      c.reply(200, "", { "Content-Length": "0" });
    } else if (ev === MG_EV_READ && !c.isListening) {
      peers.get(c)?.send(c.recvData());
      c.recvConsume();
    } else if (ev === MG_EV_CLOSE) {
      peers.get(c)?.close();
      peers.delete(c);
    }
  });
  try {
    const child = new Child(process.execPath, [examplePath("network/http-proxy-client"), `http://127.0.0.1:${proxy.port}`, `http://127.0.0.1:${target.port}/secret`]);
    assert.equal(await child.exit(), 0, child.stdout + child.stderr);
    assert.deepEqual(connects, [`127.0.0.1:${target.port}`]);
    assert.match(child.stdout, /^proxy answered HTTP\/1\.1 200 /m);
    assert.match(child.stdout, /HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello through the tunnel, you asked for \/secret of 127\.0\.0\.1:\d+/);
  } finally {
    await proxy.stop();
    await target.stop();
  }
});

leakCheckAfterAll();
