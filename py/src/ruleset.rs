//! `corsmatch.RuleSet`: a compiled configuration, evaluated from any number of threads.

use std::cell::RefCell;

use corsmatch::render::{OSS_VARY, S3_VARY};
use corsmatch::{Decision, Profile, Scratch};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyList, PyString};

use crate::args::{self, Document, RequestArgs, Text};
use crate::explain::Explanation;
use crate::lint::Finding;
use crate::response::{ErrorParts, Response};

use corsmatch::render::slot::{
    ALLOW_CREDENTIALS as ACAC, ALLOW_HEADERS as ACAH, ALLOW_METHODS as ACAM, ALLOW_ORIGIN as ACAO,
    EXPOSE_HEADERS as ACEH, MAX_AGE as ACMA, VARY,
};

/// Requests with more input than this (Origin, ACRM, ACRH and the ids, in bytes) are
/// evaluated with the GIL released and with a scratch space of their own. A typical request
/// takes a few hundred nanoseconds, about what releasing and taking back the GIL costs, so
/// those keep it; one of 4 KiB takes microseconds (its cost is linear in the ACRH), worth
/// letting other threads run, and the thread's scratch does not keep its size.
const LARGE_REQUEST: usize = 4 * 1024;

thread_local! {
    /// Each thread's working memory: after the first requests, evaluation allocates nothing.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// A header value a rule always answers with, as text and as a Python string made once.
struct Baked {
    text: Box<str>,
    object: Py<PyString>,
}

impl Baked {
    fn new(py: Python<'_>, text: String) -> Baked {
        let object = PyString::new(py, &text).unbind();
        Baked { text: text.into_boxed_str(), object }
    }

    fn get(&self, value: &str) -> Option<&Py<PyString>> {
        (&*self.text == value).then_some(&self.object)
    }
}

/// The Python strings of one rule's fixed headers.
struct RuleStrings {
    methods: Baked,
    expose: Option<Baked>,
    max_age: Option<Baked>,
}

/// A compiled CORS configuration (or a bucket without one). Immutable; share one object
/// between threads.
#[pyclass(frozen, module = "corsmatch", name = "RuleSet")]
pub struct RuleSet {
    inner: corsmatch::RuleSet,
    rules: Box<[RuleStrings]>,
    star: Baked,
    yes: Baked,
    s3_vary: Baked,
    oss_vary: Baked,
}

impl RuleSet {
    /// The body of the constructors: reads `data` and compiles it with `compile`, with the GIL
    /// released (parsing and building the automata takes microseconds to milliseconds), and
    /// turns a failure into its exception with `error`.
    pub(crate) fn compile_document<E: Send>(
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        compile: impl FnOnce(&[u8]) -> Result<corsmatch::RuleSet, E> + Send,
        error: impl FnOnce(Python<'_>, E) -> PyErr,
    ) -> PyResult<RuleSet> {
        let document = Document::new(data)?;
        let bytes = document.as_bytes();
        match py.detach(|| compile(bytes)) {
            Ok(inner) => Ok(RuleSet::new(py, inner)),
            Err(e) => Err(error(py, e)),
        }
    }

    pub(crate) fn new(py: Python<'_>, inner: corsmatch::RuleSet) -> RuleSet {
        // These are the values the engine renders for each rule (compile.rs); a value that
        // differs is still answered correctly, only with a fresh string (see `convert`).
        let rules = inner
            .config()
            .map(|c| {
                c.rules
                    .iter()
                    .map(|r| RuleStrings {
                        methods: Baked::new(py, r.allowed_methods.join(", ")),
                        expose: (!r.expose_headers.is_empty()).then(|| Baked::new(py, r.expose_headers.join(", "))),
                        max_age: r.max_age_seconds.map(|a| Baked::new(py, a.to_string())),
                    })
                    .collect()
            })
            .unwrap_or_default();
        RuleSet {
            inner,
            rules,
            star: Baked::new(py, "*".into()),
            yes: Baked::new(py, "true".into()),
            s3_vary: Baked::new(py, S3_VARY.into()),
            oss_vary: Baked::new(py, OSS_VARY.into()),
        }
    }

    fn answer<'py>(&self, py: Python<'py>, method: &str, args: &RequestArgs<'py>) -> Response {
        let req = args.request(method);
        let size = [req.origin, req.acrm, req.acrh, req.request_id, req.host_id]
            .iter()
            .map(|t| t.map_or(0, str::len))
            .sum::<usize>();
        if size > LARGE_REQUEST {
            let inner = &self.inner;
            let owned = py.detach(|| inner.respond(&req));
            return Response::from_owned(py, &owned);
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.convert(py, &self.inner.evaluate(&req, &mut scratch), &args.origin, &args.acrh),
            // Re-entered on this thread (a finalizer run while converting called us again).
            Err(_) => self.convert(py, &self.inner.evaluate(&req, &mut Scratch::new()), &args.origin, &args.acrh),
        })
    }

    /// The decision as Python strings, reusing the rule's baked strings and the caller's
    /// own Origin and ACRH objects when the engine answers with those values.
    fn convert<'py>(
        &self,
        py: Python<'py>,
        d: &Decision<'_>,
        origin: &Option<Text<'py>>,
        acrh: &Option<Text<'py>>,
    ) -> Response {
        let rule = d.rule.and_then(|r| self.rules.get(r));
        let echo = |t: &Option<Text<'py>>, v: &str| {
            t.as_ref()
                .filter(|t| t.as_str() == v && t.object.is_exact_instance_of::<PyString>())
                .map(|t| t.object.clone().unbind())
        };
        let mut values: [Option<Py<PyString>>; 7] = Default::default();
        for (slot, value) in d.values.iter().enumerate() {
            let Some(v) = *value else { continue };
            let baked = match slot {
                ACAO => self.star.get(v),
                ACAM => rule.and_then(|r| r.methods.get(v)),
                ACEH => rule.and_then(|r| r.expose.as_ref()?.get(v)),
                ACMA => rule.and_then(|r| r.max_age.as_ref()?.get(v)),
                ACAC => self.yes.get(v),
                VARY => self.s3_vary.get(v).or_else(|| self.oss_vary.get(v)),
                _ => None,
            };
            let object = match (baked, slot) {
                (Some(b), _) => Some(b.clone_ref(py)),
                (None, ACAO) => echo(origin, v),
                (None, ACAH) => echo(acrh, v),
                (None, _) => None,
            };
            values[slot] = Some(object.unwrap_or_else(|| PyString::new(py, v).unbind()));
        }
        let error = d.refused.map(|r| ErrorParts {
            code: PyString::intern(py, r.code).unbind(),
            message: PyString::new(py, r.message).unbind(),
            body: PyString::new(py, r.body).unbind(),
        });
        Response { status: d.status, rule: d.rule, values, error }
    }
}

#[pymethods]
impl RuleSet {
    /// Parses, validates and compiles a `CORSConfiguration` document.
    #[staticmethod]
    #[pyo3(
        signature = (data, profile=None, *, max_rules=None, max_document_bytes=None, allow_credentials=true, strict_origins=false, max_compiled_bytes=None),
        text_signature = "(data, profile='oss', *, max_rules=None, max_document_bytes=None, allow_credentials=True, strict_origins=False, max_compiled_bytes=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn from_xml(
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
        RuleSet::compile_document(py, data, |d| options.compile_xml(d), |py, e| args::config_error(py, &e))
    }

    /// Reads, validates and compiles a configuration kept as JSON: the S3 console's array of
    /// rules, the AWS CLI's `{"CORSRules": [...]}`, a CloudFormation template, or Terraform's
    /// plan, state or `.tf.json` (`resource` picks a bucket when there are several). The
    /// profile is the provider the tool talks to unless `profile` is given. The provider's
    /// refusal raises `ConfigError` (as `from_xml`); a file that is not such JSON, or a
    /// tool's own refusal, raises `ValueError` saying where (line and column, or the
    /// resource).
    #[staticmethod]
    #[pyo3(
        signature = (data, profile=None, *, resource=None, max_rules=None, max_document_bytes=None, allow_credentials=true, strict_origins=false, max_compiled_bytes=None),
        text_signature = "(data, profile=None, *, resource=None, max_rules=None, max_document_bytes=None, allow_credentials=True, strict_origins=False, max_compiled_bytes=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn from_json(
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        profile: Option<&Bound<'_, PyString>>,
        resource: Option<&str>,
        max_rules: Option<&Bound<'_, PyAny>>,
        max_document_bytes: Option<&Bound<'_, PyAny>>,
        allow_credentials: bool,
        strict_origins: bool,
        max_compiled_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RuleSet> {
        let given = profile.map(args::profile).transpose()?;
        let options = args::options(
            profile,
            max_rules,
            max_document_bytes,
            allow_credentials,
            strict_origins,
            max_compiled_bytes,
        )?;
        RuleSet::compile_document(
            py,
            data,
            |d| corsmatch::formats::compile_json(d, resource, given, options),
            |py, e| match e.config_error() {
                Some(c) => args::config_error(py, c),
                None => PyValueError::new_err(e.to_string()),
            },
        )
    }

    /// Validates and compiles rules given as dicts (`{"AllowedOrigin": [...], "AllowedMethod":
    /// [...], "AllowedHeader": [...], "ExposeHeader": [...], "MaxAgeSeconds": n, "ID": s}`,
    /// a single `str` for a one-item list), checked as a parsed document is.
    #[staticmethod]
    #[pyo3(
        signature = (rules, profile=None, *, response_vary=None, max_rules=None, allow_credentials=true, strict_origins=false, max_compiled_bytes=None),
        text_signature = "(rules, profile='oss', *, response_vary=None, max_rules=None, allow_credentials=True, strict_origins=False, max_compiled_bytes=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn from_rules(
        py: Python<'_>,
        rules: &Bound<'_, PyAny>,
        profile: Option<&Bound<'_, PyString>>,
        response_vary: Option<bool>,
        max_rules: Option<&Bound<'_, PyAny>>,
        allow_credentials: bool,
        strict_origins: bool,
        max_compiled_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RuleSet> {
        let options = args::options(profile, max_rules, None, allow_credentials, strict_origins, max_compiled_bytes)?;
        let config = args::config(rules, response_vary)?;
        match py.detach(|| options.compile(config)) {
            Ok(inner) => Ok(RuleSet::new(py, inner)),
            Err(e) => Err(args::config_error(py, &e)),
        }
    }

    /// The rule set of a bucket without CORS configuration: preflights are refused with the
    /// profile's 403, actual requests get no headers.
    #[staticmethod]
    #[pyo3(signature = (profile=None), text_signature = "(profile='oss')")]
    fn no_config(py: Python<'_>, profile: Option<&Bound<'_, PyString>>) -> PyResult<RuleSet> {
        let profile = profile.map(args::profile).transpose()?.unwrap_or(Profile::Oss);
        Ok(RuleSet::new(py, corsmatch::RuleSet::no_config(profile)))
    }

    /// Answers a preflight (`OPTIONS`): status, headers, and for a refusal the provider's
    /// code, message and XML body. A value holding CR, LF or NUL raises
    /// `corsmatch.InvalidHeaderValue`, as in every method taking request values.
    #[pyo3(
        signature = (origin=None, acrm=None, acrh=None, target=None, request_id=None, host_id=None),
        text_signature = "($self, origin=None, acrm=None, acrh=None, target='object', request_id=None, host_id=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn preflight<'py>(
        &self,
        py: Python<'py>,
        origin: Option<Bound<'py, PyString>>,
        acrm: Option<Bound<'py, PyString>>,
        acrh: Option<Bound<'py, PyString>>,
        target: Option<Bound<'py, PyString>>,
        request_id: Option<Bound<'py, PyString>>,
        host_id: Option<Bound<'py, PyString>>,
    ) -> PyResult<Response> {
        let args = RequestArgs::decode(origin, acrm, acrh, target, request_id, host_id)?;
        Ok(self.answer(py, "OPTIONS", &args))
    }

    /// The headers to add to an actual (non-`OPTIONS`) request's response; never refused (a
    /// value holding CR, LF or NUL raises `corsmatch.InvalidHeaderValue`).
    #[pyo3(
        signature = (method, origin=None, acrm=None, acrh=None, target=None),
        text_signature = "($self, method, origin=None, acrm=None, acrh=None, target='object')"
    )]
    fn actual<'py>(
        &self,
        py: Python<'py>,
        method: Bound<'py, PyString>,
        origin: Option<Bound<'py, PyString>>,
        acrm: Option<Bound<'py, PyString>>,
        acrh: Option<Bound<'py, PyString>>,
        target: Option<Bound<'py, PyString>>,
    ) -> PyResult<Response> {
        let method = Text::request(method, "method")?;
        if method.as_str() == "OPTIONS" {
            return Err(PyValueError::new_err("OPTIONS is a preflight: use RuleSet.preflight or RuleSet.evaluate"));
        }
        let args = RequestArgs::decode(origin, acrm, acrh, target, None, None)?;
        Ok(self.answer(py, method.as_str(), &args))
    }

    /// Any request: `OPTIONS` is a preflight, every other method an actual request. A value
    /// holding CR, LF or NUL raises `corsmatch.InvalidHeaderValue`.
    #[pyo3(
        signature = (method, origin=None, acrm=None, acrh=None, target=None, request_id=None, host_id=None),
        text_signature = "($self, method, origin=None, acrm=None, acrh=None, target='object', request_id=None, host_id=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        method: Bound<'py, PyString>,
        origin: Option<Bound<'py, PyString>>,
        acrm: Option<Bound<'py, PyString>>,
        acrh: Option<Bound<'py, PyString>>,
        target: Option<Bound<'py, PyString>>,
        request_id: Option<Bound<'py, PyString>>,
        host_id: Option<Bound<'py, PyString>>,
    ) -> PyResult<Response> {
        let method = Text::request(method, "method")?;
        let args = RequestArgs::decode(origin, acrm, acrh, target, request_id, host_id)?;
        Ok(self.answer(py, method.as_str(), &args))
    }

    /// Why: each rule's verdict (the first item that failed, or a match), the winner, and
    /// the response. A value holding CR, LF or NUL raises `corsmatch.InvalidHeaderValue`.
    #[pyo3(
        signature = (method, origin=None, acrm=None, acrh=None, target=None, request_id=None, host_id=None),
        text_signature = "($self, method, origin=None, acrm=None, acrh=None, target='object', request_id=None, host_id=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        method: Bound<'py, PyString>,
        origin: Option<Bound<'py, PyString>>,
        acrm: Option<Bound<'py, PyString>>,
        acrh: Option<Bound<'py, PyString>>,
        target: Option<Bound<'py, PyString>>,
        request_id: Option<Bound<'py, PyString>>,
        host_id: Option<Bound<'py, PyString>>,
    ) -> PyResult<Explanation> {
        let method = Text::request(method, "method")?;
        let args = RequestArgs::decode(origin, acrm, acrh, target, request_id, host_id)?;
        let req = args.request(method.as_str());
        let inner = &self.inner;
        let e = py.detach(|| inner.explain(&req));
        Explanation::new(py, e)
    }

    /// The lint findings of the configuration, with the rule set's options: rules that never
    /// apply, rules that overlap, origins no browser sends, wide wildcards, ... in rule order
    /// (configuration-wide ones first). Empty without configuration. The same findings as
    /// `corsmatch lint`; it takes time quadratic in the document's size, so lint when a
    /// configuration is stored, not per request.
    ///
    /// With `sdk` and `origin`, the doctor's problems for that SDK from that page come after
    /// them, as findings `sdk-*` (as `corsmatch lint --sdk NAME --origin O`).
    #[pyo3(signature = (sdk=None, origin=None), text_signature = "($self, sdk=None, origin=None)")]
    fn lint(&self, py: Python<'_>, sdk: Option<&str>, origin: Option<&str>) -> PyResult<Vec<Finding>> {
        let inner = &self.inner;
        let mut findings = py.detach(|| inner.lint());
        match (sdk, origin) {
            (None, None) => {}
            (Some(sdk), Some(origin)) => findings.extend(doctor_report(inner, origin, sdk, None)?.findings()),
            _ => return Err(PyValueError::new_err("lint: give both sdk and origin, or neither")),
        }
        findings.into_iter().map(|f| Finding::new(py, f)).collect()
    }

    /// Will the browser SDK `sdk` (`"aws-js-v3"` or `"ali-oss"`) work from a page at `origin`
    /// against this configuration? Replays the SDK's requests, recorded in Chromium, for each
    /// operation (all, or those named in `operations`) and returns the shape of
    /// `corsmatch doctor --json`: `{"sdk", "origin", "operations": [{"operation", "ok",
    /// "requests", "problems": [{"kind", "message", "fix"}]}], "fixed_config"}`. An unknown
    /// SDK or operation, or an origin no page has, raises `ValueError`.
    #[pyo3(signature = (origin, sdk, operations=None), text_signature = "($self, origin, sdk, operations=None)")]
    fn doctor<'py>(
        &self,
        py: Python<'py>,
        origin: &str,
        sdk: &str,
        operations: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let report = doctor_report(&self.inner, origin, sdk, operations.as_deref())?;
        py.import("json")?.call_method1("loads", (report.to_json(),))
    }

    /// `"oss"` or `"s3"`.
    #[getter]
    fn profile(&self) -> &'static str {
        self.inner.profile().name()
    }

    /// Whether the bucket has a CORS configuration.
    #[getter]
    fn has_config(&self) -> bool {
        self.inner.config().is_some()
    }

    /// The number of rules (0 without configuration).
    #[getter]
    fn rule_count(&self) -> usize {
        self.inner.config().map_or(0, |c| c.rules.len())
    }

    /// Whether `Access-Control-Allow-Credentials: true` is sent.
    #[getter]
    fn allow_credentials(&self) -> bool {
        self.inner.options().allow_credentials
    }

    /// Whether strict origins are on.
    #[getter]
    fn strict_origins(&self) -> bool {
        self.inner.options().strict_origins
    }

    /// The rule limit the document was read with.
    #[getter]
    fn max_rules(&self) -> usize {
        self.inner.options().limits.max_rules
    }

    /// The document size limit the document was read with, in bytes.
    #[getter]
    fn max_document_bytes(&self) -> usize {
        self.inner.options().limits.max_document_bytes
    }

    /// Heap bytes held by the compiled structure (configuration included).
    #[getter]
    fn memory_usage(&self) -> usize {
        self.inner.memory_usage()
    }

    /// Whether the two use one compiled structure (as an `Interner` hands out) rather than
    /// two equal ones.
    fn shares_with(&self, other: &Bound<'_, RuleSet>) -> bool {
        self.inner.shares_with(&other.get().inner)
    }

    /// The rules in dict form (as `from_rules` takes them); empty without configuration.
    #[getter]
    fn rules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let rules = self.inner.config().map_or(&[][..], |c| &c.rules[..]);
        PyList::new(py, rules.iter().map(|r| args::rule_dict(py, r)).collect::<PyResult<Vec<_>>>()?)
    }

    /// `ResponseVary` (oss): `None` when absent.
    #[getter]
    fn response_vary(&self) -> Option<bool> {
        self.inner.config().and_then(|c| c.response_vary)
    }

    /// The configuration, normalised, as a `CORSConfiguration` document; `None` without one.
    fn to_xml(&self) -> Option<String> {
        self.inner.config().map(|c| c.to_xml())
    }

    fn __repr__(&self) -> String {
        match self.inner.config() {
            None => format!("<corsmatch.RuleSet profile='{}' no configuration>", self.profile()),
            Some(c) => format!("<corsmatch.RuleSet profile='{}' rules={}>", self.profile(), c.rules.len()),
        }
    }
}

/// The doctor's report, with `ValueError` for an unknown SDK or operation or a bad origin.
fn doctor_report(
    set: &corsmatch::RuleSet,
    origin: &str,
    sdk: &str,
    operations: Option<&[String]>,
) -> PyResult<corsmatch::doctor::Report> {
    let profile = corsmatch::doctor::SdkProfile::built_in(sdk).ok_or_else(|| {
        let known: Vec<&str> = corsmatch::doctor::SdkProfile::names().collect();
        PyValueError::new_err(format!("unknown SDK {sdk:?}: expected one of {}", known.join(", ")))
    })?;
    let ops: Vec<&str> = operations.unwrap_or(&[]).iter().map(String::as_str).collect();
    set.doctor(origin, profile, &ops).map_err(PyValueError::new_err)
}
