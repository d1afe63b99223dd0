// A local HTTP server that misbehaves on request, standing in for pods that die mid-rollout.
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";

/** What the server does with each request while a fault is on. */
export type Fault = "reset" | "502" | "408";

export interface FlakyServer {
  url: string;
  /** Every `every`-th request meets `fault` until `stop()`; 1 makes all of them fail. */
  fail(fault: Fault, every?: number): void;
  healthy(): void;
  /**
   * While this file exists, every request meets `fault`: a fake kubectl that knows nothing of this
   * process can cause an outage by creating it.
   */
  faultFile?: string;
  close(): Promise<void>;
}

const page = "<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>\n";

export async function startFlakyServer(options: { faultFile?: string; fileFault?: Fault } = {}): Promise<FlakyServer> {
  let fault: Fault | undefined;
  let every = 1;
  let count = 0;
  const server = http.createServer((request, response) => {
    count += 1;
    const active =
      options.faultFile && fs.existsSync(options.faultFile) ? (options.fileFault ?? "reset") : fault && count % every === 0 ? fault : undefined;
    if (active === "reset") {
      request.socket.resetAndDestroy();
      return;
    }
    const status = active === "502" ? 502 : active === "408" ? 408 : 200;
    response.writeHead(status, { "content-type": "text/html", connection: "close" });
    response.end(status === 200 ? page : `${http.STATUS_CODES[status]}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    faultFile: options.faultFile,
    fail(kind, n = 1) {
      fault = kind;
      every = n;
    },
    healthy() {
      fault = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
