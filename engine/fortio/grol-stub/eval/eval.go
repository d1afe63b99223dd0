// Package eval has the names of grol's evaluator that fortio refers to; it evaluates nothing.
package eval

import (
	"context"
	"errors"
	"fmt"

	"grol.io/grol/object"
)

var errNoGrol = errors.New("grol is not in this build")

type Terminal interface {
	Suspend()
	Resume(context.Context) (context.Context, context.CancelFunc)
}

type State struct {
	Term    Terminal
	Context context.Context
	Cancel  context.CancelFunc
}

func NewState() *State                         { return &State{} }
func (s *State) Error(err error) object.Object { return object.String{Value: err.Error()} }
func (s *State) Errorf(format string, a ...any) object.Object {
	return s.Error(fmt.Errorf(format, a...))
}

func EvalString(*State, string, bool) (object.Object, error) { return nil, errNoGrol }
