// Package object has the names of grol's values that fortio refers to; none holds a value.
package object

import (
	"errors"
	"io"
)

type Type uint8

const (
	STRING Type = iota + 1
	MAP
)

type Object interface{ Inspect() string }

type String struct{ Value string }

func (s String) Inspect() string { return s.Value }

type Integer struct{ Value int64 }

func (Integer) Inspect() string { return "" }

type Boolean struct{ Value bool }

func (Boolean) Inspect() string { return "" }

var TRUE = Boolean{Value: true}

type Map struct{}

func (Map) Inspect() string             { return "" }
func (Map) Get(Object) (Object, bool)   { return nil, false }
func (Map) JSON(io.Writer) error        { return errors.New("grol is not in this build") }
func MakeQuad(_, _, _, _ Object) Object { return Map{} }

type Extension struct {
	Name             string
	MinArgs, MaxArgs int
	Help             string
	ArgTypes         []Type
	Callback         func(env any, name string, args []Object) Object
	DontCache        bool
}
