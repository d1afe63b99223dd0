import { RolloutMeasurement } from "./rolloutOutput";

/** The setting a case was measured under, as a person names it. */
export interface CaseLabel {
  injection: boolean;
  variant: string;
  mesh?: string;
}

/**
 * One line a person reads, e.g.
 * `injection=true variant=hook sidecar=classic: 99.98 % available, 26 of 127705 requests failed`.
 * The sidecar is the one the test found on the pods, not the one asked for.
 */
export function summaryLine(label: CaseLabel, measurement: RolloutMeasurement): string {
  // The seed's setting names; the mesh is named only when it is not the seed's sidecar mesh.
  const mesh = label.mesh && label.mesh !== "sidecar" ? `mesh=${label.mesh} ` : "";
  const setting = `${mesh}injection=${label.injection} variant=${label.variant} sidecar=${measurement.sidecar}`;
  if (measurement.status === "failed" || !measurement.report) return `${setting}: FAILED, ${measurement.reason}`;
  const { availability, transactions, failedTransactions } = measurement.report;
  return `${setting}: ${availability.toFixed(2)} % available, ${failedTransactions} of ${transactions + failedTransactions} requests failed`;
}
