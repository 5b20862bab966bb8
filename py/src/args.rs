//! Reading Python arguments: profiles, targets, limits, strings. Wrong types raise
//! `TypeError`, wrong values `ValueError`; nothing here can panic.

use corsmatch::{ConfigError, CorsConfig, CorsRule, Options, Profile, Request, Target};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple, PyType};

/// A Python `str` argument with its UTF-8 text: the object is kept so that a value the
/// engine echoes verbatim (the Origin) can be returned without making a new string.
pub(crate) struct Text<'py> {
    pub(crate) object: Bound<'py, PyString>,
    pub(crate) text: PyBackedStr,
}

impl<'py> Text<'py> {
    pub(crate) fn new(object: Bound<'py, PyString>) -> PyResult<Text<'py>> {
        // Lone surrogates cannot be UTF-8: this raises UnicodeEncodeError, a ValueError.
        let text = PyBackedStr::try_from(object.clone())?;
        Ok(Text { object, text })
    }

    /// A request value, which the engine may echo into a response header or an error body:
    /// one holding CR, LF or NUL raises `corsmatch.InvalidHeaderValue` naming `argument`.
    pub(crate) fn request(object: Bound<'py, PyString>, argument: &'static str) -> PyResult<Text<'py>> {
        let text = Text::new(object)?;
        match forbidden_byte(text.as_str().as_bytes()) {
            None => Ok(text),
            Some(at) => Err(invalid_header_value(text.object.py(), argument, text.as_str().as_bytes()[at], at)),
        }
    }

    pub(crate) fn optional_request(
        object: Option<Bound<'py, PyString>>,
        argument: &'static str,
    ) -> PyResult<Option<Text<'py>>> {
        object.map(|o| Text::request(o, argument)).transpose()
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

/// The text of an optional argument.
fn text<'a>(t: &'a Option<Text<'_>>) -> Option<&'a str> {
    t.as_ref().map(Text::as_str)
}

/// A request's arguments other than the method, decoded (the target first).
pub(crate) struct RequestArgs<'py> {
    pub(crate) origin: Option<Text<'py>>,
    acrm: Option<Text<'py>>,
    pub(crate) acrh: Option<Text<'py>>,
    target: Target,
    request_id: Option<Text<'py>>,
    host_id: Option<Text<'py>>,
}

impl<'py> RequestArgs<'py> {
    pub(crate) fn decode(
        origin: Option<Bound<'py, PyString>>,
        acrm: Option<Bound<'py, PyString>>,
        acrh: Option<Bound<'py, PyString>>,
        target: Option<Bound<'py, PyString>>,
        request_id: Option<Bound<'py, PyString>>,
        host_id: Option<Bound<'py, PyString>>,
    ) -> PyResult<RequestArgs<'py>> {
        let target = self::target(target.as_ref())?;
        Ok(RequestArgs {
            origin: Text::optional_request(origin, "origin")?,
            acrm: Text::optional_request(acrm, "acrm")?,
            acrh: Text::optional_request(acrh, "acrh")?,
            target,
            request_id: Text::optional_request(request_id, "request_id")?,
            host_id: Text::optional_request(host_id, "host_id")?,
        })
    }

    /// The engine's request, borrowing the decoded texts.
    pub(crate) fn request<'a>(&'a self, method: &'a str) -> Request<'a> {
        Request {
            method,
            origin: text(&self.origin),
            acrm: text(&self.acrm),
            acrh: text(&self.acrh),
            target: self.target,
            request_id: text(&self.request_id),
            host_id: text(&self.host_id),
        }
    }
}

/// `"oss"` or `"s3"`.
pub(crate) fn profile(name: &Bound<'_, PyString>) -> PyResult<Profile> {
    let name = name.to_cow()?;
    name.parse().map_err(PyValueError::new_err)
}

/// `"object"`, `"bucket"` or `"nonexistent-bucket"`; `None` is `"object"`.
pub(crate) fn target(name: Option<&Bound<'_, PyString>>) -> PyResult<Target> {
    let Some(name) = name else { return Ok(Target::Object) };
    // The common names first, against interned strings: decoding the argument (under the
    // Python 3.9 stable ABI, a new bytes object and a String) cost about 20 ns a call.
    let py = name.py();
    if name.as_any().eq(pyo3::intern!(py, "object"))? {
        return Ok(Target::Object);
    }
    if name.as_any().eq(pyo3::intern!(py, "bucket"))? {
        return Ok(Target::Bucket);
    }
    name.to_cow()?.parse().map_err(PyValueError::new_err)
}

/// A non-negative size limit, `None` for the default.
pub(crate) fn limit(name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<usize>> {
    let Some(value) = value else { return Ok(None) };
    if value.is_none() {
        return Ok(None);
    }
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!("{name} must be an int or None, not bool")));
    }
    let n: i128 = match value.extract() {
        Ok(n) => n,
        Err(_) if value.is_instance_of::<PyInt>() => {
            return Err(PyValueError::new_err(format!("{name} must be between 0 and {}", usize::MAX)))
        }
        Err(_) => return Err(PyTypeError::new_err(format!("{name} must be an int or None, not {}", type_name(value)))),
    };
    usize::try_from(n)
        .map(Some)
        .map_err(|_| PyValueError::new_err(format!("{name} must be between 0 and {}, not {n}", usize::MAX)))
}

/// A configuration document: `bytes`, `bytearray` or `str` (encoded as UTF-8).
pub(crate) enum Document<'py> {
    Bytes(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl<'py> Document<'py> {
    pub(crate) fn new(data: &Bound<'py, PyAny>) -> PyResult<Document<'py>> {
        if let Ok(b) = data.cast::<PyBytes>() {
            return Ok(Document::Bytes(b.clone()));
        }
        if let Ok(s) = data.cast::<PyString>() {
            return Ok(Document::Owned(s.to_cow()?.into_owned().into_bytes()));
        }
        if let Ok(b) = data.cast::<PyByteArray>() {
            return Ok(Document::Owned(b.to_vec()));
        }
        Err(PyTypeError::new_err(format!("the configuration must be bytes or str, not {}", type_name(data))))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Document::Bytes(b) => b.as_bytes(),
            Document::Owned(v) => v,
        }
    }
}

/// The compile options from the keyword arguments.
pub(crate) fn options(
    profile: Option<&Bound<'_, PyString>>,
    max_rules: Option<&Bound<'_, PyAny>>,
    max_document_bytes: Option<&Bound<'_, PyAny>>,
    allow_credentials: bool,
    strict_origins: bool,
    max_compiled_bytes: Option<&Bound<'_, PyAny>>,
) -> PyResult<Options> {
    let profile = profile.map(self::profile).transpose()?.unwrap_or(Profile::Oss);
    let mut options = Options::new(profile).allow_credentials(allow_credentials).strict_origins(strict_origins);
    if let Some(n) = limit("max_rules", max_rules)? {
        options = options.max_rules(n);
    }
    if let Some(n) = limit("max_document_bytes", max_document_bytes)? {
        options = options.max_document_bytes(n);
    }
    if let Some(n) = limit("max_compiled_bytes", max_compiled_bytes)? {
        options = options.max_compiled_bytes(n);
    }
    Ok(options)
}

/// The keys of a rule in its dict form (the corpus' JSON form, and S3's and OSS's SDKs').
const RULE_KEYS: [&str; 6] = ["ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"];

/// A value or a list of values: `str`, a list or tuple of `str`, or `None` (no value).
fn strings(key: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if value.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(vec![s.to_cow()?.into_owned()]);
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for item in value.try_iter()? {
            let item = item?;
            match item.cast::<PyString>() {
                Ok(s) => out.push(s.to_cow()?.into_owned()),
                Err(_) => {
                    return Err(PyTypeError::new_err(format!("{key} items must be str, not {}", type_name(&item))))
                }
            }
        }
        return Ok(out);
    }
    Err(PyTypeError::new_err(format!("{key} must be a str or a list of str, not {}", type_name(value))))
}

/// One rule from its dict form.
fn rule(index: usize, value: &Bound<'_, PyAny>) -> PyResult<CorsRule> {
    let dict = value
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err(format!("rule {index} must be a dict, not {}", type_name(value))))?;
    let mut rule = CorsRule::default();
    for (key, value) in dict.iter() {
        let key = key
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err(format!("rule {index}: keys must be str, not {}", type_name(&key))))?
            .to_cow()?
            .into_owned();
        match key.as_str() {
            "AllowedOrigin" => rule.allowed_origins = strings(&key, &value)?,
            "AllowedMethod" => rule.allowed_methods = strings(&key, &value)?,
            "AllowedHeader" => rule.allowed_headers = strings(&key, &value)?,
            "ExposeHeader" => rule.expose_headers = strings(&key, &value)?,
            "ID" if value.is_none() => rule.id = None,
            "ID" => match value.cast::<PyString>() {
                Ok(s) => rule.id = Some(s.to_cow()?.into_owned()),
                Err(_) => return Err(PyTypeError::new_err(format!("ID must be a str, not {}", type_name(&value)))),
            },
            "MaxAgeSeconds" if value.is_none() => rule.max_age_seconds = None,
            "MaxAgeSeconds" => {
                if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
                    return Err(PyTypeError::new_err(format!(
                        "MaxAgeSeconds must be an int, not {}",
                        type_name(&value)
                    )));
                }
                let seconds: i128 = value.extract().unwrap_or(i128::MAX);
                rule.max_age_seconds = Some(u32::try_from(seconds).map_err(|_| {
                    PyValueError::new_err(format!("MaxAgeSeconds must be between 0 and {}, not {value}", u32::MAX))
                })?);
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "rule {index}: unknown key {other:?}, expected one of {}",
                    RULE_KEYS.join(", ")
                )))
            }
        }
    }
    Ok(rule)
}

/// A configuration from a list of rules in dict form.
pub(crate) fn config(rules: &Bound<'_, PyAny>, response_vary: Option<bool>) -> PyResult<CorsConfig> {
    if !(rules.is_instance_of::<PyList>() || rules.is_instance_of::<PyTuple>()) {
        return Err(PyTypeError::new_err(format!("rules must be a list of dicts, not {}", type_name(rules))));
    }
    let rules = rules.try_iter()?.enumerate().map(|(i, r)| rule(i, &r?)).collect::<PyResult<Vec<_>>>()?;
    Ok(CorsConfig { rules, response_vary })
}

/// A rule in dict form, every key present.
pub(crate) fn rule_dict<'py>(py: Python<'py>, rule: &CorsRule) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("ID", &rule.id)?;
    d.set_item("AllowedOrigin", &rule.allowed_origins)?;
    d.set_item("AllowedMethod", &rule.allowed_methods)?;
    d.set_item("AllowedHeader", &rule.allowed_headers)?;
    d.set_item("ExposeHeader", &rule.expose_headers)?;
    d.set_item("MaxAgeSeconds", rule.max_age_seconds)?;
    Ok(d)
}

/// The index of the first CR, LF or NUL in `bytes`. Each 32-byte block is tested without a
/// branch per byte (it vectorises: a 1 MiB Origin costs one fast pass); only the block that
/// holds one is searched byte by byte.
fn forbidden_byte(bytes: &[u8]) -> Option<usize> {
    fn forbidden(b: u8) -> bool {
        (b == b'\r') | (b == b'\n') | (b == 0)
    }
    let block = bytes.chunks(32).position(|block| block.iter().fold(false, |found, &b| found | forbidden(b)))?;
    bytes[block * 32..].iter().position(|&b| forbidden(b)).map(|at| block * 32 + at)
}

static INVALID_HEADER_VALUE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `corsmatch.InvalidHeaderValue(description, argument)` for byte `byte` at index `at`.
fn invalid_header_value(py: Python<'_>, argument: &'static str, byte: u8, at: usize) -> PyErr {
    let class = match INVALID_HEADER_VALUE.import(py, "corsmatch._errors", "InvalidHeaderValue") {
        Ok(c) => c,
        Err(err) => return err,
    };
    let name = match byte {
        b'\r' => "CR (0x0D)",
        b'\n' => "LF (0x0A)",
        _ => "NUL (0x00)",
    };
    let description = format!(
        "{argument} holds {name} at byte {at}: request values are echoed into the response, where CR, LF \
         and NUL would split it"
    );
    match class.call1((description, argument)) {
        Ok(value) => PyErr::from_value(value),
        Err(err) => err,
    }
}

static CONFIG_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `corsmatch.ConfigError(description, code, message, status, xml, kind)`.
pub(crate) fn config_error(py: Python<'_>, e: &ConfigError) -> PyErr {
    let class = match CONFIG_ERROR.import(py, "corsmatch._errors", "ConfigError") {
        Ok(c) => c,
        Err(err) => return err,
    };
    match class.call1((e.to_string(), e.code(), e.message(), e.status(), e.to_xml(None, None), e.kind().name())) {
        Ok(value) => PyErr::from_value(value),
        Err(err) => err,
    }
}

/// The name of an object's type, for error messages.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_string())
}
