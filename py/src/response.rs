//! `corsmatch.Response`: the answer to one request, as Python strings.

use corsmatch::render::HEADER_ORDER;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

/// Header names as interned Python strings, in [`HEADER_ORDER`].
static NAMES: PyOnceLock<[Py<PyString>; 7]> = PyOnceLock::new();

fn names(py: Python<'_>) -> &[Py<PyString>; 7] {
    NAMES.get_or_init(py, || HEADER_ORDER.map(|n| PyString::intern(py, n).unbind()))
}

/// A refused preflight's code, message and XML body.
pub(crate) struct ErrorParts {
    pub(crate) code: Py<PyString>,
    pub(crate) message: Py<PyString>,
    pub(crate) body: Py<PyString>,
}

/// The response the provider sends to a preflight, or the headers it adds to an actual
/// request. Immutable.
#[pyclass(frozen, module = "corsmatch", name = "Response")]
pub struct Response {
    pub(crate) status: Option<u16>,
    pub(crate) rule: Option<usize>,
    /// Header values in [`HEADER_ORDER`]; `None` is not sent.
    pub(crate) values: [Option<Py<PyString>>; 7],
    pub(crate) error: Option<ErrorParts>,
}

impl Response {
    /// From the core's owned response (large requests and explanations).
    pub(crate) fn from_owned(py: Python<'_>, r: &corsmatch::Response) -> Response {
        let mut values: [Option<Py<PyString>>; 7] = Default::default();
        for (name, value) in &r.headers {
            // The engine only sends names from HEADER_ORDER; anything else would be a bug
            // there, and is dropped rather than answered under the wrong name.
            if let Some(slot) = HEADER_ORDER.iter().position(|n| n == name) {
                values[slot] = Some(PyString::new(py, value).unbind());
            }
        }
        Response {
            status: r.status,
            rule: r.rule,
            values,
            error: r.error.as_ref().map(|e| ErrorParts {
                code: PyString::intern(py, &e.code).unbind(),
                message: PyString::new(py, &e.message).unbind(),
                body: PyString::new(py, &e.body).unbind(),
            }),
        }
    }

    fn pairs<'a, 'py>(&'a self, py: Python<'py>) -> impl Iterator<Item = (&'a Py<PyString>, &'a Py<PyString>)> + 'a
    where
        'py: 'a,
    {
        names(py).iter().zip(self.values.iter()).filter_map(|(n, v)| v.as_ref().map(|v| (n, v)))
    }
}

#[pymethods]
impl Response {
    /// 200, 400, 403 or 404 for a preflight; `None` for an actual request.
    #[getter]
    fn status(&self) -> Option<u16> {
        self.status
    }

    /// The 0-based index of the matched rule, or `None`.
    #[getter]
    fn rule(&self) -> Option<usize> {
        self.rule
    }

    /// Whether a rule matched (the CORS headers are sent).
    #[getter]
    fn allowed(&self) -> bool {
        self.rule.is_some()
    }

    /// `[(name, value), ...]` in the order they are sent.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .pairs(py)
            .map(|(n, v)| PyTuple::new(py, [n.clone_ref(py), v.clone_ref(py)]))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// The provider's error code of a refused preflight (`AccessForbidden`, ...).
    #[getter]
    fn error_code(&self, py: Python<'_>) -> Option<Py<PyString>> {
        self.error.as_ref().map(|e| e.code.clone_ref(py))
    }

    /// The provider's error message of a refused preflight, verbatim.
    #[getter]
    fn error_message(&self, py: Python<'_>) -> Option<Py<PyString>> {
        self.error.as_ref().map(|e| e.message.clone_ref(py))
    }

    /// The XML error body of a refused preflight; `None` otherwise (a 200 has an empty body).
    #[getter]
    fn body(&self, py: Python<'_>) -> Option<Py<PyString>> {
        self.error.as_ref().map(|e| e.body.clone_ref(py))
    }

    /// The value of a header (name compared ASCII-case-insensitively), or `None`.
    fn header(&self, py: Python<'_>, name: &Bound<'_, PyString>) -> PyResult<Option<Py<PyString>>> {
        let name = name.to_cow()?;
        Ok(HEADER_ORDER
            .iter()
            .zip(self.values.iter())
            .find(|(n, v)| v.is_some() && n.eq_ignore_ascii_case(&name))
            .and_then(|(_, v)| v.as_ref().map(|v| v.clone_ref(py))))
    }

    /// The CLI's JSON shape: `{"status", "headers": [[name, value], ...], "error": None |
    /// {"code", "message", "body"}, "rule"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("status", self.status)?;
        let headers = self
            .pairs(py)
            .map(|(n, v)| PyList::new(py, [n.clone_ref(py), v.clone_ref(py)]))
            .collect::<PyResult<Vec<_>>>()?;
        d.set_item("headers", PyList::new(py, headers)?)?;
        match &self.error {
            None => d.set_item("error", py.None())?,
            Some(e) => {
                let err = PyDict::new(py);
                err.set_item("code", e.code.clone_ref(py))?;
                err.set_item("message", e.message.clone_ref(py))?;
                err.set_item("body", e.body.clone_ref(py))?;
                d.set_item("error", err)?;
            }
        }
        d.set_item("rule", self.rule)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let status = self.status.map_or("None".to_string(), |s| s.to_string());
        let rule = self.rule.map_or("None".to_string(), |r| r.to_string());
        let mut out = format!("<corsmatch.Response status={status} rule={rule}");
        if let Some(e) = &self.error {
            out.push_str(&format!(" error={}", e.code.bind(py).repr()?));
        }
        out.push_str(&format!(" headers={}>", self.headers(py)?.repr()?));
        Ok(out)
    }
}
