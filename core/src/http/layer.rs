//! The tower layer: preflights answered here, CORS headers added to every other response.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ::http::request::Parts;
use ::http::{Request as HttpRequest, Response as HttpResponse};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tower_layer::Layer;
use tower_service::Service;

use super::{preflight_response, RequestHeaders, ResponseHeaders};
use crate::{Decision, Profile, Request, RuleSet, Scratch, Target};

/// What the layer needs to know about the bucket a request addresses: its rules and the
/// target. Returned by the lookup function given to [`CorsLayer::new`].
#[derive(Debug, Clone)]
pub struct Lookup {
    /// The bucket's rules; [`RuleSet::no_config`] for a bucket without CORS configuration.
    pub rules: RuleSet,
    /// An object, the bucket root, or a bucket that does not exist.
    pub target: Target,
    /// `<RequestId>` in error bodies.
    pub request_id: Option<String>,
    /// `<HostId>` in error bodies.
    pub host_id: Option<String>,
}

impl Lookup {
    /// A request for `target` in a bucket with these rules.
    pub fn new(rules: RuleSet, target: Target) -> Lookup {
        Lookup { rules, target, request_id: None, host_id: None }
    }

    /// A request for an object.
    pub fn object(rules: RuleSet) -> Lookup {
        Lookup::new(rules, Target::Object)
    }

    /// A request for the bucket root.
    pub fn bucket(rules: RuleSet) -> Lookup {
        Lookup::new(rules, Target::Bucket)
    }

    /// A request for a bucket that does not exist, answered as `profile` answers it.
    pub fn missing_bucket(profile: Profile) -> Lookup {
        Lookup::new(RuleSet::no_config(profile), Target::MissingBucket)
    }

    /// Sets the `<RequestId>` of error bodies.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Lookup {
        self.request_id = Some(id.into());
        self
    }

    /// Sets the `<HostId>` of error bodies.
    pub fn with_host_id(mut self, id: impl Into<String>) -> Lookup {
        self.host_id = Some(id.into());
        self
    }
}

type Hook = Arc<dyn Fn(&Parts, &Request<'_>, &Decision<'_>) + Send + Sync>;

/// A tower [`Layer`] that decides bucket CORS with corsmatch.
///
/// For each request it calls `lookup` with the request's head:
/// - `None`: the request is not for a bucket (a health check, an admin page); it goes to the
///   inner service untouched.
/// - `Some(lookup)`: an `OPTIONS` request is a preflight and is answered here, never reaching
///   the inner service: 200 with the CORS headers and an empty body, or the provider's 400,
///   403 or 404 with its XML error body (`Content-Type: application/xml`). Any other method is
///   an actual request: it goes to the inner service, and the CORS headers of the matched
///   rule (and OSS's `Vary: Origin` when `ResponseVary` is on) are added to whatever comes
///   back, error responses included (SEMANTICS §6).
///
/// Evaluation reuses a per-thread [`Scratch`], so deciding allocates only the header values.
/// As in tower-http's CORS layer, a preflight answered here does not use the readiness that
/// `poll_ready` obtained from the inner service.
///
/// ```
/// use corsmatch::http::{CorsLayer, Lookup};
/// use corsmatch::{Profile, RuleSet};
/// use tower_layer::Layer;
/// # use std::{convert::Infallible, future::Future, task::{Context, Poll}};
/// # use tower_service::Service;
/// # #[derive(Clone)] struct Storage; // the server's own service: here, "200 hello" for all
/// # impl<B> Service<http::Request<B>> for Storage {
/// #     type Response = http::Response<String>;
/// #     type Error = Infallible;
/// #     type Future = std::future::Ready<Result<http::Response<String>, Infallible>>;
/// #     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> { Poll::Ready(Ok(())) }
/// #     fn call(&mut self, _: http::Request<B>) -> Self::Future { std::future::ready(Ok(http::Response::new("hello".into()))) }
/// # }
/// # fn block_on<F: Future>(f: F) -> F::Output { // any executor will do; here, a tiny one
/// #     struct W; impl std::task::Wake for W { fn wake(self: std::sync::Arc<Self>) {} }
/// #     let waker = std::task::Waker::from(std::sync::Arc::new(W));
/// #     let mut f = std::pin::pin!(f);
/// #     loop { if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(&waker)) { return v; } }
/// # }
///
/// let rules = RuleSet::from_xml(br#"<CORSConfiguration><CORSRule>
///     <AllowedOrigin>https://app.example.com</AllowedOrigin>
///     <AllowedMethod>PUT</AllowedMethod>
///     <AllowedHeader>content-type</AllowedHeader>
/// </CORSRule></CORSConfiguration>"#, Profile::Oss)?;
///
/// // One bucket; a real server would find the bucket from the host or the path.
/// let layer = CorsLayer::new(move |parts: &http::request::Parts| match parts.uri.path() {
///     "/healthz" => None,
///     "/" => Some(Lookup::bucket(rules.clone())),
///     _ => Some(Lookup::object(rules.clone()).with_request_id("5C1B1382D6E0F17C")),
/// });
/// let mut service = layer.layer(Storage);
///
/// let preflight = http::Request::options("/photo.jpg")
///     .header("Origin", "https://evil.example")
///     .header("Access-Control-Request-Method", "PUT")
///     .body(())
///     .unwrap();
/// let response = block_on(service.call(preflight)).unwrap();
/// assert_eq!(response.status(), 403);
/// assert_eq!(response.headers()["content-type"], "application/xml");
///
/// let put = http::Request::put("/photo.jpg").header("Origin", "https://app.example.com").body(()).unwrap();
/// let response = block_on(service.call(put)).unwrap();
/// assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
/// # Ok::<(), corsmatch::ConfigError>(())
/// ```
pub struct CorsLayer<L> {
    lookup: Arc<L>,
    hook: Option<Hook>,
}

impl<L> CorsLayer<L>
where
    L: Fn(&Parts) -> Option<Lookup> + Send + Sync + 'static,
{
    /// A layer that asks `lookup` which rules apply to each request.
    pub fn new(lookup: L) -> CorsLayer<L> {
        CorsLayer { lookup: Arc::new(lookup), hook: None }
    }

    /// Calls `hook` with every decision made, after the request was read and before the
    /// response is sent: for logs and metrics. It sees the request exactly as the engine saw
    /// it.
    pub fn on_decision(mut self, hook: impl Fn(&Parts, &Request<'_>, &Decision<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }
}

impl<L> Clone for CorsLayer<L> {
    fn clone(&self) -> Self {
        CorsLayer { lookup: Arc::clone(&self.lookup), hook: self.hook.clone() }
    }
}

impl<L> fmt::Debug for CorsLayer<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsLayer").field("on_decision", &self.hook.is_some()).finish_non_exhaustive()
    }
}

impl<S, L> Layer<S> for CorsLayer<L> {
    type Service = Cors<S, L>;

    fn layer(&self, inner: S) -> Cors<S, L> {
        Cors { inner, lookup: Arc::clone(&self.lookup), hook: self.hook.clone() }
    }
}

/// The service [`CorsLayer`] wraps around an inner service.
pub struct Cors<S, L> {
    inner: S,
    lookup: Arc<L>,
    hook: Option<Hook>,
}

impl<S: Clone, L> Clone for Cors<S, L> {
    fn clone(&self) -> Self {
        Cors { inner: self.inner.clone(), lookup: Arc::clone(&self.lookup), hook: self.hook.clone() }
    }
}

impl<S: fmt::Debug, L> fmt::Debug for Cors<S, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cors").field("inner", &self.inner).finish_non_exhaustive()
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// Runs `f` with this thread's scratch space (or a fresh one if a hook re-entered).
fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut Scratch::new()),
    })
}

/// What the layer made of a request.
enum Outcome {
    Preflight(HttpResponse<Bytes>),
    Actual(ResponseHeaders),
}

fn decide(lookup: &Lookup, parts: &Parts, hook: Option<&Hook>) -> Outcome {
    let headers = RequestHeaders::from_parts(parts);
    let mut request = headers.request(lookup.target);
    request.request_id = lookup.request_id.as_deref();
    request.host_id = lookup.host_id.as_deref();
    with_scratch(|scratch| {
        let decision = lookup.rules.evaluate(&request, scratch);
        if let Some(hook) = hook {
            hook(parts, &request, &decision);
        }
        if request.is_preflight() {
            Outcome::Preflight(preflight_response(&decision))
        } else {
            Outcome::Actual(ResponseHeaders::from_decision(&decision))
        }
    })
}

impl<S, L, ReqBody, ResBody> Service<HttpRequest<ReqBody>> for Cors<S, L>
where
    S: Service<HttpRequest<ReqBody>, Response = HttpResponse<ResBody>>,
    L: Fn(&Parts) -> Option<Lookup>,
    ResBody: Body,
    ResBody::Data: From<Bytes>,
{
    type Response = HttpResponse<CorsBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest<ReqBody>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let outcome = (self.lookup)(&parts).map(|lookup| decide(&lookup, &parts, self.hook.as_ref()));
        let kind = match outcome {
            Some(Outcome::Preflight(response)) => Kind::Preflight { response: Some(response) },
            Some(Outcome::Actual(headers)) => Kind::Inner {
                future: self.inner.call(HttpRequest::from_parts(parts, body)),
                headers: (!headers.is_empty()).then_some(headers),
            },
            None => Kind::Inner { future: self.inner.call(HttpRequest::from_parts(parts, body)), headers: None },
        };
        ResponseFuture { kind }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Cors`]: a preflight's response, ready at once, or the inner
    /// service's response with the CORS headers added.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Preflight { response: Option<HttpResponse<Bytes>> },
        Inner { #[pin] future: F, headers: Option<ResponseHeaders> },
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<HttpResponse<B>, E>>,
    B: Body,
    B::Data: From<Bytes>,
{
    type Output = Result<HttpResponse<CorsBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Preflight { response } => {
                let response = response.take().expect("ResponseFuture polled after completion");
                Poll::Ready(Ok(response.map(CorsBody::full)))
            }
            KindProj::Inner { future, headers } => {
                let mut response = match future.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(response)) => response,
                };
                if let Some(headers) = headers.take() {
                    headers.apply_to(response.headers_mut());
                }
                Poll::Ready(Ok(response.map(CorsBody::inner)))
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The response body of [`Cors`]: the preflight's own (empty, or the XML error), or the
    /// inner service's.
    pub struct CorsBody<B> {
        #[pin]
        kind: BodyKind<B>,
    }
}

pin_project_lite::pin_project! {
    #[project = BodyKindProj]
    enum BodyKind<B> {
        Full { data: Option<Bytes> },
        Inner { #[pin] body: B },
    }
}

impl<B> CorsBody<B> {
    /// A body of these bytes.
    pub fn full(data: Bytes) -> CorsBody<B> {
        CorsBody { kind: BodyKind::Full { data: (!data.is_empty()).then_some(data) } }
    }

    /// The inner service's body.
    pub fn inner(body: B) -> CorsBody<B> {
        CorsBody { kind: BodyKind::Inner { body } }
    }
}

impl<B> fmt::Debug for CorsBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Full { data } => {
                f.debug_struct("CorsBody").field("len", &data.as_ref().map_or(0, Bytes::len)).finish()
            }
            BodyKind::Inner { .. } => f.debug_struct("CorsBody").finish_non_exhaustive(),
        }
    }
}

impl<B> Body for CorsBody<B>
where
    B: Body,
    B::Data: From<Bytes>,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        match self.project().kind.project() {
            BodyKindProj::Full { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d.into())))),
            BodyKindProj::Inner { body } => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            BodyKind::Full { data } => data.is_none(),
            BodyKind::Inner { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            BodyKind::Full { data } => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            BodyKind::Inner { body } => body.size_hint(),
        }
    }
}
