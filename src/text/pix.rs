//! A safe owner of a Leptonica `PIX`, and the few Leptonica operations the page
//! preprocessing needs (grey conversion, scaling, orthogonal rotation, skew search).
//!
//! Leptonica is already in the process (Tesseract needs it) and does these operations
//! well on every bit depth TIFF scanners produce (1-bit G4 included), so we use it
//! rather than re-implement them on top of the `image` crate.

use leptess::capi as ffi;

/// An owned `PIX`. Leptonica images are plain memory, safe to move between threads.
pub struct Pix(*mut ffi::Pix);

// SAFETY: a PIX is a heap block with a reference count; we never share one between
// threads (no Clone), so moving the owner is sound.
unsafe impl Send for Pix {}

impl Drop for Pix {
    fn drop(&mut self) {
        // SAFETY: we own the pointer; pixDestroy nulls it.
        unsafe { ffi::pixDestroy(&mut self.0) }
    }
}

/// Leptonica prints its own errors to stderr (for example "image n not found" when we
/// probe for the page after the last). We report failures through our error types, so
/// its messages are switched off once per process.
pub fn quiet_leptonica() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        ffi::setMsgSeverity(ffi::L_SEVERITY_NONE as i32);
    });
}

impl Pix {
    fn from_raw(ptr: *mut ffi::Pix, what: &str) -> Result<Pix, String> {
        if ptr.is_null() {
            Err(format!("leptonica: {what} failed"))
        } else {
            Ok(Pix(ptr))
        }
    }

    pub fn as_ptr(&self) -> *mut ffi::Pix {
        self.0
    }

    /// An 8-bit grey PIX from row-major grey bytes.
    pub fn from_gray(width: u32, height: u32, data: &[u8]) -> Result<Pix, String> {
        assert_eq!(data.len(), (width * height) as usize);
        // SAFETY: pixCreate returns a zeroed 8bpp image or null.
        let pix = Pix::from_raw(
            unsafe { ffi::pixCreate(width as i32, height as i32, 8) },
            "pixCreate",
        )?;
        unsafe {
            let wpl = ffi::pixGetWpl(pix.0) as usize;
            let words = ffi::pixGetData(pix.0);
            for (y, row) in data.chunks_exact(width as usize).enumerate() {
                let line = std::slice::from_raw_parts_mut(words.add(y * wpl), wpl);
                // Leptonica stores pixels big-endian within each 32-bit word.
                for (x, &v) in row.iter().enumerate() {
                    let w = &mut line[x / 4];
                    let shift = 24 - 8 * (x % 4);
                    *w |= (v as u32) << shift;
                }
            }
        }
        Ok(pix)
    }

    /// Page `n` (0-based) of a TIFF in memory; `None` past the last page.
    pub fn read_tiff_page(data: &[u8], n: u32) -> Option<Pix> {
        // SAFETY: Leptonica only reads `data`; returns null on any error or past the end.
        let ptr = unsafe { ffi::pixReadMemTiff(data.as_ptr(), data.len(), n as i32) };
        if ptr.is_null() {
            None
        } else {
            Some(Pix(ptr))
        }
    }

    /// Width and height of TIFF page `n` from its header, without decoding pixels.
    pub fn tiff_page_size(data: &[u8], n: u32) -> Option<(u32, u32)> {
        quiet_leptonica();
        let (mut w, mut h, mut bps, mut spp, mut res, mut cmap, mut format) = (0, 0, 0, 0, 0, 0, 0);
        // SAFETY: reads `data` only; all out-pointers are valid locals.
        let rc = unsafe {
            ffi::readHeaderMemTiff(
                data.as_ptr(),
                data.len(),
                n as i32,
                &mut w,
                &mut h,
                &mut bps,
                &mut spp,
                &mut res,
                &mut cmap,
                &mut format,
            )
        };
        (rc == 0 && w > 0 && h > 0).then_some((w as u32, h as u32))
    }

    pub fn width(&self) -> u32 {
        unsafe { ffi::pixGetWidth(self.0) as u32 }
    }

    pub fn height(&self) -> u32 {
        unsafe { ffi::pixGetHeight(self.0) as u32 }
    }

    pub fn depth(&self) -> u32 {
        unsafe { ffi::pixGetDepth(self.0) as u32 }
    }

    /// Horizontal resolution recorded in the file, 0 when unknown.
    pub fn x_resolution(&self) -> u32 {
        unsafe { ffi::pixGetXRes(self.0).max(0) as u32 }
    }

    pub fn to_gray8(&self) -> Result<Pix, String> {
        Pix::from_raw(unsafe { ffi::pixConvertTo8(self.0, 0) }, "pixConvertTo8")
    }

    pub fn scale(&self, factor: f32) -> Result<Pix, String> {
        Pix::from_raw(unsafe { ffi::pixScale(self.0, factor, factor) }, "pixScale")
    }

    /// Rotate clockwise by `quads` × 90°.
    pub fn rotate_orth(&self, quads: u32) -> Result<Pix, String> {
        Pix::from_raw(
            unsafe { ffi::pixRotateOrth(self.0, quads as i32) },
            "pixRotateOrth",
        )
    }

    /// Rotate by `degrees` (clockwise positive, Leptonica's convention), white fill,
    /// same size.
    pub fn rotate(&self, degrees: f32) -> Result<Pix, String> {
        let radians = degrees.to_radians();
        Pix::from_raw(
            unsafe {
                ffi::pixRotate(
                    self.0,
                    radians,
                    ffi::L_ROTATE_AREA_MAP as i32,
                    ffi::L_BRING_IN_WHITE as i32,
                    0,
                    0,
                )
            },
            "pixRotate",
        )
    }

    /// The page's skew in degrees and Leptonica's confidence in it, found on a
    /// binarised copy. `None` when there is too little text to tell.
    pub fn find_skew(&self) -> Option<(f32, f32)> {
        let bin =
            Pix::from_raw(unsafe { ffi::pixConvertTo1(self.0, 160) }, "pixConvertTo1").ok()?;
        let (mut angle, mut conf) = (0f32, 0f32);
        let rc = unsafe { ffi::pixFindSkew(bin.0, &mut angle, &mut conf) };
        (rc == 0).then_some((angle, conf))
    }
}
