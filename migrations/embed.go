// Package migrations holds Relais' SQL schema as goose migrations, embedded in
// the binary so that `relais migrate` needs no files on disk.
package migrations

import "embed"

// FS holds every *.sql migration, applied in file-name order.
//
//go:embed *.sql
var FS embed.FS
