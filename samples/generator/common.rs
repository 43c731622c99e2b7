//! Drawing and output helpers shared by the non-invoice kinds (receipts, payroll change
//! requests, the bank confirmation form): thick pen strokes, check-box marks, signature
//! scribbles, a projective resampler, mark records for the truth file and the writer of
//! `{stem}.{ext}` + `{stem}.truth.json`.

use image::{GrayImage, Luma};
use rand::rngs::SmallRng;
use rand::Rng;
use serde::Serialize;
use serde_json::Value;

use crate::{save_image, Cli, Degradations, OutputFormat};

/// One hand-made mark for the truth file: a check box option or a signature box.
#[derive(Serialize, Clone, Debug)]
pub struct Mark {
    pub field: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<&'static str>,
    /// `ticked`, `crossed`, `filled` or `empty` for check boxes; `signed`/`empty` for signatures.
    pub style: &'static str,
    /// [x0, y0, x1, y1] in the written image's pixels (see `map_bbox`).
    pub bbox: [i32; 4],
}

/// Darkens a disc of radius `r` at (cx, cy) towards `ink`, with a one-pixel soft edge.
fn stamp(img: &mut GrayImage, cx: f32, cy: f32, r: f32, ink: u8) {
    let (w, h) = img.dimensions();
    let x0 = (cx - r - 1.0).floor().max(0.0) as u32;
    let y0 = (cy - r - 1.0).floor().max(0.0) as u32;
    let x1 = ((cx + r + 1.0).ceil().max(0.0) as u32).min(w);
    let y1 = ((cy + r + 1.0).ceil().max(0.0) as u32).min(h);
    for y in y0..y1 {
        for x in x0..x1 {
            let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
            let c = (r - d + 0.5).clamp(0.0, 1.0);
            if c > 0.0 {
                let p = img.get_pixel_mut(x, y);
                let v = p.0[0] as f32 + (ink as f32 - p.0[0] as f32) * c;
                p.0[0] = p.0[0].min(v.round() as u8);
            }
        }
    }
}

/// A pen stroke through `pts` (a polyline), `width` pixels thick.
pub fn stroke(img: &mut GrayImage, pts: &[(f32, f32)], width: f32, ink: u8) {
    let r = width / 2.0;
    for seg in pts.windows(2) {
        let ((ax, ay), (bx, by)) = (seg[0], seg[1]);
        let len = ((bx - ax).powi(2) + (by - ay).powi(2)).sqrt();
        let steps = (len / (r * 0.4).max(0.7)).ceil().max(1.0) as usize;
        for k in 0..=steps {
            let t = k as f32 / steps as f32;
            stamp(img, ax + (bx - ax) * t, ay + (by - ay) * t, r, ink);
        }
    }
}

/// Samples a Catmull-Rom spline through `ctrl` into a dense polyline.
fn smooth(ctrl: &[(f32, f32)]) -> Vec<(f32, f32)> {
    let mut out = Vec::new();
    for i in 0..ctrl.len().saturating_sub(1) {
        let p0 = ctrl[i.saturating_sub(1)];
        let (p1, p2) = (ctrl[i], ctrl[i + 1]);
        let p3 = ctrl[(i + 2).min(ctrl.len() - 1)];
        for k in 0..16 {
            let t = k as f32 / 16.0;
            let (t2, t3) = (t * t, t * t * t);
            let f = |a: f32, b: f32, c: f32, d: f32| {
                0.5 * (2.0 * b
                    + (-a + c) * t
                    + (2.0 * a - 5.0 * b + 4.0 * c - d) * t2
                    + (-a + 3.0 * b - 3.0 * c + d) * t3)
            };
            out.push((f(p0.0, p1.0, p2.0, p3.0), f(p0.1, p1.1, p2.1, p3.1)));
        }
    }
    if let Some(&last) = ctrl.last() {
        out.push(last);
    }
    out
}

/// A hand-like signature inside (x0, y0)-(x1, y1): a few thick smooth curves drifting
/// left to right, sometimes with an underline flourish.
pub fn scribble(img: &mut GrayImage, rng: &mut SmallRng, x0: f32, y0: f32, x1: f32, y1: f32) {
    let (w, h) = (x1 - x0, y1 - y0);
    let ink = rng.gen_range(10..70);
    let pen = rng.gen_range(4.0..8.0);
    let strokes = rng.gen_range(1..=3);
    let mut x = x0 + w * rng.gen_range(0.05..0.2);
    for _ in 0..strokes {
        let n = rng.gen_range(5..10);
        let span = w * rng.gen_range(0.2..0.45);
        let mut ctrl = Vec::with_capacity(n);
        for k in 0..n {
            let cx = x + span * k as f32 / (n - 1) as f32 + rng.gen_range(-0.04..0.04) * w;
            let cy = y0 + h * rng.gen_range(0.2..0.8);
            ctrl.push((cx.clamp(x0 + 8.0, x1 - 8.0), cy));
        }
        stroke(img, &smooth(&ctrl), pen, ink);
        x += span + w * rng.gen_range(0.0..0.08);
        if x > x0 + w * 0.85 {
            break;
        }
    }
    if rng.gen_bool(0.4) {
        let y = y0 + h * rng.gen_range(0.75..0.9);
        let ctrl = [
            (x0 + w * 0.1, y + rng.gen_range(-8.0..8.0)),
            (x0 + w * 0.45, y + rng.gen_range(-12.0..12.0)),
            (
                x0 + w * rng.gen_range(0.6..0.9),
                y + rng.gen_range(-10.0..10.0),
            ),
        ];
        stroke(img, &smooth(&ctrl), pen * 0.8, ink);
    }
}

/// Check-box mark styles.
pub const MARK_STYLES: [&str; 3] = ["ticked", "crossed", "filled"];

/// Draws a hand mark of `style` in the box (x0, y0)-(x1, y1) of stroke `stroke_w`.
/// Ticks and crosses are two thick pen strokes that may overshoot the box edge.
pub fn mark_box(
    img: &mut GrayImage,
    rng: &mut SmallRng,
    style: &str,
    (x0, y0, x1, y1): (f32, f32, f32, f32),
    stroke_w: f32,
) {
    let s = x1 - x0;
    let ink = rng.gen_range(10..80);
    let pen = rng.gen_range(5.0..9.0);
    let j = |rng: &mut SmallRng| rng.gen_range(-0.08..0.08) * s;
    match style {
        "ticked" => {
            let a = (x0 + 0.15 * s + j(rng), y0 + 0.5 * s + j(rng));
            let b = (x0 + 0.42 * s + j(rng), y0 + 0.85 * s + j(rng));
            let c = (
                x0 + rng.gen_range(0.85..1.25) * s,
                y0 - rng.gen_range(-0.05..0.35) * s,
            );
            let mid = (
                (b.0 + c.0) / 2.0 + j(rng) * 0.5,
                (b.1 + c.1) / 2.0 + j(rng) * 0.5,
            );
            stroke(img, &smooth(&[a, b]), pen, ink);
            stroke(img, &smooth(&[b, mid, c]), pen, ink);
        }
        "crossed" => {
            let o = |rng: &mut SmallRng| rng.gen_range(-0.1..0.15) * s;
            let (a, b) = ((x0 + o(rng), y0 + o(rng)), (x1 - o(rng), y1 - o(rng)));
            let (c, d) = ((x1 - o(rng), y0 + o(rng)), (x0 + o(rng), y1 - o(rng)));
            stroke(img, &[a, b], pen, ink);
            stroke(img, &[c, d], pen, ink);
        }
        _ => {
            let m = stroke_w + rng.gen_range(2.0..6.0);
            for y in (y0 + m) as u32..(y1 - m) as u32 {
                for x in (x0 + m) as u32..(x1 - m) as u32 {
                    if x < img.width() && y < img.height() {
                        let p = img.get_pixel_mut(x, y);
                        p.0[0] = p.0[0].min(ink);
                    }
                }
            }
        }
    }
}

/// A 3x3 projective map (row-major), applied to (x, y, 1).
pub type Homography = [f64; 9];

pub fn apply(h: &Homography, x: f64, y: f64) -> (f64, f64) {
    let w = h[6] * x + h[7] * y + h[8];
    (
        (h[0] * x + h[1] * y + h[2]) / w,
        (h[3] * x + h[4] * y + h[5]) / w,
    )
}

/// The homography taking the four points `from` to `to` (Gaussian elimination, 8x8).
pub fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Homography {
    let mut a = [[0.0f64; 9]; 8];
    for k in 0..4 {
        let ((x, y), (u, v)) = (from[k], to[k]);
        a[2 * k] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * k + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let piv = (col..8)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, piv);
        for r in 0..8 {
            if r != col {
                let f = a[r][col] / a[col][col];
                let pivot_row = a[col];
                for (x, p) in a[r][col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * p;
                }
            }
        }
    }
    let mut h = [1.0; 9];
    for r in 0..8 {
        h[r] = a[r][8] / a[r][r];
    }
    h
}

/// The similarity transform (turn `deg` clockwise and scale about (cx, cy), then shift).
pub fn similarity(deg: f64, scale: f64, cx: f64, cy: f64, dx: f64, dy: f64) -> Homography {
    let (s, c) = deg.to_radians().sin_cos();
    let (a, b) = (scale * c, scale * s);
    // x' = a(x-cx) - b(y-cy) + cx + dx ; y' = b(x-cx) + a(y-cy) + cy + dy
    [
        a,
        -b,
        cx + dx - a * cx + b * cy,
        b,
        a,
        cy + dy - b * cx - a * cy,
        0.0,
        0.0,
        1.0,
    ]
}

pub fn invert(h: &Homography) -> Homography {
    let [a, b, c, d, e, f, g, hh, i] = *h;
    let det = a * (e * i - f * hh) - b * (d * i - f * g) + c * (d * hh - e * g);
    [
        (e * i - f * hh) / det,
        (c * hh - b * i) / det,
        (b * f - c * e) / det,
        (f * g - d * i) / det,
        (a * i - c * g) / det,
        (c * d - a * f) / det,
        (d * hh - e * g) / det,
        (b * g - a * hh) / det,
        (a * e - b * d) / det,
    ]
}

/// Resamples `src` through `fwd` (source pixel -> output pixel) into a `w`x`h` image;
/// pixels that come from outside `src` take `background(x, y)`. Bilinear, with the
/// source edge blended into the background so the paper's edge is not jagged.
pub fn project(
    src: &GrayImage,
    fwd: &Homography,
    w: u32,
    h: u32,
    background: impl Fn(u32, u32) -> u8,
) -> GrayImage {
    let back = invert(fwd);
    let (sw, sh) = (src.width() as i64, src.height() as i64);
    let mut out = GrayImage::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = apply(&back, x as f64 + 0.5, y as f64 + 0.5);
            let (sx, sy) = (sx - 0.5, sy - 0.5);
            let bg = background(x, y) as f64;
            let (fx0, fy0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - fx0, sy - fy0);
            let (x0, y0) = (fx0 as i64, fy0 as i64);
            let get = |xx: i64, yy: i64| {
                if xx < 0 || yy < 0 || xx >= sw || yy >= sh {
                    bg
                } else {
                    src.get_pixel(xx as u32, yy as u32).0[0] as f64
                }
            };
            if x0 < -1 || y0 < -1 || x0 > sw || y0 > sh {
                out.put_pixel(x, y, Luma([bg as u8]));
                continue;
            }
            let top = get(x0, y0) + (get(x0 + 1, y0) - get(x0, y0)) * fx;
            let bot = get(x0, y0 + 1) + (get(x0 + 1, y0 + 1) - get(x0, y0 + 1)) * fx;
            out.put_pixel(x, y, Luma([(top + (bot - top) * fy).round() as u8]));
        }
    }
    out
}

/// Maps a box through `h` and returns the axis-aligned bounds of its corners.
pub fn map_box(h: &Homography, b: [f32; 4]) -> [f32; 4] {
    let pts = [(b[0], b[1]), (b[2], b[1]), (b[0], b[3]), (b[2], b[3])]
        .map(|(x, y)| apply(h, x as f64, y as f64));
    let xs = pts.map(|p| p.0 as f32);
    let ys = pts.map(|p| p.1 as f32);
    [
        xs.iter().copied().fold(f32::MAX, f32::min),
        ys.iter().copied().fold(f32::MAX, f32::min),
        xs.iter().copied().fold(f32::MIN, f32::max),
        ys.iter().copied().fold(f32::MIN, f32::max),
    ]
}

/// Where the scan degradations (`crate::warp`: turn about the centre, then scale by
/// dpi/300) move a point of a `sw`x`sh` page, as a homography.
pub fn scan_map(d: &Degradations, sw: u32, sh: u32) -> Homography {
    let (w, h) = crate::scan_size(sw, sh, d.dpi);
    let scale = d.dpi as f64 / 300.0;
    let turn = similarity(
        d.skew_deg + d.rotation as f64,
        1.0,
        sw as f64 / 2.0,
        sh as f64 / 2.0,
        0.0,
        0.0,
    );
    // then scale the turned page about its centre into the output's centre
    let fit = [
        scale,
        0.0,
        w as f64 / 2.0 - scale * sw as f64 / 2.0,
        0.0,
        scale,
        h as f64 / 2.0 - scale * sh as f64 / 2.0,
        0.0,
        0.0,
        1.0,
    ];
    mul(&fit, &turn)
}

pub fn mul(a: &Homography, b: &Homography) -> Homography {
    let mut m = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
        }
    }
    m
}

pub fn round_box(b: [f32; 4]) -> [i32; 4] {
    b.map(|v| v.round() as i32)
}

pub fn ext(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Png => "png",
        OutputFormat::Jpeg => "jpg",
        OutputFormat::Tiff => "tif",
        OutputFormat::Pdf => "pdf",
    }
}

/// Writes `{stem}.{ext}` at `dpi` and `{stem}.truth.json`.
pub fn write_doc(
    cli: &Cli,
    stem: &str,
    img: &GrayImage,
    dpi: u32,
    truth: &Value,
) -> Result<(), String> {
    let path = cli.out.join(format!("{stem}.{}", ext(cli.format)));
    save_image(img, &path, cli.format, dpi)?;
    let json = serde_json::to_string_pretty(truth).map_err(|e| e.to_string())?;
    let truth_path = cli.out.join(format!("{stem}.truth.json"));
    std::fs::write(&truth_path, json + "\n").map_err(|e| format!("{}: {e}", truth_path.display()))
}

/// "37.5", "40", "7.25" from hundredths.
pub fn plain_number(hundredths: i64) -> String {
    let s = format!("{}.{:02}", hundredths / 100, hundredths % 100);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
