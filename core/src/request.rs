//! The request as the engine sees it, and the owned response both matchers produce.

/// What the request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Target {
    /// An object key (`ResourceType` `OBJECT`).
    #[default]
    Object,
    /// The bucket root (`ResourceType` `BUCKET`).
    Bucket,
    /// A bucket that does not exist.
    MissingBucket,
}

impl Target {
    /// S3's `ResourceType` for a denied preflight.
    pub const fn resource_type(self) -> &'static str {
        match self {
            Target::Object => "OBJECT",
            Target::Bucket | Target::MissingBucket => "BUCKET",
        }
    }

    /// The name used on the command line and in test vectors.
    pub const fn name(self) -> &'static str {
        match self {
            Target::Object => "object",
            Target::Bucket => "bucket",
            Target::MissingBucket => "nonexistent-bucket",
        }
    }
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Target, String> {
        match s {
            "object" => Ok(Target::Object),
            "bucket" => Ok(Target::Bucket),
            "nonexistent-bucket" | "missing-bucket" => Ok(Target::MissingBucket),
            other => Err(format!("unknown target {other:?}: expected object, bucket or nonexistent-bucket")),
        }
    }
}

/// A request, borrowed from the server's own representation. A `None` header is absent;
/// `Some("")` is present and empty. Callers must not pass values holding CR or LF, as the
/// `http` adapters guarantee: the Origin and ACRH items are echoed into response headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Request<'a> {
    /// The HTTP method, case-sensitive; `OPTIONS` makes a preflight.
    pub method: &'a str,
    /// `Origin`.
    pub origin: Option<&'a str>,
    /// `Access-Control-Request-Method`.
    pub acrm: Option<&'a str>,
    /// `Access-Control-Request-Headers`.
    pub acrh: Option<&'a str>,
    /// What the request addresses.
    pub target: Target,
    /// Put in error bodies as `<RequestId>` when given.
    pub request_id: Option<&'a str>,
    /// Put in error bodies as `<HostId>` when given.
    pub host_id: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A request with this method and origin, nothing else.
    pub fn new(method: &'a str, origin: Option<&'a str>) -> Request<'a> {
        Request { method, origin, ..Request::default() }
    }

    /// A preflight (`OPTIONS`).
    pub fn preflight(origin: Option<&'a str>, acrm: Option<&'a str>, acrh: Option<&'a str>) -> Request<'a> {
        Request { method: "OPTIONS", origin, acrm, acrh, ..Request::default() }
    }

    /// Whether this is a preflight.
    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS"
    }
}

/// An error response: code, message and the rendered XML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The provider's code.
    pub code: String,
    /// The provider's message.
    pub message: String,
    /// The XML body.
    pub body: String,
}

/// The response, owned: what the CLI prints and what the two matchers are compared on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// The status for a preflight; `None` for an actual request (the operation decides).
    pub status: Option<u16>,
    /// Headers to send (preflight) or to add (actual request), in order.
    pub headers: Vec<(String, String)>,
    /// For a refused preflight.
    pub error: Option<ErrorResponse>,
    /// The 0-based index of the matched rule.
    pub rule: Option<usize>,
}

impl Response {
    /// The value of a header, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}
