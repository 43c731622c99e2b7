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

/// `f` given a Leptonica box of `[x0, y0, x1, y1)`, destroyed after it.
fn with_box<T>(rect: [u32; 4], f: impl FnOnce(*mut ffi::Box) -> T) -> Result<T, String> {
    let [x0, y0, x1, y1] = rect;
    // SAFETY: boxCreate returns an owned box or null; it is destroyed after use.
    unsafe {
        let mut b = ffi::boxCreate(
            x0 as i32,
            y0 as i32,
            x1.saturating_sub(x0) as i32,
            y1.saturating_sub(y0) as i32,
        );
        if b.is_null() {
            return Err("leptonica: boxCreate failed".into());
        }
        let out = f(b);
        ffi::boxDestroy(&mut b);
        Ok(out)
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
        Pix::from_rows(width, height, |y, row| {
            let w = width as usize;
            row.copy_from_slice(&data[y * w..(y + 1) * w]);
        })
    }

    /// An 8-bit grey PIX whose rows `fill(y, row)` writes, `width` bytes at a time.
    fn from_rows(
        width: u32,
        height: u32,
        mut fill: impl FnMut(usize, &mut [u8]),
    ) -> Result<Pix, String> {
        // SAFETY: pixCreate returns a zeroed 8bpp image or null.
        let pix = Pix::from_raw(
            unsafe { ffi::pixCreate(width as i32, height as i32, 8) },
            "pixCreate",
        )?;
        let w = width as usize;
        // A row rounded up to whole 32-bit words, so it packs four pixels at a time.
        let mut row = vec![0u8; w.div_ceil(4) * 4];
        // SAFETY: rows 0..height of `wpl` words each lie inside the image data, and
        // `wpl` words hold at least `width` pixels.
        unsafe {
            let wpl = ffi::pixGetWpl(pix.0) as usize;
            let words = ffi::pixGetData(pix.0);
            for y in 0..height as usize {
                fill(y, &mut row[..w]);
                let line = std::slice::from_raw_parts_mut(words.add(y * wpl), wpl);
                // Leptonica stores pixels big-endian within each 32-bit word.
                for (word, px) in line.iter_mut().zip(row.chunks_exact(4)) {
                    *word = u32::from_be_bytes([px[0], px[1], px[2], px[3]]);
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

    /// Record the image's resolution (what [`Pix::x_resolution`] returns), for images
    /// whose resolution is known from elsewhere (a PDF page's placement).
    pub fn set_resolution(&mut self, dpi: u32) {
        // SAFETY: the PIX is ours; this only writes two header fields.
        unsafe { ffi::pixSetResolution(self.0, dpi as i32, dpi as i32) };
    }

    /// A deep copy (its own pixels), for keeping an image that later steps replace.
    pub fn copy(&self) -> Result<Pix, String> {
        Pix::from_raw(
            unsafe { ffi::pixCopy(std::ptr::null_mut(), self.0) },
            "pixCopy",
        )
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

    /// A copy of the rectangle `[x0, y0, x1, y1)`, clipped to the image.
    pub fn clip(&self, rect: [u32; 4]) -> Result<Pix, String> {
        // SAFETY: pixClipRectangle clips the box to the image and copies.
        let clipped = with_box(rect, |b| unsafe {
            ffi::pixClipRectangle(self.0, b, std::ptr::null_mut())
        })?;
        Pix::from_raw(clipped, "pixClipRectangle")
    }

    /// Paints the rectangles `[x0, y0, x1, y1)` white (clipped to the image).
    pub fn whiten(&mut self, rects: impl IntoIterator<Item = [u32; 4]>) -> Result<(), String> {
        for rect in rects {
            // SAFETY: pixSetInRect clips the box to the image and sets its pixels to
            // the depth's maximum, white for 8-bit grey.
            with_box(rect, |b| unsafe { ffi::pixSetInRect(self.0, b) })?;
        }
        Ok(())
    }

    /// The pixels of an 8-bit grey image, row by row (`None` for other depths).
    pub fn gray_bytes(&self) -> Option<Vec<u8>> {
        if self.depth() != 8 {
            return None;
        }
        let (w, h) = (self.width() as usize, self.height() as usize);
        let mut out = Vec::with_capacity(w * h);
        // SAFETY: rows 0..h of `wpl` words each lie inside the image data.
        unsafe {
            let wpl = ffi::pixGetWpl(self.0) as usize;
            let data = ffi::pixGetData(self.0);
            for y in 0..h {
                let line = std::slice::from_raw_parts(data.add(y * wpl), w.div_ceil(4));
                out.extend(line.iter().flat_map(|word| word.to_be_bytes()));
                // The last word of a row may hold padding past `w`.
                out.truncate((y + 1) * w);
            }
        }
        Some(out)
    }

    /// `f` applied to an 8-bit grey version of this image (itself when it is one).
    fn on_gray8(
        &self,
        f: impl FnOnce(*mut ffi::Pix) -> *mut ffi::Pix,
        what: &str,
    ) -> Result<Pix, String> {
        let gray = if self.depth() == 8 {
            None
        } else {
            Some(self.to_gray8()?)
        };
        let src = gray.as_ref().unwrap_or(self);
        Pix::from_raw(f(src.0), what)
    }

    /// A 1-bit copy: pixels darker than `threshold` become black (a fax or G4 scan).
    pub fn to_binary(&self, threshold: u8) -> Result<Pix, String> {
        // SAFETY: reads the 8-bit source, returns a new image or null.
        self.on_gray8(
            |p| unsafe { ffi::pixThresholdToBinary(p, threshold as i32) },
            "pixThresholdToBinary",
        )
    }

    /// A 2-bit, four-level grey copy (stored Flate-compressed in a PDF).
    pub fn to_2bpp(&self) -> Result<Pix, String> {
        // SAFETY: as above.
        self.on_gray8(
            |p| unsafe { ffi::pixThresholdTo2bpp(p, 4, 0) },
            "pixThresholdTo2bpp",
        )
    }

    /// An image-only PDF of these pages at `dpi`, the way scanners write them: each
    /// page one image, encoded by its depth (1-bit CCITT G4, 2-bit Flate, 8-bit JPEG).
    /// Used by the sample generator and the tests.
    pub fn image_pdf(pages: &[Pix], dpi: u32) -> Result<Vec<u8>, String> {
        // SAFETY: the PIXA holds copies of our images and is destroyed here; the output
        // buffer is Leptonica's, copied and then freed.
        unsafe {
            let mut pixa = ffi::pixaCreate(pages.len() as i32);
            if pixa.is_null() {
                return Err("leptonica: pixaCreate failed".into());
            }
            for p in pages {
                ffi::pixaAddPix(pixa, p.0, ffi::L_COPY as i32);
            }
            let mut data: *mut u8 = std::ptr::null_mut();
            let mut n: usize = 0;
            let rc = ffi::pixaConvertToPdfData(
                pixa,
                dpi as i32,
                1.0,
                ffi::L_DEFAULT_ENCODE as i32,
                0,
                std::ptr::null(),
                &mut data,
                &mut n,
            );
            ffi::pixaDestroy(&mut pixa);
            if rc != 0 || data.is_null() {
                return Err("leptonica: pixaConvertToPdfData failed".into());
            }
            let out = std::slice::from_raw_parts(data, n).to_vec();
            ffi::lept_free(data as *mut _);
            Ok(out)
        }
    }

    /// PNG bytes of an 8-bit grey image.
    pub fn to_png(&self) -> Result<Vec<u8>, String> {
        let bytes = self.gray_bytes().ok_or("not an 8-bit grey image")?;
        let img = image::GrayImage::from_raw(self.width(), self.height(), bytes)
            .ok_or("pixel buffer does not match the size")?;
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// The share of pixels darker than mid-grey in the rectangle `[x0, y0, x1, y1)`
    /// (clipped to the image) of an 8-bit grey image; 0 for other depths.
    pub fn dark_fraction(&self, rect: [u32; 4]) -> f32 {
        let (w, h) = (self.width(), self.height());
        let [x0, y0] = [rect[0].min(w), rect[1].min(h)];
        let [x1, y1] = [rect[2].min(w), rect[3].min(h)];
        if self.depth() != 8 || x1 <= x0 || y1 <= y0 {
            return 0.0;
        }
        let mut dark = 0u64;
        // SAFETY: rows y0..y1 and columns x0..x1 lie inside the image; each row is
        // `wpl` 32-bit words, pixels big-endian within a word.
        unsafe {
            let wpl = ffi::pixGetWpl(self.0) as usize;
            let data = ffi::pixGetData(self.0);
            for y in y0..y1 {
                let line = std::slice::from_raw_parts(data.add(y as usize * wpl), wpl);
                for x in x0..x1 {
                    let v = (line[x as usize / 4] >> (24 - 8 * (x % 4))) & 0xff;
                    dark += u64::from(v < 128);
                }
            }
        }
        dark as f32 / ((x1 - x0) as f32 * (y1 - y0) as f32)
    }

    /// Background normalisation (Leptonica `pixBackgroundNormSimple`): the paper level
    /// is estimated tile by tile and evened out, so a shadow or a lighting gradient no
    /// longer reads as ink to a global threshold. 8-bit grey in, 8-bit grey out.
    pub fn background_norm(&self) -> Result<Pix, String> {
        // SAFETY: reads the 8-bit source, returns a new image or null.
        self.on_gray8(
            |p| unsafe {
                ffi::pixBackgroundNormSimple(p, std::ptr::null_mut(), std::ptr::null_mut())
            },
            "pixBackgroundNormSimple",
        )
    }

    /// A linear stretch: `lo` and darker become black, `hi` and lighter white
    /// (Leptonica `pixGammaTRC` with gamma 1). Gives faded ink its contrast back.
    pub fn stretch(&self, lo: u8, hi: u8) -> Result<Pix, String> {
        // SAFETY: a new image (pixd null) from the 8-bit source, or null.
        self.on_gray8(
            |p| unsafe { ffi::pixGammaTRC(std::ptr::null_mut(), p, 1.0, lo as i32, hi as i32) },
            "pixGammaTRC",
        )
    }

    /// Like [`Pix::find_skew`], searching ±`range` degrees instead of Leptonica's ±7°:
    /// photographs are turned further than scans.
    pub fn find_skew_within(&self, range: f32) -> Option<(f32, f32)> {
        let bin =
            Pix::from_raw(unsafe { ffi::pixConvertTo1(self.0, 160) }, "pixConvertTo1").ok()?;
        let (mut angle, mut conf) = (0f32, 0f32);
        // Leptonica's defaults for the reductions and steps (skew.c): 4×, 2×, 1°, 0.01°.
        let rc = unsafe {
            ffi::pixFindSkewSweepAndSearch(bin.0, &mut angle, &mut conf, 4, 2, range, 1.0, 0.01)
        };
        (rc == 0).then_some((angle, conf))
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
