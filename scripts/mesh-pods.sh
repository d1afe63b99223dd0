# What Istio did to the pods of the Deployment under test, sourced by scripts/rollout-test.sh, whose
# `kube` and $work it uses.
#   read_pod_mesh  reads the pods, and sets sidecar to what they run
# Env: POD_SELECTOR.
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # work is rollout-test.sh's, which reports sidecar

# Each pod of the Deployment, a line: its name, deletionTimestamp, ambient.istio.io/redirection and
# sidecar.istio.io/status, tab-separated, into $work/pod-mesh. Then sidecar is the pods' one mode, or
# mixed, or nothing when there is no pod: the sidecar each runs, as Istio's injector recorded it
# (sidecar.istio.io/status): istio-proxy among the injected init containers is a native sidecar,
# among the containers a classic one; not the containers' names, for the lab itself declares an
# istio-proxy container for the injector to merge. A pod being deleted is left out: it is leaving
# (an old pod the rollout's wait no longer counts), and is not what the test measures.
read_pod_mesh() {
  kube get pods --selector "$POD_SELECTOR" -o 'jsonpath={range .items[*]}{.metadata.name}{"\t"}{.metadata.deletionTimestamp}{"\t"}{.metadata.annotations.ambient\.istio\.io/redirection}{"\t"}{.metadata.annotations.sidecar\.istio\.io/status}{"\n"}{end}' \
    >"$work/pod-mesh" || return 1
  sidecar=$(perl -ne 'chomp; my ($name, $deleted, $redirection, $status) = split /\t/, $_, -1;
    next if $name eq "" || $deleted ne "";
    $modes{$status =~ /"initContainers":\[[^\]]*"istio-proxy"/ ? "native" : $status =~ /"containers":\[[^\]]*"istio-proxy"/ ? "classic" : "none"} = 1;
    END { my @m = keys %modes; print @m > 1 ? "mixed" : @m }' "$work/pod-mesh")
}
