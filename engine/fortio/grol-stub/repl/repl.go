// Package repl has the names of grol's read-eval-print loop that fortio refers to; it runs nothing.
package repl

import (
	"errors"
	"io"

	"grol.io/grol/eval"
)

type Options struct {
	ShowEval    bool
	PreInput    func(*eval.State)
	HistoryFile string
	MaxHistory  int
}

func Interactive(Options) int { return 1 }

func EvalAll(*eval.State, io.Reader, io.Writer, Options) []error {
	return []error{errors.New("grol is not in this build")}
}
