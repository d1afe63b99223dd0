// A stand-in for grol.io/grol, the scripting language of `fortio script`, which the Go module proxy
// does not serve: it has the names fortio v1.75.3's grol package uses, and scripting fails at its
// start. Nothing else in fortio uses it: `fortio load` is fortio's own.
module grol.io/grol

go 1.25
