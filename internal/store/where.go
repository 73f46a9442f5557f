package store

import (
	"fmt"
	"strings"
)

// where builds a WHERE clause from optional conditions, numbering their
// parameters in order. A condition names its parameter "$?".
type where struct {
	conds []string
	args  []any
}

// add appends a condition with its one parameter.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(w.args))))
}

// param adds a parameter used outside the conditions and returns its placeholder.
func (w *where) param(arg any) string {
	w.args = append(w.args, arg)
	return fmt.Sprintf("$%d", len(w.args))
}

// sql is the conditions joined with AND ("true" when there are none).
func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " AND ")
}
