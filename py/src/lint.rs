//! `corsmatch.Finding`: one finding of `RuleSet.lint()`. `to_dict()` is one element of the
//! array `corsmatch lint --json` prints, and `str()` its line of `corsmatch lint`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A request that shows a finding (an overlap): an actual request with this Origin and
/// method, or a preflight with this Origin, Access-Control-Request-Method and
/// Access-Control-Request-Headers.
#[pyclass(frozen, module = "corsmatch", name = "LintExample")]
pub struct LintExample {
    /// The `Origin`.
    #[pyo3(get)]
    origin: String,
    /// The method, or the preflight's `Access-Control-Request-Method`.
    #[pyo3(get)]
    method: String,
    /// The `Access-Control-Request-Headers` items; empty for none.
    #[pyo3(get)]
    headers: Vec<String>,
}

impl LintExample {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("origin", &self.origin)?;
        d.set_item("method", &self.method)?;
        d.set_item("headers", &self.headers)?;
        Ok(d)
    }
}

#[pymethods]
impl LintExample {
    /// The CLI's JSON shape: `{"origin", "method", "headers"}`.
    #[pyo3(name = "to_dict")]
    fn py_to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.to_dict(py)
    }

    fn __repr__(&self) -> String {
        format!("<corsmatch.LintExample origin={:?} method={:?} headers={:?}>", self.origin, self.method, self.headers)
    }
}

/// One lint finding: a stable id, a severity, the rule and item it is about, what is wrong
/// and what to do. Immutable.
#[pyclass(frozen, module = "corsmatch", name = "Finding")]
pub struct Finding {
    inner: corsmatch::lint::Finding,
    example: Option<Py<LintExample>>,
}

impl Finding {
    pub(crate) fn new(py: Python<'_>, mut inner: corsmatch::lint::Finding) -> PyResult<Finding> {
        let example = inner
            .example
            .take()
            .map(|e| Py::new(py, LintExample { origin: e.origin, method: e.method, headers: e.headers }))
            .transpose()?;
        Ok(Finding { inner, example })
    }
}

#[pymethods]
impl Finding {
    /// The stable id: `"shadowed-rule"`, `"overlap"`, `"origin-no-scheme"`, ...
    #[getter]
    fn id(&self) -> &'static str {
        self.inner.id
    }

    /// `"info"`, `"warning"` or `"error"`.
    #[getter]
    fn severity(&self) -> &'static str {
        self.inner.severity.name()
    }

    /// Whether it is a warning or an error (`corsmatch lint` exits 1 when one is).
    #[getter]
    fn is_problem(&self) -> bool {
        self.inner.is_problem()
    }

    /// The rule's 0-based index; `None` for the configuration as a whole.
    #[getter]
    fn rule(&self) -> Option<usize> {
        self.inner.rule
    }

    /// `"AllowedOrigin"`, `"AllowedMethod"`, `"AllowedHeader"` or `"ExposeHeader"`: the
    /// element the finding is about; `None` for a whole rule or configuration.
    #[getter]
    fn element(&self) -> Option<&'static str> {
        self.inner.element
    }

    /// The item's 0-based index among the rule's values of `element`; `None` when the
    /// finding is about no single item.
    #[getter]
    fn item(&self) -> Option<usize> {
        self.inner.item
    }

    /// One line saying what is wrong.
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }

    /// One line saying what to do.
    #[getter]
    fn fix(&self) -> &str {
        &self.inner.fix
    }

    /// The other rules involved: the earlier rules that shadow this one, the rule it
    /// overlaps.
    #[getter]
    fn related(&self) -> Vec<usize> {
        self.inner.related.clone()
    }

    /// A request that shows the finding (overlap), or `None`.
    #[getter]
    fn example(&self, py: Python<'_>) -> Option<Py<LintExample>> {
        self.example.as_ref().map(|e| e.clone_ref(py))
    }

    /// One element of `corsmatch lint --json`: `{"id", "severity", "rule", "element", "item",
    /// "message", "fix", "related", "example": None | {"origin", "method", "headers"}}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let f = &self.inner;
        let d = PyDict::new(py);
        d.set_item("id", f.id)?;
        d.set_item("severity", f.severity.name())?;
        d.set_item("rule", f.rule)?;
        d.set_item("element", f.element)?;
        d.set_item("item", f.item)?;
        d.set_item("message", &f.message)?;
        d.set_item("fix", &f.fix)?;
        d.set_item("related", &f.related)?;
        match &self.example {
            None => d.set_item("example", py.None())?,
            Some(e) => d.set_item("example", e.get().to_dict(py)?)?,
        }
        Ok(d)
    }

    /// The line `corsmatch lint` prints: `severity id rule N[ item M]: message (fix: ...)`.
    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        let place = match (self.inner.rule, self.inner.item) {
            (None, _) => "config".to_string(),
            (Some(r), None) => format!("rule={r}"),
            (Some(r), Some(i)) => format!("rule={r} item={i}"),
        };
        format!("<corsmatch.Finding {} {} {place}>", self.inner.severity, self.inner.id)
    }
}
