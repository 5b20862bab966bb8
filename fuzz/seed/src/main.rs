//! Writes the seed corpus of each fuzz target from the shared cases.
//!
//! Usage: `corsmatch-fuzz-seed REPO_ROOT CORPUS_DIR` writes `CORPUS_DIR/<target>/<hash>`
//! from `REPO_ROOT/core/tests/data/*.json`, `REPO_ROOT/examples/*.xml` and
//! `REPO_ROOT/examples/requests.jsonl`.

use std::path::{Path, PathBuf};

use corsmatch::{CorsConfig, CorsRule, Profile, Target};
use corsmatch_fuzz_checks::{Case, OwnedRequest};
use serde_json::Value;

fn strings(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn config(case: &Value) -> Option<CorsConfig> {
    let rules = case.get("config")?.as_array()?;
    let rules = rules
        .iter()
        .map(|r| CorsRule {
            id: text(r, "ID"),
            allowed_origins: strings(r, "AllowedOrigin"),
            allowed_methods: strings(r, "AllowedMethod"),
            allowed_headers: strings(r, "AllowedHeader"),
            expose_headers: strings(r, "ExposeHeader"),
            max_age_seconds: r.get("MaxAgeSeconds").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()),
        })
        .collect();
    Some(CorsConfig { rules, response_vary: case.get("response_vary").and_then(Value::as_bool) })
}

fn request(r: &Value) -> OwnedRequest {
    OwnedRequest {
        method: text(r, "method").unwrap_or_else(|| "GET".to_string()),
        origin: text(r, "origin"),
        acrm: text(r, "acrm"),
        acrh: text(r, "acrh"),
        target: text(r, "target").and_then(|t| t.parse::<Target>().ok()).unwrap_or_default(),
        request_id: None,
        host_id: None,
    }
}

/// FNV-1a, for stable file names.
fn name(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

struct Out {
    dir: PathBuf,
    written: usize,
}

impl Out {
    fn put(&mut self, target: &str, bytes: &[u8]) {
        let dir = self.dir.join(target);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        std::fs::write(dir.join(name(bytes)), bytes).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        self.written += 1;
    }

    fn document(&mut self, profile: Profile, xml: &[u8]) {
        let mut bytes = vec![(profile == Profile::S3) as u8];
        bytes.extend_from_slice(xml);
        self.put("config_parse", &bytes);
    }

    fn case(&mut self, case: Case) {
        for strict in [false, true] {
            let case = Case { strict_origins: strict, ..case.clone() };
            match case.encode() {
                Some(bytes) => self.put("engine_vs_reference", &bytes),
                None => eprintln!("seed: a case the decoder cannot make was left out: {case:?}"),
            }
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, root, corpus] = args.as_slice() else {
        eprintln!("usage: corsmatch-fuzz-seed REPO_ROOT CORPUS_DIR");
        std::process::exit(2);
    };
    let root = Path::new(root);
    let mut out = Out { dir: PathBuf::from(corpus), written: 0 };

    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("core/tests/data"))
        .expect("core/tests/data")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    sources.sort();
    for path in &sources {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let Ok(Value::Array(cases)) = serde_json::from_str::<Value>(&read(path)) else {
            eprintln!("seed: {file} is not a list of cases, skipped");
            continue;
        };
        let default = if file.starts_with("oss") { Profile::Oss } else { Profile::S3 };
        for c in &cases {
            let profile = text(c, "profile").and_then(|p| p.parse().ok()).unwrap_or(default);
            let Some(req) = c.get("request").filter(|r| r.get("method").is_some()) else { continue };
            let config = config(c);
            if let Some(config) = &config {
                out.document(profile, config.to_xml().as_bytes());
            }
            out.case(Case {
                profile,
                strict_origins: false,
                allow_credentials: true,
                config,
                requests: vec![request(req)],
            });
        }
    }

    let examples = root.join("examples");
    let requests: Vec<OwnedRequest> = std::fs::read_to_string(examples.join("requests.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| request(&v))
        .collect();
    let mut xmls: Vec<PathBuf> = std::fs::read_dir(&examples)
        .expect("examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    xmls.sort();
    for path in &xmls {
        let xml = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for profile in [Profile::Oss, Profile::S3] {
            out.document(profile, &xml);
            if let (Ok(config), false) = (CorsConfig::from_xml(&xml, profile), requests.is_empty()) {
                for chunk in requests.chunks(corsmatch_fuzz_checks::MAX_REQUESTS) {
                    out.case(Case {
                        profile,
                        strict_origins: false,
                        allow_credentials: true,
                        config: Some(config.clone()),
                        requests: chunk.to_vec(),
                    });
                }
            }
        }
    }
    eprintln!("seed: {} inputs written under {}", out.written, out.dir.display());
}
