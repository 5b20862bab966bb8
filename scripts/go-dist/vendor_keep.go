//go:build corsmatch_vendor_keep

package corsmatch

// Never built (the tag is never set): `go mod vendor` copies only folders of imported Go
// packages, considering every build tag, so these imports keep build/ in a vendor tree.
import (
	_ "github.com/corsmatch/corsmatch/go/build/include"
	_ "github.com/corsmatch/corsmatch/go/build/linux-amd64"
)
