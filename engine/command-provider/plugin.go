// What the plugin tells the engine of itself (info, schema, configuration, cancel), and the
// command:local:run invoke.
package main

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

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
