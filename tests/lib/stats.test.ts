import { binomialCdf, failureRateInterval, fisherExactTwoSided, logGamma, per10k } from "../../lib/stats";

describe("logGamma", () => {
  test.each([
    [1, 0],
    [2, 0],
    [5, Math.log(24)],
    [0.5, Math.log(Math.sqrt(Math.PI))],
    [101, 363.73937555556347],
  ])("ln Γ(%d)", (x, expected) => expect(logGamma(x)).toBeCloseTo(expected, 9));
});

describe("binomialCdf", () => {
  test("matches sums done by hand", () => {
    expect(binomialCdf(0, 10, 0.5)).toBeCloseTo(1 / 1024, 12);
    expect(binomialCdf(5, 10, 0.5)).toBeCloseTo(638 / 1024, 12);
    expect(binomialCdf(10, 10, 0.3)).toBe(1);
    expect(binomialCdf(-1, 10, 0.3)).toBe(0);
  });
});

describe("failureRateInterval", () => {
  // R: binom.test(5, 20)$conf.int, binom.test(41, 42845)$conf.int
  test("is Clopper-Pearson's exact interval", () => {
    const { lower, upper } = failureRateInterval(5, 20);
    expect(lower).toBeCloseTo(0.08657147, 7);
    expect(upper).toBeCloseTo(0.49104587, 7);
    const big = failureRateInterval(41, 42845);
    expect(big.rate).toBeCloseTo(41 / 42845, 12);
    expect(big.lower).toBeLessThan(big.rate);
    expect(big.upper).toBeGreaterThan(big.rate);
    // Around 9.6 per 10,000, a few per 10,000 either side.
    expect([per10k(big.lower), per10k(big.upper)].map((x) => Math.round(x * 10) / 10)).toEqual([6.9, 13]);
  });

  test("at no failures, the whole 5 % goes above: 0 of 64,454 is at most about 0.47 per 10,000", () => {
    const none = failureRateInterval(0, 64454);
    expect(none.lower).toBe(0);
    expect(per10k(none.upper)).toBeCloseTo(0.465, 3);
    expect(failureRateInterval(0, 10).upper).toBeCloseTo(1 - Math.pow(0.05, 0.1), 12);
    expect(failureRateInterval(10, 10)).toMatchObject({ rate: 1, upper: 1 });
    expect(failureRateInterval(10, 10).lower).toBeCloseTo(Math.pow(0.05, 0.1), 12);
  });

  test("narrows as requests grow", () => {
    const widths = [100, 10_000, 1_000_000].map((n) => {
      const i = failureRateInterval(n / 100, n);
      return i.upper - i.lower;
    });
    expect(widths[0]).toBeGreaterThan(widths[1]);
    expect(widths[1]).toBeGreaterThan(widths[2]);
  });

  test.each([
    [1, 0],
    [-1, 10],
    [11, 10],
    [0.5, 10],
  ])("refuses %d failures of %d", (failures, requests) => {
    expect(() => failureRateInterval(failures, requests)).toThrow(`no failure rate for ${failures} failures of ${requests} requests`);
  });
});

describe("fisherExactTwoSided", () => {
  // Sums of hypergeometric probabilities with Python's exact math.comb.
  test("matches the test done with exact integers", () => {
    expect(fisherExactTwoSided(1, 10, 9, 10)).toBeCloseTo(0.00109333391, 10);
    expect(fisherExactTwoSided(3, 100, 10, 100)).toBeCloseTo(0.08179405297, 10);
  });

  test("counts every table as likely as the one seen, though rounding makes their logarithms differ", () => {
    // 9 of 10 against 6 of 20: the table with 1 of 10 is exactly as likely (Python's math.comb:
    // 0.00519740129935...); without it 0.0027.
    expect(fisherExactTwoSided(9, 10, 6, 20)).toBeCloseTo(0.0051974012993503, 12);
    expect(fisherExactTwoSided(6, 20, 9, 10)).toBeCloseTo(0.0051974012993503, 12);
  });

  test("gives 1 for the same counts, and is symmetric", () => {
    expect(fisherExactTwoSided(3, 100, 3, 100)).toBeCloseTo(1, 12);
    expect(fisherExactTwoSided(0, 64454, 41, 42845)).toBeCloseTo(fisherExactTwoSided(41, 42845, 0, 64454), 20);
  });

  test("tells a fix that loses nothing from a baseline that loses 41 in 42,845", () => {
    expect(fisherExactTwoSided(0, 64454, 41, 42845)).toBeLessThan(1e-10);
    expect(fisherExactTwoSided(0, 1000, 1, 1000)).toBeCloseTo(1, 9);
  });
});
