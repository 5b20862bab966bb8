//! `corsmatch.Explanation`: what each rule made of a request. `to_dict()` has the shape and
//! the words of `corsmatch explain --json`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::response::Response;

/// One rule's verdict on a request.
#[pyclass(frozen, module = "corsmatch", name = "RuleVerdict")]
pub struct RuleVerdict {
    /// The rule's 0-based index.
    #[pyo3(get)]
    index: usize,
    /// `"match"`, `"origin"`, `"method"` or `"header"`: the first item that failed.
    #[pyo3(get)]
    result: &'static str,
    /// For `"header"`: the requested header (lowercased) that no AllowedHeader matches.
    #[pyo3(get)]
    header: Option<String>,
    /// A sentence saying why.
    #[pyo3(get)]
    detail: String,
}

impl RuleVerdict {
    fn new(r: &corsmatch::RuleExplanation) -> RuleVerdict {
        let v = &r.verdict;
        RuleVerdict {
            index: r.index,
            result: v.result(),
            header: v.header().map(str::to_string),
            detail: r.detail.clone(),
        }
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("rule", self.index)?;
        d.set_item("result", self.result)?;
        d.set_item("header", &self.header)?;
        d.set_item("detail", &self.detail)?;
        Ok(d)
    }
}

#[pymethods]
impl RuleVerdict {
    /// The CLI's JSON shape: `{"rule", "result", "header", "detail"}`.
    #[pyo3(name = "to_dict")]
    fn py_to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.to_dict(py)
    }

    fn __repr__(&self) -> String {
        match &self.header {
            Some(h) => format!("<corsmatch.RuleVerdict rule={} result='header' header={h:?}>", self.index),
            None => format!("<corsmatch.RuleVerdict rule={} result='{}'>", self.index, self.result),
        }
    }
}

/// The explanation of one request: each rule's verdict, the winner and the response.
#[pyclass(frozen, module = "corsmatch", name = "Explanation")]
pub struct Explanation {
    /// The method the rules were asked about (the ACRM, or the request's own); `None` for a
    /// preflight without ACRM.
    #[pyo3(get)]
    method: Option<String>,
    /// The requested headers as the rules saw them (lowercased, empty items dropped).
    #[pyo3(get)]
    headers: Vec<String>,
    /// Why the rules were not consulted: `"no-origin"`, `"no-config"`, `"refused"`, or `None`.
    #[pyo3(get)]
    skipped: Option<&'static str>,
    /// The sentence for `skipped`, as `corsmatch explain` prints it.
    skipped_text: Option<String>,
    verdicts: Vec<Py<RuleVerdict>>,
    /// The winning rule: the first that matched.
    #[pyo3(get)]
    winner: Option<usize>,
    response: Py<Response>,
}

impl Explanation {
    pub(crate) fn new(py: Python<'_>, e: corsmatch::Explanation) -> PyResult<Explanation> {
        let (skipped, skipped_text) = (e.skipped.map(|s| s.name()), e.skipped.map(|s| s.to_string()));
        let verdicts = e.rules.iter().map(|r| Py::new(py, RuleVerdict::new(r))).collect::<PyResult<Vec<_>>>()?;
        Ok(Explanation {
            method: e.method,
            headers: e.headers,
            skipped,
            skipped_text,
            verdicts,
            winner: e.winner,
            response: Py::new(py, Response::from_owned(py, &e.response))?,
        })
    }
}

#[pymethods]
impl Explanation {
    /// One verdict per rule, in order (empty when the rules were skipped).
    #[getter]
    fn rules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.verdicts.iter().map(|v| v.clone_ref(py)))
    }

    /// The response itself.
    #[getter]
    fn response(&self, py: Python<'_>) -> Py<Response> {
        self.response.clone_ref(py)
    }

    /// The shape of `corsmatch explain --json`: `{"method", "headers", "skipped", "rules":
    /// [{"rule", "result", "header", "detail"}], "winner", "response"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("method", &self.method)?;
        d.set_item("headers", &self.headers)?;
        d.set_item("skipped", &self.skipped_text)?;
        let rules = self.verdicts.iter().map(|v| v.get().to_dict(py)).collect::<PyResult<Vec<_>>>()?;
        d.set_item("rules", PyList::new(py, rules)?)?;
        d.set_item("winner", self.winner)?;
        d.set_item("response", self.response.bind(py).call_method0("to_dict")?)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let winner = self.winner.map_or("None".to_string(), |w| w.to_string());
        format!("<corsmatch.Explanation rules={} winner={winner}>", self.verdicts.len())
    }
}
