/**
 * Pulumi name of a case's resource: the single case keeps the plain name (`demo-site`, `rollout`),
 * a case of `cases` adds its name, and a repeated test its number from the second on.
 */
export function caseResourceName(base: string, caseName: string, repeat = 1): string {
  return [base, caseName, repeat > 1 ? String(repeat) : ""].filter(Boolean).join("-");
}
