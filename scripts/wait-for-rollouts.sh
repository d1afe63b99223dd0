#!/usr/bin/env bash
# Before the first test of a study of several cases: waits for the rollout of every case's
# Deployment, which the provider does not await (pulumi.com/skipAwait, components/workload.ts), so
# that no case's pods are still starting, and loading the node, while another case is measured. Each
# wait is rollout-test.sh's own (scripts/rollout-wait.sh: it ends as soon as a container cannot
# start), all of them within one ROLLOUT_TIMEOUT_SECONDS, for the Deployments roll side by side. It
# never fails the update: a Deployment that did not roll out is logged here, and its own test waits
# for it again and fails that case alone, saying why.
# Env: KUBE_CONTEXT, ROLLOUT_TIMEOUT_SECONDS, DEPLOYMENTS (a line per case: its namespace, Deployment
# and pod selector, separated by spaces); tests: POD_START_BOUND_SECONDS (watch-pod-start.ts).
set -euo pipefail

log() { printf '[wait-for-rollouts] %s\n' "$*" >&2; }
# Without them there is no wait; each test then says what is missing.
for tool in kubectl perl; do
  command -v "$tool" >/dev/null || { log "$tool is not on PATH: no wait for the rollouts"; exit 0; }
done

# In a process group of its own, as rollout-test.sh, so that nothing it starts outlives it.
# shellcheck source=scripts/process-group.sh
. "$(dirname "$0")/process-group.sh"
run_in_own_process_group "$@"

: "${KUBE_CONTEXT:?}" "${ROLLOUT_TIMEOUT_SECONDS:?}" "${DEPLOYMENTS:?}"
# shellcheck source=scripts/rollout-wait.sh
. "$(dirname "$0")/rollout-wait.sh"

work=$(mktemp -d)
watchdog_pid=""
cleanup() {
  end_jobs "$watchdog_pid" "$rollout_pid" "$pod_start_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
watch_launcher

deadline=$((SECONDS + ROLLOUT_TIMEOUT_SECONDS))
# Not on stdin, which the waits' kubectl and ts-node could read from.
while read -r NAMESPACE DEPLOYMENT POD_SELECTOR <&3; do
  left=$((deadline - SECONDS))
  if [ "$left" -le 0 ]; then
    log "no time left to wait for deployment/$DEPLOYMENT in $NAMESPACE: its test waits for it"
  elif ROLLOUT_TIMEOUT_SECONDS=$left wait_for_rollout; then
    log "deployment/$DEPLOYMENT in $NAMESPACE rolled out"
  else
    log "deployment/$DEPLOYMENT in $NAMESPACE did not roll out${cannot_start:+: $cannot_start}; its test waits for it again, and fails its case alone"
  fi
done 3<<<"$DEPLOYMENTS"
