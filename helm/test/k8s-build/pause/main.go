// The sandbox ("pause") container of helm/test/cluster-up's node: it holds a pod's namespaces
// and does nothing else. Built here because the node cannot pull registry.k8s.io/pause.
package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	// As PID 1 of a pod that shares its process namespace, reap the orphans handed to it
	// (ECHILD while it has none: look again a second later).
	go func() {
		for {
			if _, err := syscall.Wait4(-1, nil, 0, nil); err != nil {
				time.Sleep(time.Second)
			}
		}
	}()
	<-stop
}
