//! Python bindings of corsmatch: the extension module `corsmatch._corsmatch`, re-exported by
//! the `corsmatch` package (`py/python/corsmatch`).
//!
//! The compiled [`RuleSet`] is a frozen class around the core's `RuleSet`, so one object is
//! shared by every thread without a lock. Each thread evaluates with its own `Scratch`
//! (thread-local), and the Python strings that a rule always answers with (Allow-Methods,
//! Expose-Headers, Max-Age) are made once, when the rule set is compiled.

#![forbid(unsafe_code)]

mod args;
mod explain;
mod intern;
mod lint;
mod response;
mod ruleset;

use pyo3::prelude::*;

/// The module. Everything it holds is immutable or per-thread, so it runs without the GIL on
/// free-threaded builds.
#[pymodule(gil_used = false)]
fn _corsmatch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ruleset::RuleSet>()?;
    m.add_class::<intern::Interner>()?;
    m.add_class::<response::Response>()?;
    m.add_class::<explain::Explanation>()?;
    m.add_class::<explain::RuleVerdict>()?;
    m.add_class::<lint::Finding>()?;
    m.add_class::<lint::LintExample>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("CORE_VERSION", corsmatch::VERSION)?;
    Ok(())
}
