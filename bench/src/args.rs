//! `--key value` options: the driver script passes everything explicitly, so no short flags.

use std::collections::HashMap;

/// Parsed options.
#[derive(Debug, Default)]
pub struct Opts {
    map: HashMap<String, String>,
}

impl Opts {
    /// Parse `--key value` pairs.
    pub fn parse(args: &[String]) -> Result<Opts, String> {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(k) = it.next() {
            let Some(key) = k.strip_prefix("--") else {
                return Err(format!("expected --key, got {k:?}"));
            };
            let Some(v) = it.next() else {
                return Err(format!("--{key} needs a value"));
            };
            map.insert(key.to_string(), v.clone());
        }
        Ok(Opts { map })
    }

    /// A string option.
    pub fn str(&self, key: &str, default: &str) -> String {
        self.map.get(key).cloned().unwrap_or_else(|| default.to_string())
    }

    /// A required string option.
    pub fn req(&self, key: &str) -> Result<String, String> {
        self.map.get(key).cloned().ok_or_else(|| format!("--{key} is required"))
    }

    /// A numeric option.
    pub fn num<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, String> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{key}: not a number: {v:?}")),
        }
    }

    /// An optional numeric option.
    pub fn opt<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, String> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| format!("--{key}: not a number: {v:?}")),
        }
    }
}
