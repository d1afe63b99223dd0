// Command pulumi-resource-command stands in for the plugin of pulumi-command v1.2.1, whose module
// (github.com/pulumi/pulumi-command/provider, with github.com/pulumi/pulumi-go-provider) the Go
// module proxy does not serve. It serves command:local:Command, and the command:local:run invoke,
// as that plugin does. It follows pulumi/pulumi-command's provider/pkg/provider: local/
// commandOutputs.go and base.go at cd9d47e7, commandController.go in its go-provider v1 form (the
// semantics of c625126f), util/util.go at d7a0988e, common/inputs.go at d9951cd7; and what
// pulumi/pulumi-go-provider's infer and cancel middleware give it (infer/resource.go at 0181ef08 and
// its v1 form: Check, Diff, preview unknowns, secrets; middleware/cancel/cancel.go at bf4e8170:
// Cancel and custom timeouts), with pulumi-command#924 (no default for addPreviousOutputInEnv in
// the state), which the v1.2.1 SDK shows; it serves as pkg/v3 v3.224.0's resource/provider.Main
// (the version v1.2.1 is built with) does, with the sdk's rpcutil. Left out: assetPaths and archivePaths (a Check failure here),
// command:remote:*, attach mode, tracing (--tracing is accepted and ignored) and the schema's
// documentation.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	version     = "1.2.1"
	commandType = "command:local:Command"
	runToken    = "command:local:run"
)

func main() {
	// The engine passes --tracing when it traces; -v and --logtostderr come with glog's flags.
	flag.String("tracing", "", "Zipkin-compatible tracing endpoint (ignored by this stand-in)")
	flag.Parse()
	if err := serve(flag.Args()); err != nil {
		cmdutil.ExitError(err.Error())
	}
}

// serve does what pkg/v3 v3.224.0's resource/provider.Main does for a plugin the engine starts:
// connect to the engine at args[0], serve on a free port and print it. Like it, it has no SIGINT
// handler: when the engine closes the plugin (SIGINT to its process group, then SIGKILL only if it
// outlives 5 s) it dies at once, and the engine never kills what its commands still run (graceful
// stops came with pkg v3.228). Its health check stops nothing either: v3.224's cancels a context
// nobody watches.
func serve(args []string) error {
	if len(args) != 1 {
		return errors.New("fatal: could not connect to host RPC; missing argument")
	}
	conn, err := grpc.NewClient(args[0],
		grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return fmt.Errorf("fatal: could not connect to host RPC: %w", err)
	}
	defer conn.Close()

	if err := rpcutil.Healthcheck(context.Background(), args[0], 5*time.Minute, func() {}); err != nil {
		return fmt.Errorf("could not start health check host RPC server: %w", err)
	}
	stopServing := make(chan bool)

	engine := pulumirpc.NewEngineClient(conn)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stopServing,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, &provider{logStatus: engineStatus(engine)})
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("fatal: %w", err)
	}
	// The plugin protocol: the first line on stdout is the port.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		return fmt.Errorf("fatal: %w", err)
	}
	return nil
}

// engineStatus sends a line of command output to the engine as go-provider's InfoStatus does: an
// ephemeral INFO message on the resource, for the Info column of the progress display and not for
// the final output. When the engine refuses it, e.g. because the operation's context has ended, the
// line goes to stderr.
func engineStatus(engine pulumirpc.EngineClient) func(context.Context, resource.URN, string) {
	return func(ctx context.Context, urn resource.URN, msg string) {
		_, err := engine.Log(ctx, &pulumirpc.LogRequest{
			Severity:  pulumirpc.LogSeverity_INFO,
			Message:   strings.ToValidUTF8(msg, "\uFFFD"),
			Urn:       string(urn),
			Ephemeral: true,
		})
		if err != nil {
			stderrLog.Printf("INFO %s hostLogFailed=%q kind=status urn=%s", msg, err.Error(), urn)
		}
	}
}

// stderrLog writes where go-provider's fallback (the standard library's default slog) wrote. Not
// the log package's default logger: the sdk's logging package sends that to a handler of its own.
