// The provider the plugin serves: its state, and go-provider's cancel middleware for running commands.
package main

import (
	"context"
	"log"
	"os"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

var stderrLog = log.New(os.Stderr, "", log.LstdFlags)

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
	logStatus func(ctx context.Context, urn resource.URN, msg string)
	ops       operations
}

// operations is go-provider's cancel middleware: each Create, Update and Delete runs under a
// context that ends at the engine's custom timeout for it (Invoke has none), and Cancel ends every
// running one and every later one.
type operations struct {
	mu       sync.Mutex
	canceled bool
	next     int
	running  map[int]context.CancelFunc
}

func (o *operations) start(ctx context.Context, timeoutSeconds float64) (context.Context, context.CancelFunc) {
	var cancel context.CancelFunc
	if timeoutSeconds == 0 {
		ctx, cancel = context.WithCancel(ctx)
	} else {
		// As in go-provider, the seconds are truncated to a whole number.
		ctx, cancel = context.WithTimeout(ctx, time.Second*time.Duration(timeoutSeconds))
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.canceled {
		cancel()
		return ctx, cancel
	}
	if o.running == nil {
		o.running = map[int]context.CancelFunc{}
	}
	id := o.next
	o.next++
	o.running[id] = cancel
	return ctx, func() {
		o.mu.Lock()
		delete(o.running, id)
		o.mu.Unlock()
		cancel()
	}
}

func (o *operations) cancelAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.canceled = true
	for id, cancel := range o.running {
		cancel()
		delete(o.running, id)
	}
}
