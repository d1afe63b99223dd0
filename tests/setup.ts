// Every test file reads minikube's profiles from a folder of its own, never the user's ~/.minikube:
// the program looks at its profile's mark before anything else (lib/minikubeProfile.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const minikubeHome = fs.mkdtempSync(path.join(os.tmpdir(), "minikube-home-"));
process.env.MINIKUBE_HOME = minikubeHome;
afterAll(() => fs.rmSync(minikubeHome, { recursive: true, force: true }));
