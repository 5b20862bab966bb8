//! SDK profiles: the requests a browser SDK makes for each operation, recorded in Chromium
//! by `e2e/sdk/record.mjs` and kept as data in `core/sdk/`.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::Profile;

/// One request an operation makes, as the browser sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkRequest {
    /// The storage operation (`PutObject`, `UploadPart`, ...).
    pub api: String,
    /// The actual request's method.
    pub method: String,
    /// Whether the browser sent a preflight before it.
    pub preflight: bool,
    /// The preflight's `Access-Control-Request-Headers` items, lowercased, in the browser's
    /// order; empty without a preflight.
    pub headers: Vec<String>,
    /// The response headers the operation has to read from this request's response
    /// (lowercased): without them exposed it fails.
    pub reads: Vec<String>,
}

/// One operation of the SDK (`PutObject`, `MultipartUpload`, ...) and its requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkOperation {
    /// The operation's name, as `doctor --ops` takes it.
    pub operation: String,
    /// Its requests, one per distinct shape, in the order the SDK made them.
    pub requests: Vec<SdkRequest>,
}

/// What one SDK sends, operation by operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkProfile {
    /// Its name: `aws-js-v3`, `ali-oss`.
    pub sdk: String,
    /// The provider it talks to: `s3` or `oss`.
    pub profile: String,
    /// The npm packages recorded and their versions.
    pub packages: std::collections::BTreeMap<String, String>,
    /// The operations, in a fixed order.
    pub operations: Vec<SdkOperation>,
}

const BUILT_IN: [(&str, &str); 2] =
    [("aws-js-v3", include_str!("../../sdk/aws-js-v3.json")), ("ali-oss", include_str!("../../sdk/ali-oss.json"))];

impl SdkProfile {
    /// Reads a profile from its JSON form (the files in `core/sdk/`).
    pub fn from_json(text: &str) -> Result<SdkProfile, String> {
        let p: SdkProfile = serde_json::from_str(text).map_err(|e| format!("SDK profile: {e}"))?;
        p.provider()?;
        if p.operations.is_empty() {
            return Err(format!("SDK profile {}: no operations", p.sdk));
        }
        Ok(p)
    }

    /// The names of the SDKs corsmatch carries a profile of.
    pub fn names() -> impl Iterator<Item = &'static str> {
        BUILT_IN.iter().map(|(name, _)| *name)
    }

    /// The profile corsmatch carries for `name` (`aws-js-v3`, `ali-oss`).
    pub fn built_in(name: &str) -> Option<&'static SdkProfile> {
        static PARSED: OnceLock<Vec<SdkProfile>> = OnceLock::new();
        let all = PARSED.get_or_init(|| {
            BUILT_IN
                .iter()
                .map(|(_, text)| {
                    SdkProfile::from_json(text).expect("the SDK profiles in core/sdk are checked by tests")
                })
                .collect()
        });
        all.iter().find(|p| p.sdk == name)
    }

    /// The provider the SDK talks to.
    pub fn provider(&self) -> Result<Profile, String> {
        self.profile.parse()
    }

    /// The operation called `name`, ASCII case ignored.
    pub fn operation(&self, name: &str) -> Option<&SdkOperation> {
        self.operations.iter().find(|o| o.operation.eq_ignore_ascii_case(name))
    }

    /// The names of its operations, in order.
    pub fn operation_names(&self) -> Vec<&str> {
        self.operations.iter().map(|o| o.operation.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_parse_and_name_themselves() {
        for name in SdkProfile::names() {
            let p = SdkProfile::built_in(name).expect("a built-in profile");
            assert_eq!(p.sdk, name);
            assert_eq!(
                p.operation_names(),
                [
                    "PutObject",
                    "GetObject",
                    "HeadObject",
                    "DeleteObject",
                    "MultipartUpload",
                    "PresignedGet",
                    "PresignedPut",
                    "PostObject"
                ]
            );
            for op in &p.operations {
                assert!(!op.requests.is_empty(), "{name} {}", op.operation);
                for r in &op.requests {
                    assert!(
                        r.preflight || r.headers.is_empty(),
                        "{name} {}: headers without a preflight",
                        op.operation
                    );
                    assert!(r.headers.iter().chain(&r.reads).all(|h| *h == h.to_ascii_lowercase()));
                }
            }
        }
        assert_eq!(SdkProfile::built_in("aws-js-v3").unwrap().provider(), Ok(Profile::S3));
        assert_eq!(SdkProfile::built_in("ali-oss").unwrap().provider(), Ok(Profile::Oss));
        assert!(SdkProfile::built_in("boto3").is_none());
    }

    #[test]
    fn unknown_fields_and_providers_are_errors() {
        assert!(SdkProfile::from_json("{}").is_err());
        let bad = r#"{"sdk":"x","profile":"gcs","packages":{},"operations":[{"operation":"A","requests":[]}]}"#;
        assert!(SdkProfile::from_json(bad).unwrap_err().contains("gcs"));
        let extra = r#"{"sdk":"x","profile":"s3","packages":{},"operations":[],"when":1}"#;
        assert!(SdkProfile::from_json(extra).unwrap_err().contains("when"));
    }
}
