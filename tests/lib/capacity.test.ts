import { cpuMilli, memoryMiB, podRequests } from "../../lib/capacity";

test.each([
  ["50m", 50],
  ["0.5", 500],
  ["2", 2000],
  [undefined, 0],
])("cpu %s is %d millicores", (quantity, milli) => {
  expect(cpuMilli(quantity)).toBe(milli);
});

test.each([
  ["32Mi", 32],
  ["1Gi", 1024],
  ["1000M", 1e9 / 2 ** 20],
  [String(2 ** 20), 1],
  [undefined, 0],
])("memory %s is %d MiB", (quantity, mib) => {
  expect(memoryMiB(quantity)).toBeCloseTo(mib as number);
});

test("a pod asks for the sum of its containers' requests", () => {
  const deployment = {
    spec: { template: { spec: { containers: [{ resources: { requests: { cpu: "50m", memory: "32Mi" } } }, { resources: { requests: { cpu: "0.1" } } }, {}] } } },
  };
  expect(podRequests(deployment)).toEqual({ cpuMilli: 150, memoryMiB: 32 });
});
