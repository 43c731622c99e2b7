//! `[blobs]`: where the originals (and so the page images rebuilt from them) live.
//!
//! - no `url`: the folder `var_dir/blobs`, as always;
//! - a path or a `file://` URL: another folder (a shared filesystem);
//! - `s3://bucket/prefix`: S3-compatible object storage, with `endpoint` (a self-hosted
//!   server), `region` and `path_style` addressing. Credentials come from
//!   `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN` when set), or
//!   from the AWS credentials file named in `credentials_file`, never from the URL.
//!
//! [`parse`] is pure (it reads neither files nor the environment); [`credentials`]
//! reads them, once, when the configuration is loaded.

use std::path::{Path, PathBuf};

use super::{invalid, ConfigError};

pub(super) mod raw {
    use std::path::PathBuf;

    use serde::Deserialize;

    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields, default)]
    pub struct Blobs {
        pub url: Option<String>,
        pub endpoint: Option<String>,
        pub region: Option<String>,
        pub path_style: Option<bool>,
        pub credentials_file: Option<PathBuf>,
        pub credentials_profile: Option<String>,
    }
}

/// Where blobs are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobLocation {
    Folder(PathBuf),
    S3(S3Location),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Key prefix without leading or trailing `/` (may be empty).
    pub prefix: String,
    /// `http(s)://host:port` of a self-hosted server; AWS itself when absent.
    pub endpoint: Option<String>,
    pub region: String,
    /// `endpoint/bucket/key` (true, what self-hosted servers expect) or
    /// `bucket.endpoint/key` (false, virtual-hosted).
    pub path_style: bool,
    /// Filled by [`credentials`] when the configuration is loaded.
    pub credentials: Option<S3Credentials>,
}

impl S3Location {
    /// `s3://bucket/prefix`, for messages.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// An access key; its secret parts never appear in `Debug` output or messages.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// The `[blobs]` section as a location (pure). `var_dir` gives the default folder.
pub(super) fn parse(
    blobs: &raw::Blobs,
    var_dir: &Path,
    path: &Path,
) -> Result<BlobLocation, ConfigError> {
    let url = blobs.url.as_deref().map(str::trim).unwrap_or("");
    let location = if url.is_empty() {
        BlobLocation::Folder(var_dir.join("blobs"))
    } else {
        parse_url(url).map_err(|m| invalid(path, "blobs.url", m))?
    };
    let s3_only = [
        ("blobs.endpoint", blobs.endpoint.is_some()),
        ("blobs.region", blobs.region.is_some()),
        ("blobs.path_style", blobs.path_style.is_some()),
        ("blobs.credentials_file", blobs.credentials_file.is_some()),
        (
            "blobs.credentials_profile",
            blobs.credentials_profile.is_some(),
        ),
    ];
    match location {
        BlobLocation::Folder(dir) => {
            if let Some((key, _)) = s3_only.iter().find(|(_, set)| *set) {
                return Err(invalid(
                    path,
                    key,
                    "applies only to an s3:// blobs.url (the blobs are in a folder)",
                ));
            }
            Ok(BlobLocation::Folder(dir))
        }
        BlobLocation::S3(mut s3) => {
            if let Some(e) = &blobs.endpoint {
                s3.endpoint =
                    Some(parse_endpoint(e).map_err(|m| invalid(path, "blobs.endpoint", m))?);
            }
            if let Some(r) = &blobs.region {
                let r = r.trim();
                if r.is_empty() || !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(invalid(
                        path,
                        "blobs.region",
                        format!("must be a region name like \"eu-central-1\", not {r:?}"),
                    ));
                }
                s3.region = r.to_string();
            }
            if let Some(p) = blobs.path_style {
                s3.path_style = p;
            }
            Ok(BlobLocation::S3(s3))
        }
    }
}

/// A blob location given on the command line (`mailroom migrate --blobs`): `url` as
/// `[blobs] url`, and for `s3://` the endpoint, region and credentials file as that
/// section's keys (credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`
/// otherwise). Reads the credentials file or the environment.
pub fn from_args(
    url: &str,
    endpoint: Option<&str>,
    region: Option<&str>,
    credentials_file: Option<&Path>,
) -> Result<BlobLocation, ConfigError> {
    let shown = Path::new("the command line");
    let section = raw::Blobs {
        url: Some(url.to_string()),
        endpoint: endpoint.map(String::from),
        region: region.map(String::from),
        credentials_file: credentials_file.map(Path::to_path_buf),
        ..Default::default()
    };
    ensure_url(url, shown)?;
    match parse(&section, Path::new(""), shown)? {
        BlobLocation::S3(mut s3) => {
            s3.credentials = Some(credentials(&section, shown)?);
            Ok(BlobLocation::S3(s3))
        }
        folder => Ok(folder),
    }
}

fn ensure_url(url: &str, shown: &Path) -> Result<(), ConfigError> {
    if url.trim().is_empty() {
        return Err(invalid(
            shown,
            "blobs.url",
            "is empty: name a folder, file:///path or s3://bucket/prefix",
        ));
    }
    Ok(())
}

/// `blobs.url`: a path, `file:///path` or `s3://bucket/prefix`.
fn parse_url(url: &str) -> Result<BlobLocation, String> {
    let Some((scheme, _)) = url.split_once("://") else {
        return Ok(BlobLocation::Folder(PathBuf::from(url)));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "file" => {
            let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
            let folder = parsed.to_file_path().map_err(|()| {
                format!("{url:?} is not a local folder: write file:///absolute/path")
            })?;
            Ok(BlobLocation::Folder(folder))
        }
        "s3" => {
            let rest = &url["s3://".len()..];
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!(
                    "{url:?} names no bucket: write s3://bucket or s3://bucket/prefix"
                ));
            }
            if bucket.contains('@') || bucket.contains(':') {
                return Err(format!(
                    "{url:?}: credentials or a port do not belong in the URL; put the server in \
                     blobs.endpoint and the keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
                ));
            }
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            if !valid_bucket {
                return Err(format!(
                    "{bucket:?} is not a bucket name (3-63 characters: a-z, 0-9, '-', '.')"
                ));
            }
            if prefix.contains(['?', '#']) {
                return Err(format!("{url:?}: a prefix takes no query or fragment"));
            }
            let prefix = prefix.trim_end_matches('/');
            if !prefix.is_empty()
                && prefix
                    .split('/')
                    .any(|p| p.is_empty() || p == "." || p == "..")
            {
                return Err(format!(
                    "{url:?}: the prefix has an empty, '.' or '..' part"
                ));
            }
            Ok(BlobLocation::S3(S3Location {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
                endpoint: None,
                region: "us-east-1".into(),
                path_style: true,
                credentials: None,
            }))
        }
        other => Err(format!(
            "the scheme {other:?} is not supported: use a folder path, file:///path or s3://bucket/prefix"
        )),
    }
}

fn parse_endpoint(endpoint: &str) -> Result<String, String> {
    let parsed = url::Url::parse(endpoint.trim())
        .map_err(|e| format!("{endpoint:?} is not a URL like \"http://127.0.0.1:9000\": {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(format!(
            "{endpoint:?} must be an http:// or https:// address like \"https://s3.example.com\""
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "credentials do not belong in the endpoint; use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
                .into(),
        );
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// The access key of an s3:// location: from `blobs.credentials_file` when named, else
/// from the environment. Reads the file system and the environment.
pub(super) fn credentials(blobs: &raw::Blobs, path: &Path) -> Result<S3Credentials, ConfigError> {
    if let Some(file) = &blobs.credentials_file {
        let key = "blobs.credentials_file";
        let profile = blobs.credentials_profile.as_deref().unwrap_or("default");
        let text = std::fs::read_to_string(file)
            .map_err(|e| invalid(path, key, format!("cannot read {}: {e}", file.display())))?;
        return credentials_from_file(&text, profile)
            .map_err(|m| invalid(path, key, format!("{}: {m}", file.display())));
    }
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(S3Credentials {
            access_key_id,
            secret_access_key,
            session_token: var("AWS_SESSION_TOKEN"),
        }),
        _ => Err(invalid(
            path,
            "blobs.url",
            "an s3:// blob store needs credentials: set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, or name an AWS credentials file in blobs.credentials_file",
        )),
    }
}

/// The `[profile]` of an AWS shared credentials file (`key = value` lines).
fn credentials_from_file(text: &str, profile: &str) -> Result<S3Credentials, String> {
    let mut section = None;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(name.trim().to_string());
            continue;
        }
        if section.as_deref() != Some(profile) {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = Some(v.trim().to_string()).filter(|v| !v.is_empty());
            match k.trim().to_ascii_lowercase().as_str() {
                "aws_access_key_id" => id = v,
                "aws_secret_access_key" => secret = v,
                "aws_session_token" => token = v,
                _ => {}
            }
        }
    }
    match (id, secret) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(S3Credentials {
            access_key_id,
            secret_access_key,
            session_token: token,
        }),
        _ => Err(format!(
            "the profile [{profile}] has no aws_access_key_id and aws_secret_access_key"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> Result<BlobLocation, String> {
        parse_url(u)
    }

    fn blobs(u: &str) -> raw::Blobs {
        raw::Blobs {
            url: Some(u.into()),
            ..Default::default()
        }
    }

    #[test]
    fn default_is_the_folder_under_var_dir() {
        let loc = parse(
            &raw::Blobs::default(),
            Path::new("var"),
            Path::new("m.toml"),
        )
        .unwrap();
        assert_eq!(loc, BlobLocation::Folder(PathBuf::from("var/blobs")));
    }

    #[test]
    fn paths_and_file_urls_are_folders() {
        assert_eq!(
            url("/mnt/shared/blobs").unwrap(),
            BlobLocation::Folder("/mnt/shared/blobs".into())
        );
        assert_eq!(
            url("file:///mnt/shared/my%20blobs").unwrap(),
            BlobLocation::Folder("/mnt/shared/my blobs".into())
        );
        assert!(url("file://otherhost/x")
            .unwrap_err()
            .contains("not a local folder"));
    }

    #[test]
    fn s3_urls_give_bucket_and_prefix() {
        let BlobLocation::S3(s3) = url("s3://mail-room/prod/blobs/").unwrap() else {
            panic!("not s3")
        };
        assert_eq!(
            (s3.bucket.as_str(), s3.prefix.as_str()),
            ("mail-room", "prod/blobs")
        );
        assert!(s3.path_style);
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.url(), "s3://mail-room/prod/blobs");
        let BlobLocation::S3(s3) = url("s3://mail-room").unwrap() else {
            panic!("not s3")
        };
        assert_eq!(s3.prefix, "");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        assert!(url("ftp://host/x")
            .unwrap_err()
            .contains("scheme \"ftp\" is not supported"));
        assert!(url("s3:///prefix").unwrap_err().contains("names no bucket"));
        assert!(url("s3://").unwrap_err().contains("names no bucket"));
        assert!(url("s3://key:secret@bucket/x")
            .unwrap_err()
            .contains("credentials"));
        assert!(url("s3://Bad_Bucket/x")
            .unwrap_err()
            .contains("not a bucket name"));
        assert!(url("s3://bucket/a//b")
            .unwrap_err()
            .contains("empty, '.' or '..'"));
        assert!(url("s3://bucket/a/../b")
            .unwrap_err()
            .contains("empty, '.' or '..'"));
    }

    #[test]
    fn config_errors_name_the_key() {
        let err = parse(&blobs("gs://b/p"), Path::new("var"), Path::new("m.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("m.toml: key `blobs.url`: the scheme \"gs\""),
            "{err}"
        );
        let folder_with_endpoint = raw::Blobs {
            endpoint: Some("http://127.0.0.1:9000".into()),
            ..Default::default()
        };
        let err = parse(&folder_with_endpoint, Path::new("var"), Path::new("m.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("key `blobs.endpoint`: applies only to an s3://"),
            "{err}"
        );
        let bad_endpoint = raw::Blobs {
            endpoint: Some("127.0.0.1:9000".into()),
            ..blobs("s3://bucket")
        };
        let err = parse(&bad_endpoint, Path::new("var"), Path::new("m.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("key `blobs.endpoint`"), "{err}");
        let ok = raw::Blobs {
            endpoint: Some("http://127.0.0.1:9000/".into()),
            region: Some("eu-north-1".into()),
            path_style: Some(false),
            ..blobs("s3://bucket/p")
        };
        let BlobLocation::S3(s3) = parse(&ok, Path::new("var"), Path::new("m.toml")).unwrap()
        else {
            panic!("not s3")
        };
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.region, "eu-north-1");
        assert!(!s3.path_style);
    }

    #[test]
    fn credentials_file_profiles() {
        let text = "# keys\n[default]\naws_access_key_id = AKIDEFAULT\naws_secret_access_key = s1\n\n\
                    [mailroom]\naws_access_key_id=AKIMAIL\naws_secret_access_key=s2\naws_session_token = t\n";
        let d = credentials_from_file(text, "default").unwrap();
        assert_eq!(
            (d.access_key_id.as_str(), d.session_token),
            ("AKIDEFAULT", None)
        );
        let m = credentials_from_file(text, "mailroom").unwrap();
        assert_eq!(m.secret_access_key, "s2");
        assert_eq!(m.session_token.as_deref(), Some("t"));
        assert!(credentials_from_file(text, "other")
            .unwrap_err()
            .contains("[other] has no aws_access_key_id"));
        assert!(!format!("{m:?}").contains("s2"));
    }
}
