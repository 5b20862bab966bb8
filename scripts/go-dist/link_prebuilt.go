//go:build !corsmatch_pkgconfig

package corsmatch

// The released module carries the C library prebuilt for linux/amd64 in build/linux-amd64
// (static, so programs need nothing at run time) and the header in build/include. For another
// platform see link_unsupported.go, or build with -tags corsmatch_pkgconfig.

/*
#cgo CFLAGS: -I${SRCDIR}/build/include
#cgo linux,amd64 LDFLAGS: ${SRCDIR}/build/linux-amd64/libcorsmatch.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
*/
import "C"
