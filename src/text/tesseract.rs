//! The Tesseract engine, through the C API that `leptess` re-exports.
//!
//! One [`Tesseract`] per worker thread, created once and reused for every page: loading
//! the eng+dan+deu models takes longer than reading a page. `LepTess` itself has no word
//! iterator and hides its handle, so we drive the same C API it wraps: set the image,
//! recognise, and take words with boxes and confidences from the TSV renderer.
//! A second, small engine loaded with the `osd` model answers orientation questions,
//! and a third, loaded with a script model (`ocr.accents`, "Latin"), reads names and
//! addresses again for the accents the page's languages lack. That one ([`Accents`])
//! is loaded once per process and shared by the workers' engines: it reads a few lines
//! a page, and holds ~140 MB.

use std::ffi::{CStr, CString};
use std::path::Path;
use std::sync::{Arc, Mutex};

use leptess::capi as ffi;

use super::{tsv, OcrEngine, Pix, TextError, Word};

struct Handle(*mut ffi::TessBaseAPI);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: we own the handle; End frees the models, Delete the object.
        unsafe {
            ffi::TessBaseAPIEnd(self.0);
            ffi::TessBaseAPIDelete(self.0);
        }
    }
}

impl Handle {
    fn new(datapath: Option<&Path>, lang: &str) -> Result<Handle, TextError> {
        let handle = Handle(unsafe { ffi::TessBaseAPICreate() });
        let lang_c = CString::new(lang).map_err(|e| TextError::EngineInit(e.to_string()))?;
        let path_c = datapath
            .map(|p| CString::new(p.to_string_lossy().as_bytes()))
            .transpose()
            .map_err(|e| TextError::EngineInit(e.to_string()))?;
        // SAFETY: pointers are valid NUL-terminated strings for the call's duration.
        let rc = unsafe {
            ffi::TessBaseAPIInit2(
                handle.0,
                path_c.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
                lang_c.as_ptr(),
                ffi::TessOcrEngineMode_OEM_LSTM_ONLY,
            )
        };
        if rc != 0 {
            // Script models are named by their script, capitalised ("Latin"), and
            // packaged apart from the languages.
            let package = if lang.starts_with(|c: char| c.is_ascii_uppercase()) {
                "the tesseract-ocr-script-<script> package (tesseract-ocr-script-latn for \"Latin\")"
            } else {
                "tesseract-ocr-<lang> packages"
            };
            return Err(TextError::EngineInit(format!(
                "Tesseract could not load languages {lang:?}{}; install {package}",
                datapath
                    .map(|p| format!(" from {}", p.display()))
                    .unwrap_or_default()
            )));
        }
        Ok(handle)
    }

    fn set_variable(&self, name: &str, value: &str) {
        let (n, v) = (CString::new(name).unwrap(), CString::new(value).unwrap());
        unsafe { ffi::TessBaseAPISetVariable(self.0, n.as_ptr(), v.as_ptr()) };
    }
}

// SAFETY: a TessBaseAPI may be moved to another thread as long as only one thread uses
// it at a time; `Tesseract` is not Sync and every method takes `&mut self`.
unsafe impl Send for Handle {}

/// An engine loaded with a script model (such as "Latin") reading single lines, which
/// the engines of several workers share (cloning shares it): one worker reads with it
/// at a time.
#[derive(Clone)]
pub struct Accents(Arc<Mutex<Handle>>);

impl Accents {
    /// Load `model`; a missing one is an error here, at start-up.
    pub fn load(datapath: Option<&Path>, model: &str) -> Result<Accents, TextError> {
        let h = Handle::new(datapath, model)?;
        unsafe { ffi::TessBaseAPISetPageSegMode(h.0, ffi::TessPageSegMode_PSM_SINGLE_LINE) };
        h.set_variable("debug_file", "/dev/null");
        Ok(Accents(Arc::new(Mutex::new(h))))
    }
}

pub struct Tesseract {
    ocr: Handle,
    osd: Option<Handle>,
    accents: Option<Accents>,
    dpi: u32,
    /// Reading one page — its page pass and every second read of it — stops after
    /// this long (`limits.max_ocr_secs_per_page`).
    deadline: Option<std::time::Duration>,
    /// When the page being read was started ([`OcrEngine::start_page`]).
    page_started: std::time::Instant,
}

impl Tesseract {
    /// `osd`: also load the orientation model (needs `osd.traineddata`).
    pub fn new(
        datapath: Option<&Path>,
        languages: &str,
        psm: u32,
        dpi: u32,
        osd: bool,
    ) -> Result<Tesseract, TextError> {
        // Tesseract calls Leptonica too ("Error in boxClipToRectangle" on some receipts):
        // its messages say nothing our results do not.
        super::pix::quiet_leptonica();
        let ocr = Handle::new(datapath, languages)?;
        unsafe { ffi::TessBaseAPISetPageSegMode(ocr.0, psm as ffi::TessPageSegMode) };
        // Without a dictionary penalty for non-words, invoice numbers like "INV-2024-0042"
        // come out as words; leave Tesseract's defaults otherwise.
        ocr.set_variable("debug_file", "/dev/null");
        let osd = if osd {
            let h = Handle::new(datapath, "osd")?;
            unsafe { ffi::TessBaseAPISetPageSegMode(h.0, ffi::TessPageSegMode_PSM_OSD_ONLY) };
            h.set_variable("debug_file", "/dev/null");
            Some(h)
        } else {
            None
        };
        Ok(Tesseract {
            ocr,
            osd,
            accents: None,
            dpi,
            deadline: None,
            page_started: std::time::Instant::now(),
        })
    }

    /// Read lines with `accents` in [`OcrEngine::recognize_line_accented`].
    pub fn with_accents(mut self, accents: Accents) -> Tesseract {
        self.accents = Some(accents);
        self
    }

    /// Stop reading a page after `limit`: the read fails with [`TextError::OcrTimeout`]
    /// instead of holding the worker (a page of noise can take Tesseract minutes).
    pub fn with_page_deadline(mut self, limit: std::time::Duration) -> Tesseract {
        self.deadline = Some(limit);
        self
    }

    pub fn version() -> String {
        unsafe { CStr::from_ptr(ffi::TessVersion()) }
            .to_string_lossy()
            .into_owned()
    }

    /// Recognise an image with another page segmentation mode than the configured one.
    fn read_with(
        &mut self,
        image: &Pix,
        page: u32,
        psm: ffi::TessPageSegMode,
    ) -> Result<Vec<Word>, TextError> {
        let h = self.ocr.0;
        // SAFETY: the handle is ours.
        let configured = unsafe { ffi::TessBaseAPIGetPageSegMode(h) };
        unsafe { ffi::TessBaseAPISetPageSegMode(h, psm) };
        let words = self.read(image, page);
        unsafe { ffi::TessBaseAPISetPageSegMode(h, configured) };
        words
    }

    /// Recognise an image with the current page segmentation mode.
    fn read(&mut self, image: &Pix, page: u32) -> Result<Vec<Word>, TextError> {
        let h = self.ocr.0;
        self.read_by(h, image, page)
    }

    /// Recognise an image with the engine `h` (one of ours).
    fn read_by(
        &mut self,
        h: *mut ffi::TessBaseAPI,
        image: &Pix,
        page: u32,
    ) -> Result<Vec<Word>, TextError> {
        // SAFETY: the handle is ours; Tesseract keeps its own reference to the PIX only
        // until the next SetImage/Clear, which happens below before `image` can drop.
        unsafe {
            // What is left of the page's time: the page pass and the second reads of
            // the same page share it.
            let left = self
                .deadline
                .map(|d| d.saturating_sub(self.page_started.elapsed()));
            if let (Some(limit), Some(left)) = (self.deadline, left) {
                if left.is_zero() {
                    return Err(TextError::OcrTimeout { page, limit });
                }
            }
            ffi::TessBaseAPISetImage2(h, image.as_ptr() as *mut _);
            ffi::TessBaseAPISetSourceResolution(h, self.dpi as i32);
            let monitor = match left {
                Some(d) => {
                    let m = ffi::TessMonitorCreate();
                    ffi::TessMonitorSetDeadlineMSecs(
                        m,
                        d.as_millis().clamp(1, i32::MAX as u128) as i32,
                    );
                    m
                }
                None => std::ptr::null_mut(),
            };
            let rc = ffi::TessBaseAPIRecognize(h, monitor);
            if !monitor.is_null() {
                ffi::TessMonitorDelete(monitor);
            }
            if let (Some(limit), true) = (
                self.deadline,
                self.deadline
                    .is_some_and(|d| self.page_started.elapsed() >= d),
            ) {
                ffi::TessBaseAPIClear(h);
                return Err(TextError::OcrTimeout { page, limit });
            }
            if rc != 0 {
                ffi::TessBaseAPIClear(h);
                return Err(TextError::Ocr {
                    page,
                    message: "recognition failed".into(),
                });
            }
            let text = ffi::TessBaseAPIGetTsvText(h, 0);
            if text.is_null() {
                ffi::TessBaseAPIClear(h);
                return Err(TextError::Ocr {
                    page,
                    message: "no TSV output".into(),
                });
            }
            let words = tsv::parse(&CStr::from_ptr(text).to_string_lossy());
            ffi::TessDeleteText(text);
            ffi::TessBaseAPIClear(h);
            Ok(words)
        }
    }
}

impl OcrEngine for Tesseract {
    fn start_page(&mut self) {
        self.page_started = std::time::Instant::now();
    }

    fn recognize(&mut self, image: &Pix, page: u32) -> Result<Vec<Word>, TextError> {
        self.read(image, page)
    }

    fn recognize_strip(&mut self, image: &Pix, page: u32) -> Result<Vec<Word>, TextError> {
        self.read_with(image, page, ffi::TessPageSegMode_PSM_SPARSE_TEXT)
    }

    fn recognize_line(&mut self, image: &Pix, page: u32) -> Result<Vec<Word>, TextError> {
        self.read_with(image, page, ffi::TessPageSegMode_PSM_SINGLE_LINE)
    }

    fn recognize_line_accented(&mut self, image: &Pix, page: u32) -> Result<Vec<Word>, TextError> {
        let Some(accents) = self.accents.clone() else {
            return Ok(Vec::new());
        };
        // A worker that panicked while reading left the engine as any read does: the
        // next read sets its image anew.
        let h = accents.0.lock().unwrap_or_else(|e| e.into_inner());
        self.read_by(h.0, image, page)
    }

    fn detect_orientation(&mut self, image: &Pix) -> Option<(u32, f32)> {
        let h = self.osd.as_ref()?.0;
        let (mut deg, mut conf, mut sconf) = (0i32, 0f32, 0f32);
        let mut script: *const std::os::raw::c_char = std::ptr::null();
        // SAFETY: as in `read`; out-pointers are valid locals.
        let ok = unsafe {
            ffi::TessBaseAPISetImage2(h, image.as_ptr() as *mut _);
            ffi::TessBaseAPISetSourceResolution(h, self.dpi as i32);
            let ok = ffi::TessBaseAPIDetectOrientationScript(
                h,
                &mut deg,
                &mut conf,
                &mut script,
                &mut sconf,
            );
            ffi::TessBaseAPIClear(h);
            ok
        };
        // OSD reports the page's clockwise rotation; we turn it back. Below ~2 its guess
        // is noise (measured on upright generated pages: conf 5–30 for real rotations).
        if ok == 0 || conf < 2.0 {
            return None;
        }
        Some((((360 - deg.rem_euclid(360)) / 90) as u32 % 4, conf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn second_reads_share_the_page_time_limit() {
        let cfg = crate::config::Config::defaults();
        let mut t = crate::pipeline::engine(&cfg).unwrap();
        let blank = Pix::from_gray(200, 60, &vec![255; 200 * 60]).unwrap();
        // Tesseract loads parts of its model on the first read: not this test's business.
        t.start_page();
        let _ = t.recognize_line(&blank, 1);
        let limit = Duration::from_secs(2);
        let mut t = t.with_page_deadline(limit);
        t.start_page();
        let in_time =
            |r: &Result<Vec<Word>, TextError>| !matches!(r, Err(TextError::OcrTimeout { .. }));
        assert!(
            in_time(&t.recognize_line(&blank, 1)),
            "the first read is in time"
        );
        // The page's time runs out between reads: the next read of the same page fails
        // at once, without starting Tesseract.
        std::thread::sleep(limit + Duration::from_millis(100));
        match t.recognize_line(&blank, 1) {
            Err(TextError::OcrTimeout { page: 1, limit }) => {
                assert_eq!(limit, Duration::from_secs(2))
            }
            other => panic!("expected the page's limit, got {other:?}"),
        }
        // The next page has its own time.
        t.start_page();
        assert!(in_time(&t.recognize_line(&blank, 2)));
    }

    /// What a child process of this test does: with `quiet`, start an engine as a
    /// worker does; then make the call Tesseract makes on some receipts (a box outside
    /// the image clipped to it), which Leptonica reports on stderr from C.
    fn leptonica_probe(quiet: bool) {
        if quiet {
            let cfg = crate::config::Config::defaults();
            crate::pipeline::engine(&cfg).unwrap();
        }
        // SAFETY: a box we create and destroy; the clip only reads it.
        unsafe {
            let mut outside = ffi::boxCreate(500, 500, 10, 10);
            let clipped = ffi::boxClipToRectangle(outside, 100, 100);
            assert!(clipped.is_null(), "the box lies outside the rectangle");
            ffi::boxDestroy(&mut outside);
        }
    }

    #[test]
    fn an_engine_start_keeps_leptonica_s_errors_off_stderr() {
        // Leptonica writes to file descriptor 2 from C, past Rust's capture: the test
        // runs itself again as a child process and reads the child's stderr.
        const CHILD: &str = "MAILROOM_LEPTONICA_PROBE";
        if let Ok(mode) = std::env::var(CHILD) {
            leptonica_probe(mode == "quiet");
            return;
        }
        let stderr_of = |mode: &str| {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "text::tesseract::tests::an_engine_start_keeps_leptonica_s_errors_off_stderr",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD, mode)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            String::from_utf8_lossy(&out.stderr).into_owned()
        };
        // Without an engine the call is heard (the probe reaches Leptonica) ...
        let loud = stderr_of("loud");
        assert!(
            loud.contains("Error in boxClipToRectangle"),
            "stderr: {loud}"
        );
        // ... and after an engine start, in the same process, it is not.
        let quiet = stderr_of("quiet");
        assert!(!quiet.contains("Error in"), "stderr: {quiet}");
    }
}
