//! # corsmatch
//!
//! Bucket CORS decided exactly as Alibaba Cloud OSS (`oss`, the default) and AWS S3 (`s3`)
//! decide it: configurations validated with the providers' error codes, compiled into a
//! structure whose preflight cost does not grow with the number of rules, and answered with
//! the exact response the provider would send.
//!
//! ```
//! use corsmatch::{Profile, Request, RuleSet, Scratch};
//!
//! let xml = br#"<CORSConfiguration><CORSRule>
//!     <AllowedOrigin>https://*.example.com</AllowedOrigin>
//!     <AllowedMethod>PUT</AllowedMethod>
//!     <AllowedHeader>content-type</AllowedHeader>
//!     <MaxAgeSeconds>600</MaxAgeSeconds>
//! </CORSRule></CORSConfiguration>"#;
//! let rules = RuleSet::from_xml(xml, Profile::Oss)?;
//! let mut scratch = Scratch::new();
//! let req = Request::preflight(Some("https://www.example.com"), Some("PUT"), Some("Content-Type"));
//! let decision = rules.evaluate(&req, &mut scratch);
//! assert_eq!(decision.status, Some(200));
//! assert_eq!(decision.rule, Some(0));
//! let headers: Vec<_> = decision.headers().collect();
//! assert_eq!(headers[0], ("Access-Control-Allow-Origin", "https://www.example.com"));
//! assert_eq!(headers[2], ("Access-Control-Allow-Headers", "content-type"));
//! # Ok::<(), corsmatch::ConfigError>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod acrh;
mod ascii;
mod compile;
pub mod config;
mod decide;
pub mod doctor;
pub mod error;
mod explain;
pub mod formats;
#[cfg(feature = "http")]
pub mod http;
pub mod intern;
pub mod lint;
pub mod pattern;
pub mod reference;
pub mod render;
mod request;

pub use compile::{Options, RuleSet, DEFAULT_MAX_COMPILED_BYTES};
pub use config::{CorsConfig, CorsRule, Limits, Profile};
pub use decide::{Decision, Refused, Scratch};
pub use error::{ConfigError, ErrorKind};
pub use explain::{Explanation, RuleExplanation, Skipped};
pub use intern::{Interner, InternerStats};
pub use pattern::{Method, Pattern};
pub use reference::Verdict;
pub use render::Refusal;
pub use request::{ErrorResponse, Request, Response, Target};

/// The library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
