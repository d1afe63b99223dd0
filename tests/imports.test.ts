// The house's floors: imports run one way (index → components → config → lib), with no circle
// between files, and no product file grows past 300 lines.
import * as fs from "fs";
import * as path from "path";

const projectDir = path.resolve(__dirname, "..");
const floors = ["lib", "config", "components", "."];
const sources = ["index.ts", ...["components", "config", "lib", "scripts"].flatMap((dir) => fs.readdirSync(path.join(projectDir, dir)).filter((f) => f.endsWith(".ts")).map((f) => `${dir}/${f}`))];

function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(projectDir, file), "utf8");
  // Every form: `import … from`, `export … from`, a bare `import "…"` and `require("…")`.
  return [...text.matchAll(/(?:from|import|require\()\s*"(\.[^"]+)"/g)].map((m) => path.normalize(path.join(path.dirname(file), m[1])) + ".ts").filter((f) => sources.includes(f));
}

test("no import circle between files", () => {
  const circles: string[] = [];
  const visit = (file: string, trail: string[]) => {
    if (trail.includes(file)) return void circles.push([...trail.slice(trail.indexOf(file)), file].join(" → "));
    for (const next of importsOf(file)) visit(next, [...trail, file]);
  };
  for (const file of sources) visit(file, []);
  expect(circles).toEqual([]);
});

test("imports run down the floors: lib imports no config, components or index; config no components", () => {
  const floorOf = (file: string) => floors.indexOf(path.dirname(file) === "scripts" ? "." : path.dirname(file));
  const upward = sources.flatMap((file) => importsOf(file).filter((target) => floorOf(target) > floorOf(file)).map((target) => `${file} → ${target}`));
  expect(upward).toEqual([]);
});

test("no product file is over 300 lines", () => {
  // Every file of the product's folders, however deep, but tests and Go's generated module lists.
  const walk = (entry: string): string[] =>
    fs.statSync(path.join(projectDir, entry)).isDirectory() ? fs.readdirSync(path.join(projectDir, entry)).flatMap((f) => walk(`${entry}/${f}`)) : [entry];
  const files = ["index.ts", ...["components", "config", "lib", "scripts", "engine"].flatMap(walk)].filter((f) => !/(_test\.go|\/go\.(sum|mod))$/.test(f));
  const long = files.map((f) => [f, fs.readFileSync(path.join(projectDir, f), "utf8").split("\n").length] as const).filter(([, lines]) => lines > 300);
  expect(files.length).toBeGreaterThan(60);
  expect(long).toEqual([]);
});
