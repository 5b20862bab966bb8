//! `corsmatch.Interner`: one compiled rule set shared by the buckets whose documents say the
//! same thing.

use pyo3::prelude::*;
use pyo3::types::{PyAny, PyDict, PyString};

use crate::args;
use crate::ruleset::RuleSet;

/// Hands out rule sets that share one compiled structure for all the documents that parse to
/// the same configuration under the same profile and options. Holds them weakly: a structure
/// is freed with the last `RuleSet` that uses it. Thread-safe; share one object.
#[pyclass(frozen, module = "corsmatch", name = "Interner")]
pub struct Interner {
    inner: corsmatch::Interner,
}

#[pymethods]
impl Interner {
    #[new]
    fn new() -> Interner {
        Interner { inner: corsmatch::Interner::new() }
    }

    /// As `RuleSet.from_xml` (the same arguments, the same errors), sharing the compiled
    /// structure of an earlier document with the same configuration, profile and options.
    #[pyo3(
        signature = (data, profile=None, *, max_rules=None, max_document_bytes=None, allow_credentials=true, strict_origins=false, max_compiled_bytes=None),
        text_signature = "($self, data, profile='oss', *, max_rules=None, max_document_bytes=None, allow_credentials=True, strict_origins=False, max_compiled_bytes=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    // The Python name mirrors `RuleSet.from_xml`, whose arguments it takes.
    #[allow(clippy::wrong_self_convention)]
    fn from_xml(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        profile: Option<&Bound<'_, PyString>>,
        max_rules: Option<&Bound<'_, PyAny>>,
        max_document_bytes: Option<&Bound<'_, PyAny>>,
        allow_credentials: bool,
        strict_origins: bool,
        max_compiled_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RuleSet> {
        let options = args::options(
            profile,
            max_rules,
            max_document_bytes,
            allow_credentials,
            strict_origins,
            max_compiled_bytes,
        )?;
        let inner = &self.inner;
        RuleSet::compile_document(py, data, |d| inner.compile_xml(&options, d), |py, e| args::config_error(py, &e))
    }

    /// Counts: `hits`, `misses` (compilations; refused documents are not counted), `sets`
    /// (distinct structures alive now), `entries` (kept, dead ones not yet pruned included).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("hits", s.hits)?;
        d.set_item("misses", s.misses)?;
        d.set_item("sets", s.sets)?;
        d.set_item("entries", s.entries)?;
        Ok(d)
    }

    /// The distinct compiled structures alive now.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        let s = self.inner.stats();
        format!("<corsmatch.Interner sets={} hits={} misses={}>", s.sets, s.hits, s.misses)
    }
}
