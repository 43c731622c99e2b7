//! A file sent over HTTP (the review UI's upload, `POST /api/v1/documents`) taken in
//! as a file dropped in the inbox is: its bytes into the blob store under their
//! sha256 and a `received` document in the ledger, or a `duplicate` of the document
//! with the same bytes ([`crate::store::Store::ingest_as`], the inbox's own intake),
//! then read by the workers like any other. Nothing is acknowledged before both are
//! durable.
//!
//! The body is streamed to a scratch file under `var/uploads/`, never held whole in
//! memory, and refused as soon as it passes `limits.max_file_mb` (the limit a file in
//! the inbox is held to); a declared `Content-Length` above it is refused before a
//! byte is stored (the rest is read and dropped, up to a bound, so that a client still
//! sending reads the refusal rather than a broken connection).

use std::io::Write;

use axum::body::{Body, HttpBody};
use axum::http::{header, HeaderMap, StatusCode};

use super::{ApiError, AppState};
use crate::store::Ingested;

/// The name an upload is recorded under: the last part of what the client called it
/// (no folders: a name cannot reach a typed inbox folder or outside the inbox), no
/// control characters, at most 200 characters.
pub(crate) fn upload_name(given: Option<&str>) -> Result<String, ApiError> {
    let given = given.unwrap_or("");
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_string();
    if name.is_empty() || name == "." || name == ".." {
        return Err(ApiError::bad_request(
            "an upload needs the file's name (?name=invoice.pdf)",
        ));
    }
    Ok(name)
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "the file is larger than the limit of {} MB (limits.max_file_mb); nothing was taken",
            limit / (1024 * 1024)
        ),
    )
}

/// The next frame of `body`, or `None` at its end.
async fn next_frame(body: &mut Body) -> Option<Result<axum::body::Bytes, axum::Error>> {
    loop {
        let frame =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut *body).poll_frame(cx)).await?;
        match frame {
            Ok(f) => match f.into_data() {
                Ok(data) => return Some(Ok(data)),
                Err(_) => continue, // trailers
            },
            Err(e) => return Some(Err(e)),
        }
    }
}

/// Read and drop what is left of a refused upload (at most 64 MB), so the client,
/// still sending, gets the refusal instead of a broken connection.
pub(crate) async fn discard(body: &mut Body) {
    let mut left: u64 = 64 << 20;
    while let Some(Ok(data)) = next_frame(body).await {
        match left.checked_sub(data.len() as u64) {
            Some(l) => left = l,
            None => return,
        }
    }
}

/// Stream `body` into the ledger as the document `name`; `actor` (who uploaded it) is
/// kept with the document (`source.uploaded_by`) and logged.
pub(crate) async fn take_upload(
    st: &AppState,
    name: String,
    headers: &HeaderMap,
    mut body: Body,
    actor: &str,
) -> Result<Ingested, ApiError> {
    let limit = st.cfg.limits.max_file_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        discard(&mut body).await;
        return Err(too_large(limit));
    }
    let internal = |e: std::io::Error| {
        tracing::error!(error = %e, "upload: scratch file");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the upload could not be stored",
        )
    };
    let dir = st.cfg.var_dir.join("uploads");
    std::fs::create_dir_all(&dir).map_err(internal)?;
    let mut scratch = tempfile::NamedTempFile::new_in(&dir).map_err(internal)?;
    let mut size: u64 = 0;
    while let Some(data) = next_frame(&mut body).await {
        let data = data.map_err(|e| ApiError::bad_request(format!("the upload broke off: {e}")))?;
        size += data.len() as u64;
        if size > limit {
            discard(&mut body).await;
            return Err(too_large(limit));
        }
        // Small writes to the page cache; the blob store fsyncs its own copy.
        scratch.write_all(&data).map_err(internal)?;
    }
    if size == 0 {
        return Err(ApiError::bad_request(
            "the file is empty; nothing was taken",
        ));
    }
    scratch.flush().map_err(internal)?;
    let (st, actor) = (st.clone(), actor.to_string());
    super::blocking(move || {
        let meta = crate::document::SourceMeta {
            uploaded_by: Some(actor.clone()),
            ..Default::default()
        };
        let meta = serde_json::to_string(&meta).expect("source metadata is JSON");
        let ingested = st.store.ingest_with(scratch.path(), &name, Some(&meta))?;
        // No inbox file to move: the scratch copy goes when `scratch` is dropped.
        st.store.intake_done(ingested.id())?;
        match &ingested {
            Ingested::Duplicate { id, of } => {
                tracing::info!(document_id = %id, duplicate_of = %of, file = %name, %actor, "uploaded: duplicate")
            }
            i => tracing::info!(document_id = %i.id(), file = %name, %actor, "uploaded: received"),
        }
        Ok::<_, ApiError>(ingested)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_keeps_only_its_own_name() {
        assert_eq!(upload_name(Some("scan 1.pdf")).unwrap(), "scan 1.pdf");
        assert_eq!(
            upload_name(Some("C:\\Users\\ann\\inv.pdf")).unwrap(),
            "inv.pdf"
        );
        assert_eq!(upload_name(Some("../../etc/passwd")).unwrap(), "passwd");
        assert_eq!(upload_name(Some("payroll/x.pdf")).unwrap(), "x.pdf");
        assert_eq!(upload_name(Some("a\u{0}b\n.png")).unwrap(), "ab.png");
        for bad in [None, Some(""), Some("dir/"), Some(".."), Some("  ")] {
            assert!(upload_name(bad).is_err(), "{bad:?}");
        }
    }
}
