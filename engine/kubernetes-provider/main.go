// pulumi-resource-kubernetes, built from the provider module of engine/versions.env. The module's own
// main embeds schema-embed.json and terraform-mapping-embed.json, which its Makefile generates and
// the module does not ship; this main embeds the committed schema.json and terraform-mapping.json
// (engine/install.sh copies them beside it) and sets the schema's version as that generator does.
package main

import (
	_ "embed"
	"encoding/json"
	"log"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	var spec map[string]any
	if err := json.Unmarshal(schema, &spec); err != nil {
		log.Fatalf("embedded schema.json: %v", err)
	}
	spec["version"] = version.Version
	versioned, err := json.Marshal(spec)
	if err != nil {
		log.Fatalf("embedded schema.json: %v", err)
	}
	provider.Serve("kubernetes", version.Version, versioned, terraformMapping)
}
