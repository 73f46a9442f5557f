package domain

import (
	"errors"
	"fmt"
)

// Error kinds callers test with errors.Is. The store returns them wrapped, with
// the cause kept for the logs; the edge maps them to a message in the user's
// language.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrInvalid   = errors.New("invalid")
	ErrForbidden = errors.New("forbidden")
)

// ConstraintError is a write refused by a database constraint.
type ConstraintError struct {
	Kind       error // ErrConflict (unique) or ErrInvalid (check, foreign key, not null)
	Constraint string
	Table      string
	Detail     string
}

func (e *ConstraintError) Error() string {
	return fmt.Sprintf("%v: constraint %s on %s: %s", e.Kind, e.Constraint, e.Table, e.Detail)
}

// Is makes errors.Is(err, ErrConflict) and errors.Is(err, ErrInvalid) work.
func (e *ConstraintError) Is(target error) bool { return target == e.Kind }

// NotFoundError names what was looked for.
type NotFoundError struct {
	Entity string
	Key    string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q not found", e.Entity, e.Key) }

// Is makes errors.Is(err, ErrNotFound) work.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }
