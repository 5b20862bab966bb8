//! `corsmatch`: evaluate, check, explain and lint bucket CORS from the command line, convert
//! it between the forms users keep it in, and serve an in-memory bucket that answers as the
//! provider would.
//!
//! Every command reads its configuration with [`corsmatch::formats`]: XML, the S3 console's
//! and the AWS CLI's JSON, CloudFormation templates and Terraform JSON, detected from the
//! content (`--from` forces a form, `--resource` picks a bucket of a template or a plan).
//!
//! Exit codes: 0 success; 1 an invalid configuration (printed as the provider's
//! `{"code":..,"message":..}`) or, for `lint`, a finding at warning or above; 2 a usage
//! error or an unreadable file.

mod doctor;
mod lint;
mod serve;

use std::borrow::Cow;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use corsmatch::formats::{self, Bucket, Form, LoadError, LoadErrorKind, Location};
use corsmatch::{ConfigError, Explanation, Options, Profile, Request, RuleSet, Scratch, Target};
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(name = "corsmatch", version, about = "Bucket CORS decided exactly as OSS and S3 decide it")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate one request (flags) or many (--requests FILE.jsonl); prints JSON.
    Eval(EvalArgs),
    /// Validate a configuration: exit 0 with its summary, or 1 with the provider's error.
    Check(ConfigArgs),
    /// Explain one request: what each rule made of it, and which rule won.
    Explain(ExplainArgs),
    /// Lint a configuration: shadowed and overlapping rules, origins no browser sends, wide
    /// wildcards; exit 1 when a finding is a warning or an error.
    Lint(LintArgs),
    /// Will a browser SDK's operations work from this origin? Replays the SDK's requests,
    /// recorded in Chromium, and says why each failing one fails and what to add; exit 1 when
    /// one fails.
    Doctor(doctor::DoctorArgs),
    /// Serve an in-memory bucket whose CORS these rules decide, with a debug page at /_corsmatch/.
    Serve(serve::ServeArgs),
    /// Write the configuration in another form: xml, json (the S3 console's), cli-json
    /// (`aws s3api put-bucket-cors`), cloudformation (a template) or terraform (.tf.json).
    Convert(ConvertArgs),
}

#[derive(Args)]
struct ConfigArgs {
    /// The configuration: XML, the S3 console's or the AWS CLI's JSON, a CloudFormation
    /// template (JSON or YAML), or Terraform JSON (`terraform show -json`, .tf.json).
    #[arg(long, value_name = "FILE", required_unless_present = "no_config", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Evaluate against a bucket without CORS configuration.
    #[arg(long)]
    no_config: bool,
    #[command(flatten)]
    source: SourceFlags,
    #[command(flatten)]
    compile: CompileFlags,
}

/// Which form the configuration file is in, and which of its buckets.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct SourceFlags {
    /// The file's form; detected from the content when left out.
    #[arg(long, value_name = "FORM", value_parser = form_names())]
    from: Option<String>,
    /// The bucket to read from a CloudFormation template (its logical id) or a Terraform file
    /// (its address, or the address's last part): needed when the file has several.
    #[arg(long, value_name = "NAME")]
    resource: Option<String>,
}

impl SourceFlags {
    fn form(&self) -> Option<Form> {
        self.from.as_deref().map(|f| f.parse().expect("clap checked the form"))
    }

    /// Reads every bucket of the file.
    pub(crate) fn read_all(&self, path: &Path) -> Result<formats::Source, Failure> {
        let bytes = read_file(path)?;
        formats::read(&bytes, self.form()).map_err(|e| Failure::load(&e))
    }

    /// Reads the bucket the flags name (or the file's only one), and says on standard error
    /// what its tool changes on the way.
    pub(crate) fn read(&self, path: &Path) -> Result<Bucket, Failure> {
        let bucket = self.read_all(path)?.select(self.resource.as_deref()).map_err(|e| Failure::load(&e))?;
        print_notes(&bucket);
        Ok(bucket)
    }
}

/// What the tool changes on the way (Terraform's set order, its MaxAgeSeconds 0).
fn print_notes(bucket: &Bucket) {
    for note in &bucket.notes {
        match &bucket.resource {
            Some(r) => eprintln!("corsmatch: note: {r}: {note}"),
            None => eprintln!("corsmatch: note: {note}"),
        }
    }
}

/// How to read and compile the configuration; shared by every command that takes one.
#[derive(Args, Debug)]
pub(crate) struct CompileFlags {
    /// Whose behaviour to reproduce: oss by default, s3 for the AWS forms (the S3 console's
    /// and CLI's JSON, CloudFormation, Terraform's aws resources).
    #[arg(long, value_parser = ["oss", "s3"])]
    profile: Option<String>,
    /// Raise the profile's rule limit (10 for oss, 100 for s3).
    #[arg(long, value_name = "N")]
    max_rules: Option<usize>,
    /// Raise the profile's document size limit (16 KB for oss, 64 KB for s3).
    #[arg(long, value_name = "BYTES")]
    max_document_bytes: Option<usize>,
    /// Strict origins: an Origin that is not scheme://host[:port] matches only `*`.
    #[arg(long)]
    strict_origins: bool,
    /// Never send Access-Control-Allow-Credentials.
    #[arg(long)]
    no_credentials: bool,
}

impl CompileFlags {
    /// The options, with the oss profile unless --profile names another.
    pub(crate) fn options(&self) -> Options {
        self.options_for(None)
    }

    /// A bucket read from a file, compiled with the options for its tool's provider.
    pub(crate) fn compile(&self, bucket: &Bucket) -> Result<RuleSet, Failure> {
        bucket.compile(&self.options_for(bucket.provider)).map_err(|e| Failure::load(&e))
    }

    /// The options for a configuration its tool sends to `provider`: --profile when given,
    /// else the provider, else oss.
    pub(crate) fn options_for(&self, provider: Option<Profile>) -> Options {
        let profile: Profile = match &self.profile {
            Some(p) => p.parse().expect("clap checked the profile"),
            None => provider.unwrap_or_default(),
        };
        let mut o = Options::new(profile).strict_origins(self.strict_origins).allow_credentials(!self.no_credentials);
        if let Some(n) = self.max_rules {
            o = o.max_rules(n);
        }
        if let Some(n) = self.max_document_bytes {
            o = o.max_document_bytes(n);
        }
        o
    }
}

/// The request's headers and target, shared by `eval` and `explain`.
#[derive(Args)]
struct RequestHeaders {
    /// Origin header.
    #[arg(long)]
    origin: Option<String>,
    /// Access-Control-Request-Method header.
    #[arg(long)]
    acrm: Option<String>,
    /// Access-Control-Request-Headers header.
    #[arg(long)]
    acrh: Option<String>,
    /// What the request addresses.
    #[arg(long, default_value = "object", value_parser = ["object", "bucket", "nonexistent-bucket"])]
    target: String,
    /// RequestId for error bodies.
    #[arg(long)]
    request_id: Option<String>,
    /// HostId for error bodies.
    #[arg(long)]
    host_id: Option<String>,
}

impl RequestHeaders {
    fn request<'a>(&'a self, method: &'a str) -> Request<'a> {
        Request {
            method,
            origin: self.origin.as_deref(),
            acrm: self.acrm.as_deref(),
            acrh: self.acrh.as_deref(),
            target: target(&self.target),
            request_id: self.request_id.as_deref(),
            host_id: self.host_id.as_deref(),
        }
    }
}

#[derive(Args)]
struct RequestArgs {
    /// The request's method (OPTIONS for a preflight).
    #[arg(long, required_unless_present = "requests")]
    method: Option<String>,
    #[command(flatten)]
    headers: RequestHeaders,
    /// Read one JSON request per line from FILE (`-` for standard input) instead.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with_all = ["method", "origin", "acrm", "acrh"])]
    requests: Option<PathBuf>,
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    request: RequestArgs,
}

#[derive(Args)]
struct ExplainArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The request's method (OPTIONS for a preflight).
    #[arg(long)]
    method: String,
    #[command(flatten)]
    headers: RequestHeaders,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct LintArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Print a JSON array of findings instead of one line each (as --format json).
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// How to print the findings: text (one line each), json, github (workflow annotations:
    /// ::warning file=..,line=..::), or sarif (SARIF 2.1.0, for code scanning).
    #[arg(long, value_parser = ["text", "json", "github", "sarif"])]
    format: Option<String>,
    /// Also check that this browser SDK works from --origin (the doctor's problems become
    /// `sdk-*` findings).
    #[arg(long, requires = "origin", value_parser = ["aws-js-v3", "ali-oss"])]
    sdk: Option<String>,
    /// The page's origin, for --sdk.
    #[arg(long, requires = "sdk")]
    origin: Option<String>,
}

#[derive(Args)]
struct ConvertArgs {
    /// The configuration, in any form (see `check`).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    #[command(flatten)]
    source: SourceFlags,
    #[command(flatten)]
    compile: CompileFlags,
    /// The form to write.
    #[arg(long, value_name = "FORM", value_parser = form_names())]
    to: String,
    /// The resource's name in the template or the Terraform file written (default: the
    /// one read, else Bucket / cors).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
}

/// A failure and its exit code.
pub(crate) struct Failure {
    code: u8,
    text: String,
}

impl Failure {
    pub(crate) fn usage(text: impl Into<String>) -> Failure {
        Failure { code: 2, text: format!("corsmatch: {}", text.into()) }
    }

    pub(crate) fn config(e: &ConfigError) -> Failure {
        Failure { code: 1, text: serde_json::json!({"code": e.code(), "message": e.message()}).to_string() }
    }

    /// A configuration that cannot be read or is refused. The provider's refusal of an XML
    /// document is printed as before, `{"code", "message"}`; the other forms add where the
    /// value is (`at`). A tool's own refusal names the tool; choosing a resource that is not
    /// there, and what corsmatch cannot evaluate, are usage errors.
    pub(crate) fn load(e: &LoadError) -> Failure {
        let at = e.location().map(location_json);
        match e.kind() {
            LoadErrorKind::Provider(c) if at.is_none() => Failure::config(c),
            LoadErrorKind::Provider(c) => Failure {
                code: 1,
                text: serde_json::json!({"code": c.code(), "message": c.message(), "at": at}).to_string(),
            },
            LoadErrorKind::Tool { tool, message } => Failure {
                code: 1,
                text: serde_json::json!({"refused_by": tool, "message": message, "at": at}).to_string(),
            },
            LoadErrorKind::Syntax { form, message } => Failure {
                code: 1,
                text: serde_json::json!({"syntax_error": form.name(), "message": message, "at": at}).to_string(),
            },
            _ => Failure::usage(e.to_string()),
        }
    }
}

/// `{"resource", "path", "line", "column"}` (null where unknown).
pub(crate) fn location_json(l: &Location) -> serde_json::Value {
    let line = (l.pos.line > 0).then_some(l.pos.line);
    let column = (l.pos.line > 0).then_some(l.pos.column);
    serde_json::json!({"resource": l.resource, "path": l.path, "line": line, "column": column})
}

/// The forms' names, for `--from` and `--to`.
fn form_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(Form::ALL.map(Form::name))
}

/// `--format FORM` forces the input form too: it is `--from FORM` on every command that
/// reads a configuration, and on `lint` for the forms that are not one of its output formats
/// (`--format json` there stays the JSON output).
fn format_as_from(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let command = args.get(1).and_then(|a| a.to_str()).unwrap_or("").to_string();
    if command == "serve" {
        return args;
    }
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter().peekable();
    while let Some(arg) = it.next() {
        let (value, inline) = match arg.to_str() {
            Some("--format") => (it.peek().and_then(|v| v.to_str()).map(str::to_string), false),
            Some(a) if a.starts_with("--format=") => (Some(a["--format=".len()..].to_string()), true),
            _ => (None, false),
        };
        let is_form = value.as_deref().is_some_and(|v| v.parse::<Form>().is_ok());
        // Of the forms, only json is also one of lint's output formats.
        let lint_output = command == "lint" && value.as_deref() == Some("json");
        if is_form && !lint_output {
            out.push("--from".into());
            if inline {
                out.push(value.unwrap_or_default().into());
            }
            continue;
        }
        out.push(arg);
    }
    out
}

/// A command whose standard output is closed (`corsmatch eval ... | head`) ends quietly, as
/// Unix tools do, instead of panicking in `println!`: SIGPIPE gets its default action back
/// (Rust ignores it). Not for `serve`, which must outlive a closed connection.
fn quiet_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: sets the signal's disposition to the default before any thread is started; no
    // handler runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(format_as_from(std::env::args_os().collect())) {
        Ok(cli) => cli,
        // Help and version go to standard output as usual; a usage error is one line on
        // standard error and exit code 2, as the contract says.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.to_string();
            let message = text.split("\n\nUsage:").next().unwrap_or("usage error");
            let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("corsmatch: {}", message.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    if !matches!(cli.command, Command::Serve(_)) {
        quiet_on_closed_stdout();
    }
    let result = match cli.command {
        Command::Eval(args) => eval(args),
        Command::Check(args) => check(args),
        Command::Explain(args) => explain(args),
        Command::Lint(args) => match lint_sdk(&args) {
            Ok(targets) => {
                let format = if args.json { "json" } else { args.format.as_deref().unwrap_or("text") };
                let file = args.config.config.as_deref().map(|p| p.display().to_string());
                return lint::run(&targets, format, file.as_deref());
            }
            Err(f) => Err(f),
        },
        Command::Doctor(args) => match doctor::run(args) {
            Ok(code) => return code,
            Err(f) => Err(f),
        },
        Command::Serve(args) => serve::run(args),
        Command::Convert(args) => convert(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if f.code == 1 {
                println!("{}", f.text);
            } else {
                eprintln!("{}", f.text);
            }
            ExitCode::from(f.code)
        }
    }
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))
}

fn rule_set(args: &ConfigArgs) -> Result<RuleSet, Failure> {
    Ok(rule_set_of(args)?.0)
}

/// The rule set, and the bucket it was read from (`None` for --no-config).
fn rule_set_of(args: &ConfigArgs) -> Result<(RuleSet, Option<Bucket>), Failure> {
    match &args.config {
        None => Ok((args.compile.options().no_config(), None)),
        Some(path) => {
            let bucket = args.source.read(path)?;
            let set = args.compile.compile(&bucket)?;
            Ok((set, Some(bucket)))
        }
    }
}

/// What `lint` checks: every bucket of the file (or the one --resource names), each with the
/// doctor's findings when `--sdk` is given.
fn lint_sdk(args: &LintArgs) -> Result<Vec<lint::Target>, Failure> {
    let c = &args.config;
    let buckets: Vec<Option<Bucket>> = match (&c.config, &c.source.resource) {
        (None, _) => vec![None],
        (Some(path), Some(_)) => vec![Some(c.source.read(path)?)],
        (Some(path), None) => {
            let source = c.source.read_all(path)?;
            if source.buckets.is_empty() {
                return Err(Failure::load(&source.select(None).expect_err("no bucket")));
            }
            source
                .buckets
                .into_iter()
                .map(|b| {
                    print_notes(&b);
                    Some(b)
                })
                .collect()
        }
    };
    let mut targets = Vec::new();
    for bucket in buckets {
        let set = match &bucket {
            None => c.compile.options().no_config(),
            Some(b) => c.compile.compile(b)?,
        };
        let extra = match (&args.sdk, &args.origin) {
            (Some(sdk), Some(origin)) => {
                let sdk = corsmatch::doctor::SdkProfile::built_in(sdk)
                    .ok_or_else(|| Failure::usage(format!("unknown SDK {sdk}")))?;
                doctor::diagnose(&set, origin, sdk, &[])?.findings()
            }
            _ => Vec::new(),
        };
        targets.push(lint::Target { set, bucket, extra });
    }
    Ok(targets)
}

fn convert(args: ConvertArgs) -> Result<(), Failure> {
    let bucket = args.source.read(&args.config)?;
    let options = args.compile.options_for(bucket.provider);
    let set = bucket.compile(&options).map_err(|e| Failure::load(&e))?;
    let config = set.config().expect("a file's bucket has a configuration");
    let to: Form = args.to.parse().expect("clap checked the form");
    let name = args.name.clone().or_else(|| {
        let r = bucket.resource.as_deref()?;
        // A Terraform address's last part is its name; a CloudFormation logical id is one.
        let last = r.rsplit('.').next().unwrap_or(r);
        let ok = match to {
            Form::CloudFormation => last.chars().all(|c| c.is_ascii_alphanumeric()),
            _ => true,
        };
        ok.then(|| last.to_string())
    });
    let out = formats::convert(config, to, &options, name.as_deref())
        .map_err(|e| Failure::usage(format!("cannot write it as {to}: {e}")))?;
    print!("{}", out.text);
    for note in &out.notes {
        eprintln!("corsmatch: note: {note}");
    }
    Ok(())
}

fn target(name: &str) -> Target {
    name.parse().expect("clap checked the target")
}

#[derive(Serialize)]
struct JsonError<'a> {
    code: &'a str,
    message: &'a str,
    body: &'a str,
}

#[derive(Serialize)]
struct JsonResponse<'a> {
    status: Option<u16>,
    headers: Vec<(&'a str, &'a str)>,
    error: Option<JsonError<'a>>,
    rule: Option<usize>,
}

impl<'a> JsonResponse<'a> {
    /// The same shape from an owned response (an explanation's).
    fn of(r: &'a corsmatch::Response) -> JsonResponse<'a> {
        JsonResponse {
            status: r.status,
            headers: r.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect(),
            error: r.error.as_ref().map(|e| JsonError { code: &e.code, message: &e.message, body: &e.body }),
            rule: r.rule,
        }
    }
}

impl<'a> JsonResponse<'a> {
    /// The shape `eval` prints, from a decision.
    fn of_decision(d: &corsmatch::Decision<'a>) -> JsonResponse<'a> {
        JsonResponse {
            status: d.status,
            headers: d.headers().collect(),
            error: d.refused.map(|e| JsonError { code: e.code, message: e.message, body: e.body }),
            rule: d.rule,
        }
    }
}

/// One line of `eval --requests`, its strings borrowed from the line where JSON lets them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRequest<'a> {
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(default, borrow)]
    origin: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    acrm: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    acrh: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    target: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    host_id: Option<Cow<'a, str>>,
}

fn eval(args: EvalArgs) -> Result<(), Failure> {
    let set = rule_set(&args.config)?;
    let r = &args.request;
    let mut scratch = Scratch::new();
    let Some(path) = &r.requests else {
        let req = r.headers.request(r.method.as_deref().expect("clap requires --method"));
        let response = JsonResponse::of_decision(&set.evaluate(&req, &mut scratch));
        println!("{}", serde_json::to_string(&response).expect("serialising a response cannot fail"));
        return Ok(());
    };
    let input: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file =
            std::fs::File::open(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let write_err = |e: std::io::Error| Failure::usage(format!("cannot write: {e}"));
    let default_target = target(&r.headers.target);
    let mut line = String::new();
    let mut input = input;
    for n in 1.. {
        let at = |e: &dyn std::fmt::Display| Failure::usage(format!("{}: line {n}: {e}", path.display()));
        line.clear();
        if input.read_line(&mut line).map_err(|e| at(&e))? == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let j: JsonRequest<'_> = serde_json::from_str(&line).map_err(|e| at(&e))?;
        let t = match j.target.as_deref() {
            None => default_target,
            Some(name) => name.parse().map_err(|e: String| at(&e))?,
        };
        let req = Request {
            method: &j.method,
            origin: j.origin.as_deref(),
            acrm: j.acrm.as_deref(),
            acrh: j.acrh.as_deref(),
            target: t,
            request_id: j.request_id.as_deref().or(r.headers.request_id.as_deref()),
            host_id: j.host_id.as_deref().or(r.headers.host_id.as_deref()),
        };
        let response = JsonResponse::of_decision(&set.evaluate(&req, &mut scratch));
        serde_json::to_writer(&mut out, &response).map_err(|e| Failure::usage(format!("cannot write: {e}")))?;
        out.write_all(b"\n").map_err(write_err)?;
    }
    out.flush().map_err(write_err)
}

fn check(args: ConfigArgs) -> Result<(), Failure> {
    // A template or a plan with several buckets: each one's summary, in a list.
    if let (Some(path), None) = (&args.config, &args.source.resource) {
        let source = args.source.read_all(path)?;
        if source.buckets.len() > 1 {
            let mut all = Vec::new();
            for bucket in source.buckets {
                print_notes(&bucket);
                let set = args.compile.compile(&bucket)?;
                all.push(summary(&set, Some(&bucket)));
            }
            println!("{}", serde_json::to_string_pretty(&all).expect("serialising JSON cannot fail"));
            return Ok(());
        }
    }
    let (set, bucket) = rule_set_of(&args)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&summary(&set, bucket.as_ref())).expect("serialising JSON cannot fail")
    );
    Ok(())
}

/// What `check` prints for one bucket: the normalised configuration, and for a form other
/// than XML where it came from (`source`: the form's tool and the resource).
fn summary(set: &RuleSet, bucket: Option<&Bucket>) -> serde_json::Value {
    let mut summary = match set.config() {
        None => serde_json::json!({"profile": set.profile().name(), "rules": []}),
        Some(c) => serde_json::json!({
            "profile": set.profile().name(),
            "rules": c.rules.iter().enumerate().map(|(i, r)| serde_json::json!({
                "index": i,
                "id": r.id,
                "allowed_origins": r.allowed_origins,
                "allowed_methods": r.allowed_methods,
                "allowed_headers": r.allowed_headers,
                "expose_headers": r.expose_headers,
                "max_age_seconds": r.max_age_seconds,
            })).collect::<Vec<_>>(),
            "response_vary": c.response_vary.unwrap_or(false),
            "compiled_bytes": set.memory_usage(),
        }),
    };
    if let Some(b) = bucket.filter(|b| b.tool.is_some()) {
        summary["source"] = serde_json::json!({"tool": b.tool, "resource": b.resource, "notes": b.notes});
    }
    summary
}

fn explain(args: ExplainArgs) -> Result<(), Failure> {
    let set = rule_set(&args.config)?;
    let req = args.headers.request(&args.method);
    let e: Explanation = set.explain(&req);
    if args.json {
        let rules: Vec<_> = e
            .rules
            .iter()
            .map(|r| {
                let v = &r.verdict;
                serde_json::json!({"rule": r.index, "result": v.result(), "header": v.header(), "detail": r.detail})
            })
            .collect();
        let j = serde_json::json!({
            "method": e.method,
            "headers": e.headers,
            "skipped": e.skipped.map(|s| s.to_string()),
            "rules": rules,
            "winner": e.winner,
            "response": JsonResponse::of(&e.response),
        });
        println!("{}", serde_json::to_string_pretty(&j).expect("serialising JSON cannot fail"));
        return Ok(());
    }
    let mut request = format!("request: {}", req.method);
    for (name, value) in [
        ("Origin", req.origin),
        ("Access-Control-Request-Method", req.acrm),
        ("Access-Control-Request-Headers", req.acrh),
    ] {
        match value {
            Some(v) => request.push_str(&format!(", {name}: {v}")),
            None if name == "Origin" => request.push_str(", no Origin"),
            None => {}
        }
    }
    println!("{request}, target {}", req.target.name());
    if let Some(s) = e.skipped {
        println!("{s}");
    } else {
        println!("{:<5} {:<7} detail", "rule", "result");
        for r in &e.rules {
            let win = if e.winner == Some(r.index) { "  <- wins" } else { "" };
            println!("{:<5} {:<7} {}{win}", r.index, r.verdict.result(), r.detail);
        }
    }
    let resp = &e.response;
    match (&resp.status, &resp.error) {
        (_, Some(err)) => println!("decision: {} {}: {}", resp.status.unwrap_or(0), err.code, err.message),
        (Some(s), None) => println!("decision: {s}, rule {}", resp.rule.map_or("-".into(), |r| r.to_string())),
        (None, None) => match resp.rule {
            Some(r) => println!("decision: add CORS headers of rule {r}"),
            None => println!("decision: add no CORS headers"),
        },
    }
    for (n, v) in &resp.headers {
        println!("  {n}: {v}");
    }
    Ok(())
}
