# What Istio did to the pods of the Deployment under test, sourced by scripts/rollout-test.sh, whose
# `kube` and $work it uses.
#   read_pod_mesh      reads the pods, and sets sidecar to what they run
#   ambient_unenrolled prints the pods read that are not fully in the ambient mesh, nothing if all are
# Env: POD_SELECTOR.
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # work is rollout-test.sh's, which reports sidecar

# Each pod of the Deployment, a line: its name, deletionTimestamp, ambient.istio.io/redirection and
# sidecar.istio.io/status, tab-separated, into $work/pod-mesh. Then sidecar is the pods' one mode, or
# mixed, or nothing when there is no pod. A pod's mode: the sidecar it runs, as Istio's injector
# recorded it (sidecar.istio.io/status): istio-proxy among the injected init containers is a native
# sidecar, among the containers a classic one (not the containers' names, for the lab itself
# declares an istio-proxy container for the injector to merge); else ambient if fully enrolled
# (ambient_unenrolled), else none. A pod being deleted is left out: it is leaving (an old pod the
# rollout's wait no longer counts; Istio's CNI agent takes its ambient mark off once it has ended:
# reconcilePod in Istio's cni/pkg/nodeagent/informers.go, at the version below), and is not what the
# test measures.
read_pod_mesh() {
  kube get pods --selector "$POD_SELECTOR" -o 'jsonpath={range .items[*]}{.metadata.name}{"\t"}{.metadata.deletionTimestamp}{"\t"}{.metadata.annotations.ambient\.istio\.io/redirection}{"\t"}{.metadata.annotations.sidecar\.istio\.io/status}{"\n"}{end}' \
    >"$work/pod-mesh" || return 1
  sidecar=$(perl -ne 'chomp; my ($name, $deleted, $redirection, $status) = split /\t/, $_, -1;
    next if $name eq "" || $deleted ne "";
    $modes{$status =~ /"initContainers":\[[^\]]*"istio-proxy"/ ? "native" : $status =~ /"containers":\[[^\]]*"istio-proxy"/ ? "classic"
      : $redirection eq "enabled" ? "ambient" : "none"} = 1;
    END { my @m = keys %modes; print @m > 1 ? "mixed" : @m }' "$work/pod-mesh")
}

# A pod is in the ambient mesh only once Istio's CNI node agent has redirected its traffic and
# handed it to ztunnel, and it marks the pod so as the last step: ambient.istio.io/redirection
# "enabled" is fully enrolled, "pending" redirected with ztunnel not reached (istio.io/istio at the
# pinned v0.0.0-20260827124520-eed52ebb66ad: cni/pkg/util/podutil.go, PodFullyEnrolled and
# PodPartiallyEnrolled; the marks set in cni/pkg/nodeagent/meshdataplane_linux.go, AddPodToMesh).
# No mark: the agent has not enrolled the pod at all (none runs on its node, say). A pod read by
# read_pod_mesh, not being deleted, and not fully enrolled is listed, with its mark.
ambient_unenrolled() {
  perl -ne 'chomp; my ($name, $deleted, $redirection) = split /\t/, $_, -1;
    next if $name eq "" || $deleted ne "" || $redirection eq "enabled";
    push @pods, $redirection eq "" ? "$name has no mark" : "$name is marked $redirection";
    END { print join(", ", @pods) }' "$work/pod-mesh"
}
