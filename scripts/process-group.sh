# Sourced by the scripts the command provider runs for long work (the cluster's start, a measured
# rollout), so that nothing they start outlives them.
#
# The provider ends a command it gives up on (its custom timeout, a cancelled `pulumi up`) with
# SIGKILL to the shell it started (/bin/sh -c), and to nothing else: no trap runs, and whatever the
# script started runs on, holding the provider's output pipes (so `pulumi up` waits for it) or
# working on unseen (a `minikube start` still building a cluster). And pulumi-command v1.2.1's
# plugin, when the engine closes it, exits at once: the engine then sends SIGINT to the plugin's
# process group and nothing more, which a background job of a script ignores.
#
# So the script runs again in a process group of its own, while the shell the provider started
# waits for it; in that group, watch_launcher ends the whole group as soon as that shell or the one
# that started it is gone, and the script cleans up as on any other exit (its EXIT trap runs on TERM).
# shellcheck shell=bash

# In the provider's shell: runs "$0" "$@" in a group of its own, waits, and exits with its status.
# In the group (PROCESS_GROUP_LAUNCHER set): returns at once.
run_in_own_process_group() {
  if [ -n "${PROCESS_GROUP_LAUNCHER:-}" ]; then return 0; fi
  PROCESS_GROUP_LAUNCHER=$$ PROCESS_GROUP_STARTER=$PPID \
    perl -e 'setpgrp(0, 0); exec @ARGV or die "process-group: $!\n"' bash "$0" "$@" &
  local group=$! status=0
  # shellcheck disable=SC2064 # the group is known now
  trap "kill -TERM -- -$group 2>/dev/null || true" INT TERM
  wait "$group" || status=$?
  # A trapped signal ends the first wait early: wait for the group to finish cleaning up.
  if kill -0 "$group" 2>/dev/null; then wait "$group" || status=$?; fi
  exit "$status"
}

# In the group: ends it when the provider's shell, or its parent, is gone. Holds none of the
# provider's pipes, so that it never keeps `pulumi up` waiting itself. Sets watchdog_pid.
watch_launcher() {
  (
    while kill -0 "$PROCESS_GROUP_LAUNCHER" 2>/dev/null && kill -0 "$PROCESS_GROUP_STARTER" 2>/dev/null; do sleep 1; done
    kill -TERM -- "-$$"
  ) </dev/null >/dev/null 2>&1 &
  # shellcheck disable=SC2034 # the caller's cleanup ends it
  watchdog_pid=$!
}
