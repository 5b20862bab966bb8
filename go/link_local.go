//go:build !corsmatch_pkgconfig

package corsmatch

// By default the package links the static library built in this repository
// (`cargo build --release -p corsmatch-ffi`, or ffi-c/build-c.sh) with the header beside it.
// Build with `-tags corsmatch_pkgconfig` to take both from pkg-config instead (see link_pkgconfig.go).

/*
#cgo CFLAGS: -I${SRCDIR}/../ffi-c/include
#cgo LDFLAGS: ${SRCDIR}/../target/release/libcorsmatch.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
*/
import "C"
