//! `corsmatch doctor`: will a browser SDK's operations work from this origin, and if not,
//! why and what to add.
//!
//! Exit codes: 0 when every operation works, 1 when one does not (or the configuration is
//! invalid), 2 on usage errors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use corsmatch::doctor::{Report, SdkProfile};
use corsmatch::{Options, Profile, RuleSet};

use crate::{Failure, SourceFlags};

/// Arguments of `corsmatch doctor`.
#[derive(Args)]
pub struct DoctorArgs {
    /// The configuration, in any form `check` reads (XML, S3 JSON, CloudFormation, Terraform).
    #[arg(long, value_name = "FILE", required_unless_present = "no_config", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    #[command(flatten)]
    source: SourceFlags,
    /// Diagnose a bucket without CORS configuration.
    #[arg(long)]
    no_config: bool,
    /// Whose behaviour to reproduce; by default the provider the SDK talks to (s3 for
    /// aws-js-v3, oss for ali-oss).
    #[arg(long, value_parser = ["oss", "s3"])]
    profile: Option<String>,
    /// Strict origins, as `serve` and `eval` take it.
    #[arg(long)]
    strict_origins: bool,
    /// The origin of the page that runs the SDK: scheme://host[:port].
    #[arg(long)]
    origin: String,
    /// The SDK whose recorded requests are replayed.
    #[arg(long, value_parser = ["aws-js-v3", "ali-oss"])]
    sdk: String,
    /// The operations to check, comma-separated (all by default): PutObject, GetObject,
    /// HeadObject, DeleteObject, MultipartUpload, PresignedGet, PresignedPut, PostObject.
    #[arg(long, value_delimiter = ',', value_name = "OP,...")]
    ops: Vec<String>,
    /// Print JSON: {"sdk", "origin", "operations": [{"operation", "ok", "requests",
    /// "problems": [{"kind", "message", "fix"}]}], "fixed_config"}.
    #[arg(long)]
    json: bool,
}

/// Runs the doctor and prints its report.
pub fn run(args: DoctorArgs) -> Result<ExitCode, Failure> {
    let sdk = SdkProfile::built_in(&args.sdk).ok_or_else(|| Failure::usage(format!("unknown SDK {}", args.sdk)))?;
    let profile: Profile = match &args.profile {
        Some(p) => p.parse().map_err(Failure::usage)?,
        None => sdk.provider().map_err(Failure::usage)?,
    };
    let options = Options::new(profile).strict_origins(args.strict_origins);
    let set = match &args.config {
        None => options.no_config(),
        Some(path) => args.source.read(path)?.compile(&options).map_err(|e| Failure::load(&e))?,
    };
    let report = diagnose(&set, &args.origin, sdk, &args.ops)?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::from(u8::from(!report.ok())))
}

/// The report; an origin no page has and unknown operations are usage errors.
pub fn diagnose(set: &RuleSet, origin: &str, sdk: &SdkProfile, ops: &[String]) -> Result<Report, Failure> {
    let ops: Vec<&str> = ops.iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
    set.doctor(origin, sdk, &ops).map_err(|e| Failure::usage(format!("--origin/--ops: {e}")))
}
