package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// The names pulumi-command's infer structs give the inputs of local.Command (common.ResourceInputs
// and local.BaseInputs); Diff compares these, and only these, between the old state and the news.
var inputNames = []resource.PropertyKey{
	"triggers", "create", "update", "delete",
	"stdin", "logging", "interpreter", "dir", "environment",
	"assetPaths", "archivePaths", "addPreviousOutputInEnv",
}

// commandInputs holds the inputs run needs, secrets unwrapped. A nil pointer is an input that is
// absent (or, in a preview, unknown), as in the real provider's structs.
type commandInputs struct {
	Create, Update, Delete *string
	Command                *string // command:local:run only
	Interpreter            []string
	Dir, Stdin             *string
	Environment            map[string]string
	Logging                *string
	AddPreviousOutputInEnv *bool
}

// decodeInputs reads the inputs from a property map. Every value of the wrong type, and every
// asset or archive glob, which this stand-in does not implement, is a failure that Check reports.
func decodeInputs(m resource.PropertyMap) (commandInputs, []*pulumirpc.CheckFailure) {
	var in commandInputs
	var failures []*pulumirpc.CheckFailure
	fail := func(key resource.PropertyKey, reason string) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: string(key), Reason: reason})
	}
	str := func(key resource.PropertyKey) *string {
		v, ok := value(m, key)
		if !ok {
			return nil
		}
		if !v.IsString() {
			fail(key, "expected a string, got "+v.TypeString())
			return nil
		}
		s := v.StringValue()
		return &s
	}
	in.Create, in.Update, in.Delete = str("create"), str("update"), str("delete")
	in.Command, in.Dir, in.Stdin, in.Logging = str("command"), str("dir"), str("stdin"), str("logging")
	if v, ok := value(m, "interpreter"); ok {
		if !v.IsArray() {
			fail("interpreter", "expected an array of strings, got "+v.TypeString())
			v = resource.NewArrayProperty(nil)
		}
		for _, e := range v.ArrayValue() {
			if e = plain(e); notKnown(e) {
				continue
			}
			if !e.IsString() {
				fail("interpreter", "expected an array of strings, got an element of type "+e.TypeString())
				break
			}
			in.Interpreter = append(in.Interpreter, e.StringValue())
		}
	}
	if v, ok := value(m, "environment"); ok {
		if !v.IsObject() {
			fail("environment", "expected a map of strings, got "+v.TypeString())
			v = resource.NewObjectProperty(nil)
		}
		in.Environment = map[string]string{}
		for k, e := range v.ObjectValue() {
			// An element not known yet (a preview) is checked once it is: no command runs before.
			if e = plain(e); notKnown(e) {
				continue
			}
			if !e.IsString() {
				fail("environment", fmt.Sprintf("expected a map of strings, got %q of type %s", k, e.TypeString()))
				continue
			}
			in.Environment[string(k)] = e.StringValue()
		}
	}
	if v, ok := value(m, "addPreviousOutputInEnv"); ok {
		if !v.IsBool() {
			fail("addPreviousOutputInEnv", "expected a boolean, got "+v.TypeString())
		} else {
			b := v.BoolValue()
			in.AddPreviousOutputInEnv = &b
		}
	}
	for _, key := range []resource.PropertyKey{"assetPaths", "archivePaths"} {
		if _, ok := value(m, key); ok {
			fail(key, string(key)+" is not supported by this stand-in for pulumi-command")
		}
	}
	return in, failures
}

// value returns the known value of m[key] with its secret wrappers removed, and whether there is one.
func value(m resource.PropertyMap, key resource.PropertyKey) (resource.PropertyValue, bool) {
	v := plain(m[key])
	if v.IsNull() || notKnown(v) {
		return v, false
	}
	return v, true
}

// notKnown tells a value the engine does not know yet, as in a preview.
func notKnown(v resource.PropertyValue) bool {
	return v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known)
}

// plain removes the secret (and output) wrappers around a value: the command sees the plain text.
func plain(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

// plainString is a saved stdout or stderr, "" when there is none.
func plainString(v resource.PropertyValue) string {
	if v = plain(v); v.IsString() {
		return v.StringValue()
	}
	return ""
}

func (in commandInputs) logStdout() bool {
	return in.Logging == nil || *in.Logging == "stdout" || *in.Logging == "stdoutAndStderr"
}

func (in commandInputs) logStderr() bool {
	return in.Logging == nil || *in.Logging == "stderr" || *in.Logging == "stdoutAndStderr"
}

// run runs command the way pulumi-command's local run (commandOutputs.go) does: through the
// interpreter, in dir, with the provider's environment plus `environment` plus, unless
// addPreviousOutputInEnv is false, the previous stdout and stderr (prevStdout, prevStderr: empty
// on create). exec.CommandContext without WaitDelay and without a process group, as there: when
// ctx ends only the interpreter gets SIGKILL, and Wait still waits until every process that holds
// the output pipes has closed them. Each output line goes to logLine as it comes.
func run(ctx context.Context, logLine func(string), command string, in commandInputs,
	prevStdout, prevStderr string,
) (stdout, stderr string, err error) {
	var args []string
	if len(in.Interpreter) > 0 {
		args = append(args, in.Interpreter...)
	} else if runtime.GOOS == "windows" {
		args = []string{"cmd", "/C"}
	} else {
		args = []string{"/bin/sh", "-c"}
	}
	args = append(args, command)

	var stdoutbuf, stderrbuf, stdouterrbuf bytes.Buffer // stdouterrbuf is only for error messages
	stdouterr := &lockedWriter{w: &stdouterrbuf}
	// The lines to log go through an unbuffered pipe, as in the real provider: the command's output
	// is copied no faster than the engine takes the log lines.
	loggingReader, loggingWriter := io.Pipe()

	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	stdoutWriters := []io.Writer{&stdoutbuf, stdouterr}
	if in.logStdout() {
		stdoutWriters = append(stdoutWriters, loggingWriter)
	}
	cmd.Stdout = io.MultiWriter(stdoutWriters...)
	stderrWriters := []io.Writer{&stderrbuf, stdouterr}
	if in.logStderr() {
		stderrWriters = append(stderrWriters, loggingWriter)
	}
	cmd.Stderr = io.MultiWriter(stderrWriters...)

	if in.Dir != nil {
		cmd.Dir = *in.Dir
	} else if cmd.Dir, err = os.Getwd(); err != nil {
		return "", "", err
	}
	cmd.Env = os.Environ()
	for k, v := range in.Environment {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if in.AddPreviousOutputInEnv == nil || *in.AddPreviousOutputInEnv {
		if prevStdout != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+prevStdout)
		}
		if prevStderr != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDERR="+prevStderr)
		}
	}
	if in.Stdin != nil && len(*in.Stdin) > 0 {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}

	logged := make(chan struct{})
	go logOutput(loggingReader, logged, logLine)

	err = cmd.Start()
	if err == nil {
		err = cmd.Wait()
	}
	loggingWriter.Close()
	<-logged

	if err != nil {
		return "", "", fmt.Errorf("%w: running %q:\n%s", err, command, stdouterrbuf.String())
	}
	return strings.TrimSuffix(stdoutbuf.String(), "\n"), strings.TrimSuffix(stderrbuf.String(), "\n"), nil
}

// logOutput logs r line by line, like util.LogOutput: a bufio.Scanner with its default 64 KiB line
// limit, so a longer line ends the logging (and, as in the real provider, blocks the command's
// output copying from then on).
func logOutput(r io.Reader, done chan<- struct{}, logLine func(string)) {
	defer close(done)
	scanner := bufio.NewScanner(r)
	for scanner.Scan() {
		logLine(scanner.Text())
	}
}

// lockedWriter lets stdout and stderr, copied by two goroutines, write into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}
