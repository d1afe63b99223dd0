import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const fakeCluster = path.resolve(__dirname, "fake-cluster");

/** Runs `body` with the fake kubectl first on PATH, playing a cluster whose istio-system holds `istio`. */
export function withFakeIstio<T>(istio: string, body: () => T): T {
  const saved = { ...process.env };
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "fake-istio-"));
  Object.assign(process.env, {
    PATH: `${fakeCluster}:${process.env.PATH}`,
    FAKE_STATE: state,
    FAKE_FAULT_FILE: path.join(state, "outage"),
    FAKE_ISTIO: istio,
  });
  try {
    return body();
  } finally {
    process.env = saved;
    fs.rmSync(state, { recursive: true, force: true });
  }
}
