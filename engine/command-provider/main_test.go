package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The test binary plays the plugin when TestServesAnEngine starts it with this variable set.
func TestMain(m *testing.M) {
	if os.Getenv("COMMAND_PROVIDER_TEST_SERVE") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeEngine is the part of the engine a provider talks to: Log, and the health check.
type fakeEngine struct {
	pulumirpc.UnimplementedEngineServer
	logs chan *pulumirpc.LogRequest
}

func (e *fakeEngine) Log(_ context.Context, req *pulumirpc.LogRequest) (*emptypb.Empty, error) {
	e.logs <- req
	return &emptypb.Empty{}, nil
}

// The plugin as the engine starts it: flags and the engine's address as arguments, the port on
// stdout, the command's output as status messages to the engine, and on SIGINT an exit at once,
// as v1.2.1's does (pkg v3.224 has no handler), even while a command runs.
func TestServesAnEngine(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	engine := &fakeEngine{logs: make(chan *pulumirpc.LogRequest, 16)}
	srv := grpc.NewServer()
	pulumirpc.RegisterEngineServer(srv, engine)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	plugin := exec.Command(os.Args[0], "--logtostderr", "-v=1", "--tracing", "http://127.0.0.1:1", lis.Addr().String())
	plugin.Env = append(os.Environ(), "COMMAND_PROVIDER_TEST_SERVE=1")
	// As the engine starts a plugin: in a process group of its own, which holds its commands too.
	plugin.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	plugin.Stderr = &stderr
	out, err := plugin.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := plugin.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(-plugin.Process.Pid, syscall.SIGKILL) }()
	port, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the port: %v; stderr: %s", err, stderr.String())
	}

	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	client := pulumirpc.NewResourceProviderClient(conn)
	ctx := context.Background()

	info, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
	if err != nil || info.GetVersion() != "1.2.1" {
		t.Fatalf("GetPluginInfo: %v %v", info, err)
	}
	cfg, err := client.Configure(ctx, &pulumirpc.ConfigureRequest{AcceptSecrets: true, AcceptResources: true})
	if err != nil || !cfg.GetSupportsPreview() || !cfg.GetAcceptSecrets() {
		t.Fatalf("Configure: %v %v", cfg, err)
	}
	s, err := client.GetSchema(ctx, &pulumirpc.GetSchemaRequest{})
	var spec struct{ Name, Version string }
	if err != nil || json.Unmarshal([]byte(s.GetSchema()), &spec) != nil || spec.Name != "command" || spec.Version != "1.2.1" {
		t.Fatalf("GetSchema: %v %+v", err, spec)
	}

	checked, err := client.Check(ctx, &pulumirpc.CheckRequest{
		Urn: testURN, News: toStruct(t, inputs(map[string]any{"create": "echo through the engine"})),
	})
	if err != nil {
		t.Fatal(err)
	}
	created, err := client.Create(ctx, &pulumirpc.CreateRequest{Urn: testURN, Properties: checked.GetInputs()})
	if err != nil {
		t.Fatal(err)
	}
	if got := stdout(fromStruct(t, created.GetProperties())); got != "through the engine" {
		t.Errorf("stdout %q", got)
	}
	select {
	case l := <-engine.logs:
		if l.GetMessage() != "through the engine" || !l.GetEphemeral() || l.GetUrn() != testURN ||
			l.GetSeverity() != pulumirpc.LogSeverity_INFO {
			t.Errorf("log %v", l)
		}
	case <-time.After(5 * time.Second):
		t.Error("no log line reached the engine")
	}
	// Output after the operation's timeout cannot be logged on it: it goes to stderr.
	_, err = client.Create(ctx, &pulumirpc.CreateRequest{
		Urn: testURN, Timeout: 1, Properties: toStruct(t, inputs(map[string]any{
			"create": "(sleep 2; echo after the timeout) & wait",
		})),
	})
	if err == nil || !strings.HasPrefix(status.Convert(err).Message(), "signal: killed: running ") {
		t.Errorf("Create with a timeout: %v", err)
	}
	// A command still running when the engine closes the plugin does not hold it up.
	go func() {
		_, _ = client.Create(ctx, &pulumirpc.CreateRequest{Urn: testURN, Properties: toStruct(t, inputs(map[string]any{"create": "sleep 30"}))})
	}()
	time.Sleep(500 * time.Millisecond)

	if err := plugin.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- plugin.Wait() }()
	select {
	case err := <-exited:
		if err == nil || err.Error() != "signal: interrupt" {
			t.Errorf("exit after SIGINT: %v, want death by the signal; stderr: %s", err, stderr.String())
		}
	case <-time.After(3 * time.Second):
		t.Error("the plugin did not die at once on SIGINT")
	}
	conn.Close()
	if !strings.Contains(stderr.String(), "INFO after the timeout hostLogFailed=") {
		t.Errorf("stderr %q lacks the line logged after the timeout", stderr.String())
	}
}
