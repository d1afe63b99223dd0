#!/usr/bin/env bash
# The lab's own minikube profile, and the mark that says whose it is (components/cluster.ts,
# lib/minikubeProfile.ts):
#   probe   prints what PROFILE is: `profile=absent`, `profile=unmarked` (a profile the lab did not
#           make), or `profile=marked` and the mark's lines (stack, generation, identity, state)
#   token   prints the stack's proof of ownership, kept in its state: the one it holds (on an update
#           of the token's resource), else a new random one
#   start   builds PROFILE as CLUSTER_IDENTITY, or resumes it when it is this stack's cluster of that
#           generation; prints the id of this instance of the cluster resource
#   delete  deletes PROFILE if this instance still holds it (or no instance does)
#   vacate  marks PROFILE as being deleted, if it is this stack's cluster of CLUSTER_GENERATION: run
#           first in a destroy, before the engine forgets what the cluster holds
#   sweep   deletes every profile the stack's token marks: run as the token's resource goes, last in
#           a destroy, when no cluster resource of the stack is left to hold one (a first build that
#           failed once minikube had made the cluster, a new cluster the engine never recorded)
#   owned   prints the profiles whose mark names STACK, one a line
# The mark is a file in the profile's own folder, which minikube keeps through stop, start and
# restarts and removes with the profile: a profile deleted by hand leaves no mark behind. It names
# the stack (its fully qualified name, for people) and holds the stack's token (for this script:
# two states may have stacks of the same name), the instance of the cluster resource that holds the
# profile (after `pulumi up --replace`, the new one; the old one's delete then leaves the profile
# alone), the generation the program named that resource after, the identity it was built as, and
# whether it is building, built or being deleted.
# A profile of this home is its folder; a cluster is also a container in the docker (or podman)
# daemon, named after the profile alone, which every minikube home using that daemon sees (another
# user, a CI job given the host's docker socket, a shell with another MINIKUBE_HOME), and which
# minikube's start and delete remove as abandoned when this home has no profile of that name: such
# a container is refused, never left to minikube.
# Env: PROFILE (owned and sweep: STACK only); start and delete: KUBERNETES_VERSION, CPUS, MEMORY_MIB, DRIVER (empty: minikube
# chooses), STACK, STACK_TOKEN, CLUSTER_GENERATION, CLUSTER_IDENTITY, and PULUMI_COMMAND_STDOUT (the
# provider's: what this resource's create printed, i.e. its instance id); vacate: STACK_TOKEN,
# CLUSTER_GENERATION; token and sweep: PULUMI_COMMAND_STDOUT (the token).
set -euo pipefail

verb=${1:-}
case "$verb" in
  probe | token | start | delete | vacate | sweep | owned) ;;
  *) echo "usage: minikube-cluster.sh probe|token|start|delete|vacate|sweep|owned" >&2; exit 64 ;;
esac
if [ "$verb" = token ]; then
  # An update of the token's resource (new inputs) keeps the token: a new one would make the stack's
  # clusters another state's until each proved itself by its instance.
  kept=${PULUMI_COMMAND_STDOUT:-}
  kept=${kept//[^0-9a-f]/}
  if [ -n "$kept" ]; then
    printf '%s\n' "$kept"
  else
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
    echo
  fi
  exit 0
fi

# Where minikube keeps its profiles (localpath.MiniPath in minikube's source).
minikube_home() {
  if [ -z "${MINIKUBE_HOME:-}" ]; then
    printf '%s\n' "$HOME/.minikube"
  elif [ "$(basename "$MINIKUBE_HOME")" = .minikube ]; then
    printf '%s\n' "$MINIKUBE_HOME"
  else
    printf '%s\n' "$MINIKUBE_HOME/.minikube"
  fi
}
profiles=$(minikube_home)/profiles
mark_name=istio-exit-study.owner
mark_file() { printf '%s/%s/%s\n' "$profiles" "$1" "$mark_name"; }
# One value of PROFILE's mark (empty if none).
mark_get() { sed -n "s/^$1=//p" "$(mark_file "$PROFILE")" 2>/dev/null | head -n 1; }

# The runtime and name of a minikube cluster container of profile NAME in the docker or podman
# daemon minikube's drivers would use, if any (the label minikube gives a profile's containers). A
# daemon that does not answer is one minikube cannot reach either.
cluster_container() { # NAME
  local runtime found
  for runtime in docker podman; do
    command -v "$runtime" >/dev/null || continue
    found=$("$runtime" ps -a --filter "label=name.minikube.sigs.k8s.io=$1" --format '{{.Names}}' 2>/dev/null) || continue
    if [ -n "$found" ]; then
      printf '%s (%s)\n' "$runtime" "$(printf '%s' "$found" | tr '\n' ' ' | sed 's/ $//')"
      return 0
    fi
  done
}

if [ "$verb" = owned ]; then
  : "${STACK:?}"
  for file in "$profiles"/*/"$mark_name"; do
    if [ -f "$file" ] && [ "$(sed -n 's/^stack=//p' "$file")" = "$STACK" ]; then
      basename "$(dirname "$file")"
    fi
  done
  exit 0
fi
[ "$verb" = sweep ] || : "${PROFILE:?}"
if [ "$verb" = probe ]; then
  if [ ! -d "$profiles/$PROFILE" ]; then
    echo profile=absent
  elif [ ! -f "$(mark_file "$PROFILE")" ]; then
    echo profile=unmarked
  else
    echo profile=marked
    grep -E '^(stack|generation|identity|state)=' "$(mark_file "$PROFILE")"
  fi
  exit 0
fi

log() { printf '[minikube-cluster] %s\n' "$*" >&2; }
# The instance of the cluster resource this run is for, as the state holds it: what its create
# printed (an update's or a delete's); empty on a create, which mints one.
held=${PULUMI_COMMAND_STDOUT:-}
held=${held//[^0-9a-f]/}
instance=$held
if [ "$verb" = delete ] || [ "$verb" = vacate ]; then
  if [ ! -d "$profiles/$PROFILE" ]; then
    # Not in this home: gone, unless its container runs (made from another MINIKUBE_HOME, where its
    # mark is): then this stack must not forget it.
    container=$(cluster_container "$PROFILE")
    if [ -n "$container" ]; then
      log "minikube profile $PROFILE is not in minikube home $(minikube_home), but its cluster's container runs in $container: another minikube home holds it, most likely the one this stack built it from. Run this again with MINIKUBE_HOME set to that home (the home is MINIKUBE_HOME/.minikube, or ~/.minikube without MINIKUBE_HOME); nothing was deleted"
      exit 1
    fi
    log "minikube profile $PROFILE is gone already"
    exit 0
  fi
fi
if [ "$verb" = vacate ]; then
  : "${STACK_TOKEN:?}" "${CLUSTER_GENERATION:?}"
  if [ "$(mark_get token)" = "$STACK_TOKEN" ] && [ "$(mark_get generation)" = "$CLUSTER_GENERATION" ]; then
    sed -i.bak 's/^state=.*/state=deleting/' "$(mark_file "$PROFILE")" && rm -f "$(mark_file "$PROFILE").bak"
    log "minikube profile $PROFILE is being deleted: its contents leave the state first"
  fi
  exit 0
fi
if [ "$verb" = delete ] && { [ -z "${STACK_TOKEN:-}" ] || [ -z "$held" ]; }; then
  log "leaving minikube profile $PROFILE: an earlier version of this lab made it, without a mark to prove it. Delete it yourself if it is yours and no longer needed: minikube delete --profile $PROFILE"
  exit 0
fi
if [ "$verb" = sweep ]; then
  : "${STACK:?}"
else
  : "${KUBERNETES_VERSION:?}" "${CPUS:?}" "${MEMORY_MIB:?}" "${STACK:?}" "${STACK_TOKEN:?}" "${CLUSTER_GENERATION:?}" "${CLUSTER_IDENTITY:?}"
fi
# minikube's work runs in a process group of its own, ended if `pulumi up` gives up on it: an
# interrupted start leaves a profile marked as building, which the next `pulumi up` builds again.
# shellcheck source=scripts/process-group.sh
. "$(dirname "$0")/process-group.sh"
run_in_own_process_group "$@"
watchdog_pid=""
trap 'if [ -n "$watchdog_pid" ]; then kill "$watchdog_pid" 2>/dev/null || true; fi' EXIT
trap 'exit 143' TERM
watch_launcher

require_minikube() {
  command -v minikube >/dev/null || { log "minikube is not on PATH: install it from https://minikube.sigs.k8s.io/docs/start/"; exit 127; }
}
# The profile's folder is never made here: only claim makes it, so that a mark never lands in a
# folder someone else made.
write_mark() { # STATE
  local file tmp
  file=$(mark_file "$PROFILE")
  tmp=$(mktemp "$file.XXXXXX")
  printf 'stack=%s\ntoken=%s\ninstance=%s\ngeneration=%s\nidentity=%s\nstate=%s\n' \
    "$STACK" "$STACK_TOKEN" "$instance" "$CLUSTER_GENERATION" "$CLUSTER_IDENTITY" "$1" >"$tmp"
  mv "$tmp" "$file"
}
# Deletes a profile of this stack: marked as being deleted first, so that a delete that fails leaves
# a profile the next `pulumi up` rebuilds (its state no longer holds what was in it) and the next
# `pulumi destroy` deletes.
delete_profile() { # NAME
  local file=$profiles/$1/$mark_name
  sed -i.bak 's/^state=.*/state=deleting/' "$file" && rm -f "$file.bak"
  require_minikube
  minikube delete --profile "$1" >&2
}
# Why a profile is not this stack's to touch, or nothing if it is. The stack's token proves it; so
# does, for PROFILE, the instance the state holds (a random id no other state has), which lets a
# stack whose token was made anew (`pulumi up --replace` of its owner) keep its cluster.
not_ours() { # NAME
  local file=$profiles/$1/$mark_name
  if [ ! -f "$file" ]; then
    echo "it has no mark of this lab: it was made by hand or by another tool"
  elif [ "$(sed -n 's/^token=//p' "$file")" != "$STACK_TOKEN" ] &&
    ! { [ "$1" = "$PROFILE" ] && [ -n "$held" ] && [ "$(sed -n 's/^instance=//p' "$file")" = "$held" ]; }; then
    echo "it belongs to stack $(sed -n 's/^stack=//p' "$file") of another Pulumi state (or of a state this stack no longer has, if it was removed or lost)"
  fi
}
refuse() { # WHY
  log "refusing minikube profile $PROFILE: $1. Set another profile (pulumi config set profile NAME), or delete that cluster yourself if it is no longer needed: minikube delete --profile $PROFILE"
  exit 1
}
# Claims PROFILE's folder for this run (mkdir, which only one can win), and marks it as building:
# refused if it exists (made by hand, or by another stack, meanwhile: WHY), or if a cluster container
# of that name runs without it, which minikube start would delete as abandoned.
claim() { # WHY
  mkdir "$profiles/$PROFILE" 2>/dev/null || refuse "$1"
  local container
  container=$(cluster_container "$PROFILE")
  if [ -n "$container" ]; then
    rmdir "$profiles/$PROFILE"
    refuse "a cluster container of that name runs in $container, but minikube home $(minikube_home) has no profile $PROFILE: another minikube home made it (another user or CI job on this docker daemon, or a shell with another MINIKUBE_HOME), and minikube start would delete it as abandoned. Run this stack with the MINIKUBE_HOME that holds it if it is this stack's"
  fi
  write_mark building
}
# A profile of another stack's name that carries this stack's token: this state is a copy of that
# stack's (pulumi stack export and import), or that stack renamed to this one. Either way this
# state holds that cluster's resources, and deleting it here could delete another stack's cluster.
copied_from() {
  local file
  for file in "$profiles"/*/"$mark_name"; do
    [ -f "$file" ] || continue
    if [ "$(sed -n 's/^token=//p' "$file")" = "$STACK_TOKEN" ] && [ "$(sed -n 's/^stack=//p' "$file")" != "$STACK" ]; then
      printf '%s %s\n' "$(basename "$(dirname "$file")")" "$(sed -n 's/^stack=//p' "$file")"
      return 0
    fi
  done
}

case "$verb" in
  start)
    require_minikube
    [ -n "$instance" ] || instance=$(bash "$0" token)
    mkdir -p "$profiles"
    copy=$(copied_from)
    if [ -n "$copy" ]; then
      refuse "this stack's state holds the token of minikube profile ${copy%% *}, the cluster of stack ${copy#* }: this stack is a copy of that stack's state (pulumi stack export and import), or that stack renamed to this one, and its state holds that cluster. If it is a copy, remove this stack without deleting anything (pulumi stack rm --force), never pulumi destroy it, and make a new stack (pulumi stack init); if it was renamed, rename it back (pulumi stack rename), or delete the old cluster yourself (minikube delete --profile ${copy%% *}) and run pulumi up again"
    fi
    # The profile is claimed before anything else happens: a folder made here is this run's alone
    # (mkdir is atomic), so that a person or another stack making the same profile meanwhile is
    # refused rather than adopted.
    if [ ! -d "$profiles/$PROFILE" ]; then
      claim "it was made, by hand or by another tool, as this lab was about to build it"
    else
      why=$(not_ours "$PROFILE")
      [ -z "$why" ] || refuse "$why"
      if [ "$(mark_get generation)" = "$CLUSTER_GENERATION" ] && [ "$(mark_get state)" = built ]; then
        # This cluster, held by another instance of its resource (`pulumi up --replace`) or by this
        # one (a changed input): this instance takes it over once it has started it, so that a
        # start that fails leaves it to the instance the state still holds.
        log "resuming minikube profile $PROFILE ($CLUSTER_IDENTITY)"
      else
        log "minikube profile $PROFILE is this stack's, built as $(mark_get identity) and $(mark_get state): deleting it to build $CLUSTER_IDENTITY"
        delete_profile "$PROFILE"
        # Claimed again, as a new profile is: the folder is gone with the profile, and one made in
        # this gap is someone else's.
        claim "it was made again, by hand or by another tool, while this lab deleted its own"
      fi
    fi
    # A stack has one cluster: a profile it built before under another name goes. Only its own
    # stack's (copied_from refused any other of this token).
    for other in "$profiles"/*/"$mark_name"; do
      other=$(basename "$(dirname "$other")")
      if [ "$other" != "$PROFILE" ] && [ -f "$profiles/$other/$mark_name" ] && [ -z "$(not_ours "$other")" ] &&
        [ "$(sed -n 's/^stack=//p' "$profiles/$other/$mark_name")" = "$STACK" ]; then
        log "deleting minikube profile $other, this stack's cluster before profile $PROFILE"
        delete_profile "$other"
      fi
    done
    # The container runtime is pinned: newer minikube releases default to containerd, and Istio's
    # minikube platform profile (ambient's CNI agent) expects docker's network namespace paths.
    args=(start --profile "$PROFILE" --kubernetes-version "$KUBERNETES_VERSION" --container-runtime docker \
      --cpus "$CPUS" --memory "${MEMORY_MIB}mb" --keep-context)
    if [ -n "${DRIVER:-}" ]; then
      args+=(--driver "$DRIVER")
    fi
    # minikube's progress goes to stderr, so that `pulumi up` shows it; stdout is this instance's id.
    minikube "${args[@]}" >&2
    write_mark built
    printf '%s\n' "$instance"
    ;;
  delete)
    why=$(not_ours "$PROFILE")
    if [ -n "$why" ]; then
      log "leaving minikube profile $PROFILE: $why"
      exit 0
    fi
    # Another instance holds it (after `pulumi up --replace` or a rebuild): it is in use. A profile
    # left building or half deleted by an instance the state does not hold is nobody's: it goes.
    if [ "$(mark_get instance)" != "$instance" ] && [ "$(mark_get state)" = built ]; then
      log "leaving minikube profile $PROFILE: this stack's cluster of generation $(mark_get generation) holds it now"
      exit 0
    fi
    delete_profile "$PROFILE"
    ;;
  sweep)
    # The token's resource goes after every cluster resource of the stack (they depend on it): a
    # profile its token still marks is held by none of them, and is this stack's to delete.
    token=$held
    [ -n "$token" ] || exit 0
    for file in "$profiles"/*/"$mark_name"; do
      [ -f "$file" ] || continue
      if [ "$(sed -n 's/^token=//p' "$file")" = "$token" ] && [ "$(sed -n 's/^stack=//p' "$file")" = "$STACK" ]; then
        other=$(basename "$(dirname "$file")")
        log "deleting minikube profile $other: this stack's cluster, held by no cluster resource of its state (a build that failed once minikube had made it, or a new cluster the engine never recorded)"
        delete_profile "$other"
      fi
    done
    ;;
esac
