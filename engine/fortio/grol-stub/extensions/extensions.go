// Package extensions has the names of grol's extensions that fortio refers to: Init fails, so that
// `fortio script` stops at once and says why.
package extensions

import (
	"errors"

	"grol.io/grol/object"
)

type Config struct {
	HasLoad, HasSave, UnrestrictedIOs, LoadSaveEmptyOnly bool
}

func Init(*Config) error {
	return errors.New("fortio script is not in this build: grol.io/grol is stood in (engine/fortio/grol-stub)")
}

func MustCreate(object.Extension) {}
