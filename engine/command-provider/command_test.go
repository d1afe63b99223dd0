package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const testURN = "urn:pulumi:dev::lab::command:local:Command::test"

// testProvider is a provider whose log lines are kept instead of sent to an engine.
type testProvider struct {
	*provider
	mu    sync.Mutex
	lines []string
}

func newTestProvider() *testProvider {
	tp := &testProvider{}
	tp.provider = &provider{logStatus: func(_ context.Context, urn resource.URN, msg string) {
		tp.mu.Lock()
		defer tp.mu.Unlock()
		tp.lines = append(tp.lines, msg)
	}}
	return tp
}

func (tp *testProvider) logged() []string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return slices.Sorted(slices.Values(tp.lines))
}

func toStruct(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fromStruct(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := unmarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// inputs is a property map of plain values, as the SDK sends them.
func inputs(values map[string]any) resource.PropertyMap {
	return resource.NewPropertyMapFromMap(values)
}

// check runs Check, as the engine does before any other call, and fails on check failures.
func (tp *testProvider) check(t *testing.T, news resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	resp, err := tp.Check(context.Background(), &pulumirpc.CheckRequest{Urn: testURN, News: toStruct(t, news)})
	if err != nil || len(resp.GetFailures()) > 0 {
		t.Fatalf("Check: %v %v", err, resp.GetFailures())
	}
	return fromStruct(t, resp.GetInputs())
}

func (tp *testProvider) create(t *testing.T, news resource.PropertyMap, timeout float64, preview bool,
) (resource.PropertyMap, error) {
	t.Helper()
	resp, err := tp.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: testURN, Properties: toStruct(t, tp.check(t, news)), Timeout: timeout, Preview: preview,
	})
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(resp.GetId(), "test") || len(resp.GetId()) != len("test")+8 {
		t.Errorf("id %q: want the name and 8 hex characters", resp.GetId())
	}
	return fromStruct(t, resp.GetProperties()), nil
}

func (tp *testProvider) mustCreate(t *testing.T, news resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	state, err := tp.create(t, news, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func (tp *testProvider) update(t *testing.T, olds, news resource.PropertyMap, preview bool) resource.PropertyMap {
	t.Helper()
	resp, err := tp.Update(context.Background(), &pulumirpc.UpdateRequest{
		Urn: testURN, Olds: toStruct(t, olds), News: toStruct(t, tp.check(t, news)), Preview: preview,
	})
	if err != nil {
		t.Fatal(err)
	}
	return fromStruct(t, resp.GetProperties())
}

func (tp *testProvider) diff(t *testing.T, olds, news resource.PropertyMap) *pulumirpc.DiffResponse {
	t.Helper()
	resp, err := tp.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: testURN, Olds: toStruct(t, olds), News: toStruct(t, tp.check(t, news)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func stdout(state resource.PropertyMap) string { return plainString(state["stdout"]) }

func TestCreateRunsWithEnvironmentAndDir(t *testing.T) {
	t.Setenv("GREETING", "from the provider's environment")
	t.Setenv("PROVIDER_ONLY", "inherited")
	dir := t.TempDir()
	tp := newTestProvider()
	state := tp.mustCreate(t, inputs(map[string]any{
		"create":      `printf '%s\n' "$GREETING" "$PROVIDER_ONLY" "${PULUMI_COMMAND_STDOUT-none}"; pwd -P`,
		"environment": map[string]any{"GREETING": "hello"},
		"dir":         dir,
	}))
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello\ninherited\nnone\n" + realDir; stdout(state) != want {
		t.Errorf("stdout %q, want %q", stdout(state), want)
	}
	// The state is the checked inputs, with no default added, plus the outputs.
	if v, ok := state["addPreviousOutputInEnv"]; ok {
		t.Errorf("addPreviousOutputInEnv in the state: %v", v)
	}
	if got := plainString(state["dir"]); got != dir {
		t.Errorf("dir in the state: %q", got)
	}
}

func TestOutputsAreTrimmedOnceAndLogged(t *testing.T) {
	script := `printf 'out1\nout2\n\n'; printf 'err1\n' >&2`
	for _, tc := range []struct {
		logging string // "" leaves the input out
		want    []string
	}{
		{"", []string{"", "err1", "out1", "out2"}},
		{"stdoutAndStderr", []string{"", "err1", "out1", "out2"}},
		{"stdout", []string{"", "out1", "out2"}},
		{"stderr", []string{"err1"}},
		{"none", nil},
	} {
		t.Run("logging="+tc.logging, func(t *testing.T) {
			news := inputs(map[string]any{"create": script})
			if tc.logging != "" {
				news["logging"] = resource.NewStringProperty(tc.logging)
			}
			tp := newTestProvider()
			state := tp.mustCreate(t, news)
			// Only the last newline goes.
			if got := stdout(state); got != "out1\nout2\n" {
				t.Errorf("stdout %q", got)
			}
			if got := plainString(state["stderr"]); got != "err1" {
				t.Errorf("stderr %q", got)
			}
			if got := tp.logged(); !slices.Equal(got, tc.want) {
				t.Errorf("logged %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFailureNamesTheCommandAndItsOutput(t *testing.T) {
	tp := newTestProvider()
	command := `echo to-out; echo to-err >&2; exit 3`
	_, err := tp.create(t, inputs(map[string]any{"create": command}), 0, false)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if prefix := "exit status 3: running " + strconv.Quote(command) + ":\n"; !strings.HasPrefix(msg, prefix) {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
	if !strings.Contains(msg, "to-out\n") || !strings.Contains(msg, "to-err\n") {
		t.Errorf("error %q lacks the output", msg)
	}
}

func TestUpdateRunsUpdateOrCreateWithThePreviousOutputs(t *testing.T) {
	tp := newTestProvider()
	olds := tp.mustCreate(t, inputs(map[string]any{"create": `echo first; echo first-err >&2`}))
	show := `echo "${PULUMI_COMMAND_STDOUT-unset}/${PULUMI_COMMAND_STDERR-unset}"`

	got := tp.update(t, olds, inputs(map[string]any{"create": "echo create", "update": show}), false)
	if stdout(got) != "first/first-err" {
		t.Errorf("update: stdout %q", stdout(got))
	}
	got = tp.update(t, olds, inputs(map[string]any{
		"create": "echo create", "update": show, "addPreviousOutputInEnv": false,
	}), false)
	if stdout(got) != "unset/unset" {
		t.Errorf("update without previous outputs: stdout %q", stdout(got))
	}
	got = tp.update(t, olds, inputs(map[string]any{"create": "echo again; " + show}), false)
	if stdout(got) != "again\nfirst/first-err" {
		t.Errorf("create as update: stdout %q", stdout(got))
	}
	got = tp.update(t, olds, inputs(map[string]any{"dir": t.TempDir()}), false)
	if stdout(got) != "first" || plainString(got["stderr"]) != "first-err" {
		t.Errorf("no command: outputs %q %q, want the old ones", stdout(got), plainString(got["stderr"]))
	}
}

func TestDeleteRunsWithTheSavedState(t *testing.T) {
	mark := filepath.Join(t.TempDir(), "deleted")
	tp := newTestProvider()
	state := tp.mustCreate(t, inputs(map[string]any{
		"create":      "echo made",
		"delete":      `echo "$PULUMI_COMMAND_STDOUT $SAVED" > "$MARK"`,
		"environment": map[string]any{"MARK": mark, "SAVED": "saved-env"},
	}))
	if _, err := tp.Delete(context.Background(), &pulumirpc.DeleteRequest{
		Urn: testURN, Id: "test", Properties: toStruct(t, state),
	}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(mark)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "made saved-env\n" {
		t.Errorf("delete wrote %q", b)
	}
}

func TestDiffReplacesOnTriggersOnly(t *testing.T) {
	tp := newTestProvider()
	base := map[string]any{"create": "true", "environment": map[string]any{"A": "1"}, "triggers": []any{"a"}}
	olds := tp.mustCreate(t, inputs(base))
	with := func(key string, v any) resource.PropertyMap {
		m := inputs(base)
		if v == nil {
			delete(m, resource.PropertyKey(key))
		} else {
			m[resource.PropertyKey(key)] = resource.NewPropertyValue(v)
		}
		return m
	}
	kinds := func(d *pulumirpc.DiffResponse) map[string]pulumirpc.PropertyDiff_Kind {
		got := map[string]pulumirpc.PropertyDiff_Kind{}
		for path, pd := range d.GetDetailedDiff() {
			got[path] = pd.GetKind()
		}
		return got
	}

	if d := tp.diff(t, olds, inputs(base)); d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE || len(d.GetDiffs()) > 0 {
		t.Errorf("same inputs: %v", d)
	}
	for _, tc := range []struct {
		name     string
		news     resource.PropertyMap
		kinds    map[string]pulumirpc.PropertyDiff_Kind
		replaces []string
	}{
		{"create changed", with("create", "false"),
			map[string]pulumirpc.PropertyDiff_Kind{"create": pulumirpc.PropertyDiff_UPDATE}, nil},
		{"environment changed", with("environment", map[string]any{"A": "2"}),
			map[string]pulumirpc.PropertyDiff_Kind{"environment.A": pulumirpc.PropertyDiff_UPDATE}, nil},
		{"triggers removed", with("triggers", nil),
			map[string]pulumirpc.PropertyDiff_Kind{"triggers": pulumirpc.PropertyDiff_DELETE_REPLACE}, []string{"triggers"}},
		// A changed element is an update in the provider's diff, as in infer; the SDK's
		// replaceOnChanges ["triggers[*]"] has the engine replace the resource.
		{"trigger changed", with("triggers", []any{"b"}),
			map[string]pulumirpc.PropertyDiff_Kind{"triggers[0]": pulumirpc.PropertyDiff_UPDATE}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tp.diff(t, olds, tc.news)
			if d.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || !d.GetHasDetailedDiff() {
				t.Errorf("changes %v, detailed %v", d.GetChanges(), d.GetHasDetailedDiff())
			}
			if got := kinds(d); len(got) != len(tc.kinds) || !mapsEqual(got, tc.kinds) {
				t.Errorf("detailed diff %v, want %v", got, tc.kinds)
			}
			if !slices.Equal(d.GetReplaces(), tc.replaces) {
				t.Errorf("replaces %v, want %v", d.GetReplaces(), tc.replaces)
			}
		})
	}
	olds = tp.mustCreate(t, with("triggers", nil))
	if d := tp.diff(t, olds, inputs(base)); !slices.Equal(d.GetReplaces(), []string{"triggers"}) {
		t.Errorf("triggers added: replaces %v", d.GetReplaces())
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return len(a) == len(b)
}

func TestPreviewRunsNothing(t *testing.T) {
	mark := filepath.Join(t.TempDir(), "ran")
	touch := `touch "` + mark + `"`
	tp := newTestProvider()

	state, err := tp.create(t, inputs(map[string]any{"create": touch}), 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if !state["stdout"].IsComputed() || !state["stderr"].IsComputed() {
		t.Errorf("preview create: stdout %v, stderr %v, want unknown", state["stdout"], state["stderr"])
	}
	if plainString(state["create"]) != touch {
		t.Errorf("preview create: the create input %v is not passed through", state["create"])
	}

	olds := tp.mustCreate(t, inputs(map[string]any{"create": "echo old"}))
	state = tp.update(t, olds, inputs(map[string]any{"create": touch}), true)
	if !state["stdout"].IsComputed() {
		t.Errorf("preview update with a changed input: stdout %v, want unknown", state["stdout"])
	}
	// As in infer, an input that the old state lacks is no change for the outputs' preview.
	state = tp.update(t, olds, inputs(map[string]any{"create": "echo old", "update": touch}), true)
	if stdout(state) != "old" {
		t.Errorf("preview update with an added input: stdout %v, want the old one", state["stdout"])
	}
	state = tp.update(t, olds, inputs(map[string]any{"create": "echo old"}), true)
	if stdout(state) != "old" {
		t.Errorf("preview update with no changed input: stdout %v, want the old one", state["stdout"])
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Errorf("a preview ran the command (%v)", err)
	}
}

func TestSecretInputsStaySecret(t *testing.T) {
	tp := newTestProvider()
	news := inputs(map[string]any{"create": `echo "$TOKEN"`})
	news["environment"] = resource.NewObjectProperty(resource.PropertyMap{
		"TOKEN": resource.MakeSecret(resource.NewStringProperty("s3cret")),
	})
	state := tp.mustCreate(t, news)
	if !state["environment"].ObjectValue()["TOKEN"].IsSecret() {
		t.Errorf("environment.TOKEN in the state: %v, want a secret", state["environment"])
	}
	// As in the real provider, stdout is secret only through additionalSecretOutputs, which the
	// engine applies.
	if state["stdout"].IsSecret() || stdout(state) != "s3cret" {
		t.Errorf("stdout %v", state["stdout"])
	}
}

func TestCheck(t *testing.T) {
	tp := newTestProvider()
	if got, ok := tp.check(t, inputs(map[string]any{"create": "true"}))["addPreviousOutputInEnv"]; ok {
		t.Errorf("Check added addPreviousOutputInEnv: %v", got)
	}
	// A preview sends the values it does not know yet as unknowns: they pass, to be checked later.
	pending := inputs(map[string]any{"create": "true"})
	pending["environment"] = resource.NewObjectProperty(resource.PropertyMap{
		"LATER": resource.MakeComputed(resource.NewStringProperty("")),
		"NOW":   resource.NewStringProperty("x"),
	})
	pending["interpreter"] = resource.NewArrayProperty([]resource.PropertyValue{
		resource.NewStringProperty("/bin/sh"), resource.MakeComputed(resource.NewStringProperty("")),
	})
	if env := tp.check(t, pending)["environment"].ObjectValue(); !env["LATER"].IsComputed() {
		t.Errorf("an unknown environment value came back as %v", env["LATER"])
	}
	off := tp.check(t, inputs(map[string]any{"create": "true", "addPreviousOutputInEnv": false}))
	if got := off["addPreviousOutputInEnv"]; !got.IsBool() || got.BoolValue() {
		t.Errorf("addPreviousOutputInEnv false became %v", got)
	}
	for _, bad := range []map[string]any{
		{"create": 1.0},
		{"assetPaths": []any{"*.txt"}},
		{"archivePaths": []any{"*.txt"}},
		{"environment": map[string]any{"A": true}},
	} {
		resp, err := tp.Check(context.Background(), &pulumirpc.CheckRequest{Urn: testURN, News: toStruct(t, inputs(bad))})
		if err != nil || len(resp.GetFailures()) != 1 {
			t.Errorf("Check(%v): %v, failures %v", bad, err, resp.GetFailures())
		}
	}
}

// A custom timeout kills the interpreter and nothing else: there is no process group.
func TestTimeoutKillsOnlyTheShell(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	tp := newTestProvider()
	start := time.Now()
	_, err := tp.create(t, inputs(map[string]any{
		"create":      `sleep 60 >/dev/null 2>&1 & echo $! > "$PID_FILE"; wait`,
		"environment": map[string]any{"PID_FILE": pidFile},
	}), 1, false)
	if err == nil || !strings.HasPrefix(err.Error(), "signal: killed: running ") {
		t.Fatalf("error %v, want the shell killed", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Create took %v with a 1 s timeout", elapsed)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("the background sleep (pid %d) did not survive the shell: %v", pid, err)
	}
}

// Create returns when the output pipes close, not when the shell exits: a background child that
// keeps stdout open keeps it waiting, after a timeout too.
func TestBackgroundChildHoldingStdoutKeepsCreateWaiting(t *testing.T) {
	t.Parallel()
	tp := newTestProvider()
	start := time.Now()
	state := tp.mustCreate(t, inputs(map[string]any{"create": `(sleep 1; echo late) & echo early`}))
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Errorf("Create returned after %v, before the background child closed stdout", elapsed)
	}
	if stdout(state) != "early\nlate" {
		t.Errorf("stdout %q", stdout(state))
	}

	start = time.Now()
	_, err := tp.create(t, inputs(map[string]any{"create": `(sleep 2; echo late) & wait`}), 1, false)
	elapsed := time.Since(start)
	if err == nil || !strings.HasPrefix(err.Error(), "signal: killed: running ") || !strings.HasSuffix(err.Error(), ":\nlate\n") {
		t.Errorf("error %q, want the killed shell and the child's late output", err)
	}
	if elapsed < 1900*time.Millisecond {
		t.Errorf("Create returned after %v, before the background child closed stdout", elapsed)
	}
}

func TestCancelKillsRunningAndLaterCommands(t *testing.T) {
	t.Parallel()
	tp := newTestProvider()
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, _ = tp.Cancel(context.Background(), &emptypb.Empty{})
	}()
	_, err := tp.create(t, inputs(map[string]any{"create": "exec sleep 60"}), 0, false)
	if err == nil || !strings.HasPrefix(err.Error(), "signal: killed: running ") {
		t.Errorf("running command: error %v", err)
	}
	_, err = tp.create(t, inputs(map[string]any{"create": "true"}), 0, false)
	if err == nil || !strings.HasPrefix(err.Error(), "context canceled: running ") {
		t.Errorf("command after Cancel: error %v", err)
	}
}

func TestRunInvoke(t *testing.T) {
	tp := newTestProvider()
	args := inputs(map[string]any{"command": "cat", "stdin": "piped"})
	resp, err := tp.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: runToken, Args: toStruct(t, args)})
	if err != nil {
		t.Fatal(err)
	}
	if got := fromStruct(t, resp.GetReturn()); stdout(got) != "piped" {
		t.Errorf("stdout %v", got["stdout"])
	}
}
