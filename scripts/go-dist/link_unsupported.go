//go:build !corsmatch_pkgconfig && !(linux && amd64)

package corsmatch

/*
#error "corsmatch: this module ships the C library prebuilt for linux/amd64 only. On this platform build it from the corsmatch repository with Rust (make install PREFIX=$HOME/.local), then build with: PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig go build -tags corsmatch_pkgconfig (README: Install, Other platforms)."
*/
import "C"
