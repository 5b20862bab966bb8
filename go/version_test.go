package corsmatch

import "testing"

// One version everywhere: the library the package links reports the version the package was
// written for (the workspace version; go/run-tests.sh compares abiVersion with Cargo.toml).
func TestVersionIsTheLinkedLibrarysVersion(t *testing.T) {
	if got := Version(); got != abiVersion {
		t.Fatalf("Version() = %q, the package is for %q", got, abiVersion)
	}
}
