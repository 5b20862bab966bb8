//go:build corsmatch_pkgconfig

package corsmatch

// With `-tags corsmatch_pkgconfig` the header and the static library come from pkg-config's
// corsmatch.pc (written by ffi-c/build-c.sh into target/release, or installed elsewhere):
//
//	PKG_CONFIG_PATH=/path/to/corsmatch/target/release go build -tags corsmatch_pkgconfig ./...

/*
#cgo pkg-config: corsmatch
*/
import "C"
