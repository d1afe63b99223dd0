// Local servers that misbehave on request, standing in for pods that die mid-rollout. Every one
// listens on 127.0.0.1 only.
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import { AddressInfo } from "net";

/**
 * What the server does with a request while a fault is on:
 * - reset: resets the connection (RST) before any response header;
 * - closeBeforeHeader: closes it (FIN) before any response header, as a proxy that exits after
 *   its drain does; siege counts the request as failed and prints no line for it;
 * - resetAfterHeader: sends the response header and part of the body, then resets: siege prints
 *   a reset line, yet counts the request as successful;
 * - garbledStatus: answers with a status line that holds no status code, and closes;
 * - 502, 408: answers with that status.
 */
export type Fault = "reset" | "closeBeforeHeader" | "resetAfterHeader" | "garbledStatus" | "502" | "408";

export interface FlakyServer {
  url: string;
  /** Every `every`-th request meets `fault` until `stop()`; 1 makes all of them fail. */
  fail(fault: Fault, every?: number): void;
  /** Requests meet these in turn, over and over; `ok` answers normally. */
  rotate(turns: (Fault | "ok")[]): void;
  healthy(): void;
  /**
   * Answers the next `count` requests only `seconds` after they came, as pods slow to take a burst of
   * new connections do (each still meets what it would have met when it came).
   */
  holdNext(count: number, seconds: number): void;
  /**
   * While this file exists, every request meets `fault`: a fake kubectl that knows nothing of this
   * process can cause an outage by creating it.
   */
  faultFile?: string;
  /**
   * An outage by count instead: a request for /outage/<n> (the fake kubectl's restart with
   * FAKE_OUTAGE_REQUESTS) marks its moment in the stream of requests, which the server answers in
   * the order they came, and the n requests after it meet `fileFault`. This is how many of them are
   * still to come.
   */
  readonly outageLeft: number;
  /** The requests it has received since it started (an outage's marker not counted). */
  readonly received: number;
  close(): Promise<void>;
}

const page = "<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>\n";

/** keepAlive: answers keep their connection open, as nginx and Envoy do; else each answer closes it. */
export async function startFlakyServer(options: { faultFile?: string; fileFault?: Fault; keepAlive?: boolean } = {}): Promise<FlakyServer> {
  let turns: (Fault | "ok")[] = [];
  let every = 1;
  let count = 0;
  let outageLeft = 0;
  let received = 0;
  let toHold = 0;
  let holdMs = 0;
  const server = http.createServer((request, response) => {
    const marker = request.url?.match(/^\/outage\/(\d+)$/);
    if (marker) {
      outageLeft = Number(marker[1]);
      response.writeHead(200, { "content-type": "text/plain", connection: "close" });
      response.end(`outage of ${outageLeft} requests\n`);
      return;
    }
    count += 1;
    received += 1;
    const turn = turns.length > 0 && count % every === 0 ? turns[Math.floor(count / every - 1) % turns.length] : "ok";
    // A loaded machine can leave this server seconds behind its requests: an outage by count meets the
    // requests sent after its marker, however late they are answered; one by the fault file, those
    // the server takes up while it exists, whenever they were sent. Either way a request's fate is
    // set here, when it is taken up, even if its answer is held (holdNext).
    const counted = outageLeft > 0;
    if (counted) outageLeft -= 1;
    const active = counted || (options.faultFile && fs.existsSync(options.faultFile)) ? (options.fileFault ?? "reset") : turn;
    if (toHold > 0) {
      toHold -= 1;
      setTimeout(() => answer(request, response, active), holdMs);
      return;
    }
    answer(request, response, active);
  });
  const answer = (request: http.IncomingMessage, response: http.ServerResponse, active: Fault | "ok") => {
    if (active === "reset") {
      request.socket.resetAndDestroy();
      return;
    }
    if (active === "closeBeforeHeader") {
      request.socket.end();
      return;
    }
    if (active === "garbledStatus") {
      request.socket.end("HTTP/1.1 abc garbled\r\n\r\n");
      return;
    }
    if (active === "resetAfterHeader") {
      request.socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n<!DOCTYPE html>");
      // Long enough for the header to be sent before the reset, on a loaded machine too.
      setTimeout(() => request.socket.resetAndDestroy(), 50);
      return;
    }
    const status = active === "502" ? 502 : active === "408" ? 408 : 200;
    const body = status === 200 ? page : `${http.STATUS_CODES[status]}\n`;
    // A length, not chunks: siege reads a kept-alive answer to its declared end.
    response.writeHead(status, {
      "content-type": "text/html",
      "content-length": Buffer.byteLength(body),
      ...(options.keepAlive ? {} : { connection: "close" }),
    });
    response.end(body);
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    faultFile: options.faultFile,
    get outageLeft() {
      return outageLeft;
    },
    get received() {
      return received;
    },
    fail(kind, n = 1) {
      turns = [kind];
      every = n;
      count = 0;
    },
    rotate(next) {
      turns = next;
      every = 1;
      count = 0;
    },
    healthy() {
      turns = [];
    },
    holdNext(count, seconds) {
      toHold = count;
      holdMs = seconds * 1000;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 whose port nothing listens on (it did a moment ago): connects are refused. */
export async function refusedUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

export interface UnacceptingListener {
  url: string;
  close(): Promise<void>;
}

/**
 * A socket on 127.0.0.1 that listens but never accepts, its accept queue filled by connections of
 * our own: the kernel drops every further SYN, so every connect to it times out. The listener is a
 * child process that blocks its only thread once listening (a Node server in this process would
 * accept everything).
 */
export async function startUnacceptingListener(): Promise<UnacceptingListener> {
  const code = [
    "const server = require('net').createServer();",
    "server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {",
    "  process.stdout.write(server.address().port + '\\n');",
    "  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300000);",
    "  process.exit(0);",
    "});",
  ].join("\n");
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.on("exit", (status) => reject(new Error(`the listener exited with ${status} before listening`)));
  });
  // Connections the kernel completes into the queue until it is full: the next one hangs.
  const held: net.Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const socket = net.connect(port, "127.0.0.1");
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 500);
      socket.once("connect", () => (clearTimeout(timer), resolve(true)));
      socket.once("error", () => (clearTimeout(timer), resolve(false)));
    });
    if (!connected) {
      socket.destroy();
      break;
    }
    held.push(socket);
  }
  if (held.length === 0 || held.length === 16) {
    child.kill("SIGKILL");
    throw new Error(`could not fill the listener's queue (${held.length} connections)`);
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      for (const socket of held) socket.destroy();
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}
