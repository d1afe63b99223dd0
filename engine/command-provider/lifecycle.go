// command:local:Command's life as infer gives it: Check, Diff, Create, Update, Delete and Read.
package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

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
