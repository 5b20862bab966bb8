package corsmatch

/*
#include "corsmatch.h"
*/
import "C"

import (
	"runtime"
	"sync"
)

// Interner hands out one compiled rule set for all the documents that parse to the same
// configuration under the same profile and options: a node with many buckets keeps one copy
// of each distinct configuration. Formatting, comments and the XML declaration do not matter;
// values are compared as the provider keeps them. The interner holds the sets weakly: a set is
// freed when the last RuleSet that uses it is closed (or collected). It is safe for
// concurrent use. Close frees it; a finalizer does so too when it becomes unreachable.
type Interner struct {
	mu  sync.RWMutex
	ptr *C.corsmatch_interner
}

// InternerStats are an Interner's counts.
type InternerStats struct {
	// Hits are compilations answered with a set already compiled.
	Hits uint64
	// Misses are compilations that compiled a set (refused documents are not counted).
	Misses uint64
	// Sets are the distinct sets alive now.
	Sets int
	// Entries are the entries kept, those of sets freed but not yet pruned included.
	Entries int
}

// NewInterner returns an empty interner.
func NewInterner() (*Interner, error) {
	var ptr *C.corsmatch_interner
	if r := C.corsmatch_interner_new(&ptr); r != C.CORSMATCH_OK {
		return nil, resultError(r)
	}
	in := &Interner{ptr: ptr}
	runtime.SetFinalizer(in, (*Interner).free)
	return in, nil
}

func (in *Interner) free() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.ptr != nil {
		C.corsmatch_interner_free(in.ptr)
		in.ptr = nil
	}
}

// Close frees the interner; the rule sets it handed out stay valid. Afterwards Compile and
// Stats return ErrClosed. Closing twice is harmless.
func (in *Interner) Close() error {
	runtime.SetFinalizer(in, nil)
	in.free()
	return nil
}

// Compile is Compile (the package function) through the interner: the same validation and
// errors, and a RuleSet that shares the compiled set of an earlier document with the same
// configuration, profile and options while one is alive. opts may be nil.
func (in *Interner) Compile(xml []byte, profile Profile, opts *Options) (*RuleSet, error) {
	in.mu.RLock()
	defer in.mu.RUnlock()
	if in.ptr == nil {
		return nil, ErrClosed
	}
	return compileWith(xml, profile, opts, func(doc *C.char, n C.size_t, o *C.corsmatch_options,
		out **C.corsmatch_ruleset, cerr **C.corsmatch_error) C.corsmatch_result {
		return C.corsmatch_interner_compile(in.ptr, doc, n, C.corsmatch_profile(profile), o, out, cerr)
	})
}

// Stats returns the interner's counts. It walks every entry under locks: call it for
// monitoring, not per request.
func (in *Interner) Stats() (InternerStats, error) {
	in.mu.RLock()
	defer in.mu.RUnlock()
	if in.ptr == nil {
		return InternerStats{}, ErrClosed
	}
	var s C.corsmatch_interner_counts
	if r := C.corsmatch_interner_stats(in.ptr, &s); r != C.CORSMATCH_OK {
		return InternerStats{}, resultError(r)
	}
	return InternerStats{Hits: uint64(s.hits), Misses: uint64(s.misses), Sets: int(s.sets), Entries: int(s.entries)}, nil
}

// SharesWith reports whether the two rule sets use one compiled set (as an Interner hands
// out) rather than two equal ones; false when either is closed.
func (rs *RuleSet) SharesWith(other *RuleSet) bool {
	if rs == nil || other == nil {
		return false
	}
	shared := bool(C.corsmatch_ruleset_shares_with(rs.ptr, other.ptr))
	runtime.KeepAlive(rs)
	runtime.KeepAlive(other)
	return shared
}
