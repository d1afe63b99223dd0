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
	"log"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
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

// The marshalling options of go-provider's server.
func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, plugin.MarshalOptions{
		KeepUnknowns: true, SkipNulls: true, KeepResources: true, KeepSecrets: true,
	})
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true, KeepSecrets: true})
}

func checkType(urn string) error {
	if t := resource.URN(urn).Type(); t != commandType {
		return fmt.Errorf("unknown resource type %q", t)
	}
	return nil
}

// commandRun runs command for the resource urn, its output lines logged on it.
func (p *provider) commandRun(ctx context.Context, urn resource.URN, command string, in commandInputs,
	prevStdout, prevStderr string,
) (string, string, error) {
	logLine := func(line string) { p.logStatus(ctx, urn, line) }
	return run(ctx, logLine, command, in, prevStdout, prevStderr)
}

// decodeOrFail decodes inputs that Check has accepted.
func decodeOrFail(m resource.PropertyMap) (commandInputs, error) {
	in, failures := decodeInputs(m)
	if len(failures) > 0 {
		return in, fmt.Errorf("invalid inputs: %s: %s", failures[0].Property, failures[0].Reason)
	}
	return in, nil
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: schema}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// Configure answers as go-provider does: secrets, resources and outputs are welcome, and Create
// and Update are called in previews too (with preview set, when they run nothing).
func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{
		AcceptSecrets: true, SupportsPreview: true, AcceptResources: true, AcceptOutputs: true,
	}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.ops.cancelAll()
	return &emptypb.Empty{}, nil
}

// Check is infer's default: the news must decode. addPreviousOutputInEnv gets no default: since
// pulumi-command#924 (v1.2.1's schema and SDK have none) an absent value stays absent in the state,
// and run treats it as true.
func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	_, failures := decodeInputs(news)
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

// ignoreChanges puts back the old values of ignored top-level inputs, as infer does (the engine has
// done it already).
func ignoreChanges(news, olds resource.PropertyMap, keys []string) {
	for _, k := range keys {
		if v, ok := olds[resource.PropertyKey(k)]; ok {
			news[resource.PropertyKey(k)] = v
		}
	}
}

// Diff is infer's default diff: the inputs of the old state against the news, every change an
// update except where the property path is a replaceOnChanges input, which only `triggers` is. A
// change inside triggers (path "triggers[0]") is an update here, as there; the SDK's
// replaceOnChanges: ["triggers[*]"] makes the engine replace for it.
func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ignoreChanges(news, olds, req.GetIgnoreChanges())
	oldInputs := resource.PropertyMap{}
	for _, k := range inputNames {
		if v, ok := olds[k]; ok {
			oldInputs[k] = v
		}
	}
	objDiff := oldInputs.Diff(news)

	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		HasDetailedDiff: true,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
	}
	if objDiff.AnyChanges() {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	for path, d := range plugin.NewDetailedDiffFromObjectDiff(objDiff, false) {
		if path == "triggers" {
			d.Kind = d.Kind.AsReplace()
		}
		// plugin.DiffKind and pulumirpc.PropertyDiff_Kind number the kinds alike.
		resp.DetailedDiff[path] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_Kind(d.Kind), InputDiff: d.InputDiff}
		resp.Diffs = append(resp.Diffs, path)
		if d.Kind.IsReplace() {
			resp.Replaces = append(resp.Replaces, path)
		}
	}
	sort.Strings(resp.Diffs)
	sort.Strings(resp.Replaces)
	return resp, nil
}

// unknown is what infer makes of an output in a preview: a computed value of its type.
var unknown = resource.MakeComputed(resource.NewStringProperty(""))

// Create runs `create`, if set, unless it is a preview, where stdout and stderr are unknown. The
// state is the inputs as they came (secrets stay secret) plus stdout and stderr.
func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	ctx, done := p.ops.start(ctx, req.GetTimeout())
	defer done()
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, err := resource.NewUniqueHex(urn.Name(), 8, 0)
	if err != nil {
		return nil, err
	}
	state := props.Copy()
	if req.GetPreview() {
		state["stdout"], state["stderr"] = unknown, unknown
	} else {
		in, err := decodeOrFail(props)
		if err != nil {
			return nil, err
		}
		var stdout, stderr string
		if in.Create != nil {
			if stdout, stderr, err = p.commandRun(ctx, urn, *in.Create, in, "", ""); err != nil {
				return nil, err
			}
		}
		state["stdout"], state["stderr"] = resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)
	}
	properties, err := marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: properties}, nil
}

// Update runs `update`, or `create` when there is no update, with the previous stdout and stderr
// in the environment unless addPreviousOutputInEnv is false. Neither set: the old outputs stay.
// In a preview it runs nothing, and stdout and stderr are unknown as soon as an input changed.
func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	ctx, done := p.ops.start(ctx, req.GetTimeout())
	defer done()
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ignoreChanges(news, olds, req.GetIgnoreChanges())
	prevStdout, prevStderr := plainString(olds["stdout"]), plainString(olds["stderr"])
	state := news.Copy()
	state["stdout"], state["stderr"] = resource.NewStringProperty(prevStdout), resource.NewStringProperty(prevStderr)
	if req.GetPreview() {
		if inputsChanged(olds, news) {
			state["stdout"], state["stderr"] = unknown, unknown
		}
	} else {
		in, err := decodeOrFail(news)
		if err != nil {
			return nil, err
		}
		command := in.Create
		if in.Update != nil {
			command = in.Update
		}
		if command != nil {
			stdout, stderr, err := p.commandRun(ctx, urn, *command, in, prevStdout, prevStderr)
			if err != nil {
				return nil, err
			}
			state["stdout"], state["stderr"] = resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)
		}
	}
	properties, err := marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: properties}, nil
}

// inputsChanged is infer's test for an output in an update preview: some input is unknown, or
// differs from its value in the old state (an input the old state lacks does not count).
func inputsChanged(olds, news resource.PropertyMap) bool {
	for _, k := range inputNames {
		old, hadOld := olds[k]
		if news[k].IsComputed() || (hadOld && !news[k].DeepEquals(old)) {
			return true
		}
	}
	return false
}

// Delete runs `delete`, if set, with everything from the saved state: its environment, dir,
// interpreter, logging, and its stdout and stderr unless addPreviousOutputInEnv is false.
func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	ctx, done := p.ops.start(ctx, req.GetTimeout())
	defer done()
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	in, err := decodeOrFail(state)
	if err != nil {
		return nil, err
	}
	if in.Delete != nil {
		_, _, err := p.commandRun(ctx, resource.URN(req.GetUrn()), *in.Delete, in,
			plainString(state["stdout"]), plainString(state["stderr"]))
		if err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

// Read returns the state as it is: there is nothing to read back.
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// Invoke serves command:local:run: the command runs every time, previews included; its result is
// the arguments plus stdout and stderr.
func (p *provider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runToken {
		return nil, fmt.Errorf("unknown function %q", req.GetTok())
	}
	ctx, done := p.ops.start(ctx, 0)
	defer done()
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	in, failures := decodeInputs(args)
	if in.Command == nil && len(failures) == 0 {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "command", Reason: "missing required property"})
	}
	if len(failures) > 0 {
		return &pulumirpc.InvokeResponse{Failures: failures}, nil
	}
	stdout, stderr, err := p.commandRun(ctx, "", *in.Command, in, "", "")
	if err != nil {
		return nil, err
	}
	result := args.Copy()
	result["stdout"], result["stderr"] = resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)
	ret, err := marshal(result)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

// schema names the package and what this stand-in serves, in the shape of v1.2.1's schema.
const schema = `{
  "name": "command",
  "version": "1.2.1",
  "description": "Stand-in for the Pulumi Command Provider v1.2.1: local commands only.",
  "types": {
    "command:local:Logging": {
      "type": "string",
      "enum": [
        {"name": "stdout", "value": "stdout"},
        {"name": "stderr", "value": "stderr"},
        {"name": "stdoutAndStderr", "value": "stdoutAndStderr"},
        {"name": "none", "value": "none"}
      ]
    }
  },
  "resources": {
    "command:local:Command": {
      "inputProperties": {
        "addPreviousOutputInEnv": {"type": "boolean"},
        "archivePaths": {"type": "array", "items": {"type": "string"}},
        "assetPaths": {"type": "array", "items": {"type": "string"}},
        "create": {"type": "string"},
        "delete": {"type": "string"},
        "dir": {"type": "string"},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "interpreter": {"type": "array", "items": {"type": "string"}},
        "logging": {"$ref": "#/types/command:local:Logging"},
        "stdin": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true},
        "update": {"type": "string"}
      },
      "properties": {
        "addPreviousOutputInEnv": {"type": "boolean"},
        "archivePaths": {"type": "array", "items": {"type": "string"}},
        "assetPaths": {"type": "array", "items": {"type": "string"}},
        "create": {"type": "string"},
        "delete": {"type": "string"},
        "dir": {"type": "string"},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "interpreter": {"type": "array", "items": {"type": "string"}},
        "logging": {"$ref": "#/types/command:local:Logging"},
        "stderr": {"type": "string"},
        "stdin": {"type": "string"},
        "stdout": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true},
        "update": {"type": "string"}
      },
      "required": ["stderr", "stdout"]
    }
  },
  "functions": {
    "command:local:run": {
      "inputs": {
        "properties": {
          "addPreviousOutputInEnv": {"type": "boolean"},
          "command": {"type": "string"},
          "dir": {"type": "string"},
          "environment": {"type": "object", "additionalProperties": {"type": "string"}},
          "interpreter": {"type": "array", "items": {"type": "string"}},
          "logging": {"$ref": "#/types/command:local:Logging"},
          "stdin": {"type": "string"}
        },
        "type": "object",
        "required": ["command"]
      },
      "outputs": {
        "properties": {
          "command": {"type": "string"},
          "stderr": {"type": "string"},
          "stdout": {"type": "string"}
        },
        "type": "object",
        "required": ["command", "stderr", "stdout"]
      }
    }
  }
}`
