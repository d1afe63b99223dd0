// pause holds a pod's namespaces for the engine's real node, as Kubernetes' pause image does: it
// waits until it is told to stop. The node's sandbox image is this program and nothing else, so that
// no registry is needed.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
