package corsmatch

// The package references the library's versioned symbol corsmatch_abi_<major>_<minor>_<patch>
// (ffi-c/build.rs): linked against a library of another version, a program fails at link time
// with "undefined reference to `corsmatch_abi_...'" instead of misbehaving at run time.
// When the workspace version changes, change both names below (go/run-tests.sh checks it).

/*
#include <stdint.h>
extern uint32_t corsmatch_abi_0_1_0(void);
*/
import "C"

// abiVersion is the version of the C library this package is written for.
const abiVersion = "0.1.0"

func init() {
	if C.corsmatch_abi_0_1_0() != 1 {
		panic("corsmatch: the C library's version symbol answered wrongly")
	}
}
