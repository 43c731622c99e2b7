//! The renderer behind the checkbox and signature-frame tests (`text::marks`): a
//! deterministic random number generator and a small greyscale canvas that draws
//! boxes, ticks, crosses, fills, scribbles, fake glyphs and QR-like blocks, then turns,
//! blurs and soils the result as a scanner would. Each case returns the image with
//! where its box or frame really is, so a test can score what `marks::find` reports.

/// A xorshift generator: the same seed draws the same cases on every machine.
pub struct Rng(pub u64);
impl Rng {
    // An endless stream with other draws beside it (`f`, `range`, …): not an Iterator.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn f(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn range(&mut self, a: f32, b: f32) -> f32 {
        a + (b - a) * self.f()
    }
    pub fn chance(&mut self, p: f32) -> bool {
        self.f() < p
    }
    pub fn u8r(&mut self, a: u8, b: u8) -> u8 {
        self.range(a as f32, b as f32 + 0.99) as u8
    }
}

/// A greyscale canvas (`p`, row-major, `w`×`h`) on paper of grey `bg`; drawing keeps
/// the darker of ink and what is already there.
#[derive(Clone)]
pub struct Img {
    pub w: usize,
    pub h: usize,
    pub p: Vec<u8>,
    pub bg: u8,
}
impl Img {
    pub fn new(w: usize, h: usize, bg: u8) -> Self {
        Img {
            w,
            h,
            p: vec![bg; w * h],
            bg,
        }
    }
    pub fn put(&mut self, x: i64, y: i64, v: u8) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let q = &mut self.p[y as usize * self.w + x as usize];
            *q = (*q).min(v);
        }
    }
    pub fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, v: u8) {
        for y in y0.round() as i64..y1.round() as i64 {
            for x in x0.round() as i64..x1.round() as i64 {
                self.put(x, y, v);
            }
        }
    }
    /// Outer box (x0,y0)-(x0+w,y0+h), stroke t.
    pub fn outline(&mut self, x0: f32, y0: f32, w: f32, h: f32, t: f32, v: u8) {
        self.rect(x0, y0, x0 + w, y0 + t, v);
        self.rect(x0, y0 + h - t, x0 + w, y0 + h, v);
        self.rect(x0, y0, x0 + t, y0 + h, v);
        self.rect(x0 + w - t, y0, x0 + w, y0 + h, v);
    }
    pub fn ring(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, t: f32, v: u8) {
        for y in (cy - ry - 1.0) as i64..=(cy + ry + 1.0) as i64 {
            for x in (cx - rx - 1.0) as i64..=(cx + rx + 1.0) as i64 {
                let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                let o = (dx / rx).powi(2) + (dy / ry).powi(2);
                let (ix, iy) = ((rx - t).max(0.1), (ry - t).max(0.1));
                let i = (dx / ix).powi(2) + (dy / iy).powi(2);
                if o <= 1.0 && (t >= rx.min(ry) || i > 1.0) {
                    self.put(x, y, v);
                }
            }
        }
    }
    pub fn seg(&mut self, a: (f32, f32), b: (f32, f32), r: f32, v: u8) {
        let (x0, x1) = (a.0.min(b.0) - r - 1.0, a.0.max(b.0) + r + 1.0);
        let (y0, y1) = (a.1.min(b.1) - r - 1.0, a.1.max(b.1) + r + 1.0);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let l2 = (dx * dx + dy * dy).max(1e-6);
        for y in y0 as i64..=y1 as i64 {
            for x in x0 as i64..=x1 as i64 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let t = (((px - a.0) * dx + (py - a.1) * dy) / l2).clamp(0.0, 1.0);
                let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
                if qx * qx + qy * qy <= r * r {
                    self.put(x, y, v);
                }
            }
        }
    }
    pub fn curve(&mut self, c: [(f32, f32); 4], r: f32, v: u8) {
        let pt = |t: f32| {
            let u = 1.0 - t;
            let (a, b, cc, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
            (
                a * c[0].0 + b * c[1].0 + cc * c[2].0 + d * c[3].0,
                a * c[0].1 + b * c[1].1 + cc * c[2].1 + d * c[3].1,
            )
        };
        let n = 48;
        for i in 0..n {
            self.seg(pt(i as f32 / n as f32), pt((i + 1) as f32 / n as f32), r, v);
        }
    }
    pub fn rotate(&self, deg: f32) -> Img {
        let (s, c) = deg.to_radians().sin_cos();
        let (cx, cy) = (self.w as f32 / 2.0, self.h as f32 / 2.0);
        let mut o = Img::new(self.w, self.h, self.bg);
        for y in 0..self.h {
            for x in 0..self.w {
                let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                let (sx, sy) = (c * dx + s * dy + cx, -s * dx + c * dy + cy);
                let (sx, sy) = (sx.floor() as i64, sy.floor() as i64);
                if sx >= 0 && sy >= 0 && (sx as usize) < self.w && (sy as usize) < self.h {
                    o.p[y * self.w + x] = self.p[sy as usize * self.w + sx as usize];
                }
            }
        }
        o
    }
    pub fn blur(&self) -> Img {
        let mut o = self.clone();
        for y in 1..self.h - 1 {
            for x in 1..self.w - 1 {
                let mut s = 0u32;
                for dy in 0..3 {
                    for dx in 0..3 {
                        s += self.p[(y + dy - 1) * self.w + x + dx - 1] as u32;
                    }
                }
                o.p[y * self.w + x] = (s / 9) as u8;
            }
        }
        o
    }
    pub fn gauss(&mut self, rng: &mut Rng, amp: f32) {
        for v in self.p.iter_mut() {
            let n = (rng.f() + rng.f() + rng.f() - 1.5) * (amp / 1.5);
            *v = (*v as f32 + n).round().clamp(0.0, 255.0) as u8;
        }
    }
    pub fn salt_pepper(&mut self, rng: &mut Rng, frac: f32) {
        let k = (self.p.len() as f32 * frac) as usize;
        for _ in 0..k {
            let i = (rng.next() % self.p.len() as u64) as usize;
            self.p[i] = if rng.chance(0.5) { 0 } else { 255 };
        }
    }
}

/// Where a point of the unrotated drawing lands after `Img::rotate(deg)`.
pub fn rot_point(x: f32, y: f32, w: usize, h: usize, deg: f32) -> (f32, f32) {
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (dx, dy) = (x - cx, y - cy);
    (c * dx - s * dy + cx, s * dx + c * dy + cy)
}

/// Fake text glyphs (rects, ellipses, O-rings) on a baseline; returns the end x.
pub fn glyphs(img: &mut Img, rng: &mut Rng, mut x: f32, base: f32, size: f32, n: usize) -> f32 {
    for _ in 0..n {
        let h = size * rng.range(0.55, 1.0);
        let w = h * rng.range(0.4, 0.9);
        let v = rng.u8r(0, 50);
        match rng.next() % 3 {
            0 => img.rect(x, base - h, x + w, base, v),
            1 => img.ring(x + w / 2.0, base - h / 2.0, w / 2.0, h / 2.0, 99.0, v),
            _ => img.ring(
                x + w / 2.0,
                base - h / 2.0,
                w / 2.0,
                h / 2.0,
                (size * 0.12).max(1.5),
                v,
            ),
        }
        x += w + size * rng.range(0.1, 0.3);
    }
    x
}

/// What a checkbox holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fill {
    Empty,
    Tick,
    Cross,
    Solid,
    Faint,
}

/// Draws a tick/cross/fill into the box at (x0,y0) with side s and outline stroke t.
#[allow(clippy::too_many_arguments)]
pub fn draw_fill(
    img: &mut Img,
    rng: &mut Rng,
    x0: f32,
    y0: f32,
    s: f32,
    t: f32,
    fill: Fill,
    over: f32,
    dpi: f32,
) -> bool {
    let k = dpi / 300.0;
    let mut merged = false;
    match fill {
        Fill::Empty => {}
        Fill::Tick | Fill::Faint => {
            let faint = fill == Fill::Faint;
            let (v, r) = if faint {
                (150, rng.range(1.2, 2.0) * k)
            } else {
                (rng.u8r(0, 50), (s * rng.range(0.04, 0.07)).max(1.5))
            };
            let sc = if faint { rng.range(0.5, 1.0) } else { 1.0 };
            let vx = (
                x0 + s * rng.range(0.35, 0.5),
                y0 + s * rng.range(0.72, 0.88),
            );
            let o = over * rng.f();
            let p0 = (x0 + s * rng.range(0.1, 0.25), y0 + s * rng.range(0.4, 0.6));
            let p2 = (x0 + s * (0.9 + o * 0.5), y0 + s * (0.12 - o));
            let scale = |p: (f32, f32)| (vx.0 + (p.0 - vx.0) * sc, vx.1 + (p.1 - vx.1) * sc);
            let (p0, p2) = (scale(p0), scale(p2));
            let m2 = (
                (vx.0 + p2.0) / 2.0 + s * rng.range(-0.05, 0.05),
                (vx.1 + p2.1) / 2.0,
            );
            img.seg(p0, vx, r, v);
            img.curve([vx, m2, m2, p2], r, v);
        }
        Fill::Cross => {
            let r = (s * rng.range(0.03, 0.06)).max(1.2);
            let v = rng.u8r(0, 50);
            let mut e = || s * (over * rng.f() - 0.12 * rng.f());
            let (a, b, c, d) = (e(), e(), e(), e());
            img.seg((x0 - a, y0 - a), (x0 + s + b, y0 + s + b), r, v);
            img.seg((x0 + s + c, y0 - c), (x0 - d, y0 + s + d), r, v);
        }
        Fill::Solid => {
            let v = rng.u8r(0, 40);
            let extra = rng.range(0.0, 3.0);
            let inset = t + extra;
            if rng.chance(0.5) {
                merged = extra < 1.0;
                img.rect(x0 + inset, y0 + inset, x0 + s - inset, y0 + s - inset, v);
            } else {
                let r = (s * 0.07).max(2.0);
                let mut y = y0 + inset + r;
                while y < y0 + s - inset - r * 0.5 {
                    let a = x0 + inset + r + rng.range(0.0, 2.0);
                    let b = x0 + s - inset - r - rng.range(0.0, 2.0);
                    img.seg((a, y), (b, y + r * 0.5), r, v);
                    y += r * 1.5;
                }
            }
        }
    }
    merged
}

/// What the scanner does to a drawn page: turn it (degrees), blur it, add noise.
#[derive(Clone, Copy, Debug)]
pub struct Post {
    pub rot: f32,
    pub blur: bool,
    pub gauss: bool,
    pub sp: bool,
}
/// A random scanner: half the pages turned up to 2°, some blurred or noisy.
pub fn random_post(rng: &mut Rng) -> Post {
    Post {
        rot: if rng.chance(0.5) {
            rng.range(-2.0, 2.0)
        } else {
            0.0
        },
        blur: rng.chance(0.3),
        gauss: rng.chance(0.4),
        sp: rng.chance(0.3),
    }
}
/// The page as the scanner `post` delivers it.
pub fn apply(img: Img, post: Post, rng: &mut Rng) -> Img {
    let mut img = if post.rot != 0.0 {
        img.rotate(post.rot)
    } else {
        img
    };
    if post.blur {
        img = img.blur();
    }
    if post.gauss {
        img.gauss(rng, 30.0);
    }
    if post.sp {
        img.salt_pepper(rng, 0.005);
    }
    img
}

/// One checkbox on a strip of text, as scanned, with where its centre really is.
pub struct CbCase {
    pub img: Img,
    pub centre: (f32, f32),
    pub side: f32,
    pub dpi: u32,
    /// filled box below 3 mm: if the fill merges with the outline it is one solid square,
    /// indistinguishable from a solid glyph (documented limit), reported separately.
    pub limit: bool,
}

/// A random checkbox case holding `fill`: 2.8 to 7.5 mm boxes at 200 or 300 dpi,
/// strokes of 2 to 5 px, white or tinted paper, glyphs beside, then a random scanner.
pub fn checkbox_case(rng: &mut Rng, fill: Fill) -> CbCase {
    let dpi = if rng.chance(0.5) { 300.0 } else { 200.0 };
    let mm = dpi / 25.4;
    let s = (rng.range(2.8, 7.5) * mm).round();
    let t = rng
        .range(2.0, 5.99)
        .floor()
        .min((s * 0.15).floor().max(2.0));
    let paper = if fill != Fill::Faint && rng.chance(0.4) {
        rng.u8r(200, 230)
    } else {
        255
    };
    let text = 2.6 * mm;
    let w = (s * 1.6 + 16.0 * text + 120.0) as usize;
    let h = (s * 2.4 + 80.0) as usize;
    let mut img = Img::new(w, h, paper);
    let y0 = ((h as f32 - s) / 2.0).round();
    let mut x0 = 40.0;
    let base = y0 + s * rng.range(0.75, 1.0);
    if rng.chance(0.5) {
        x0 = glyphs(&mut img, rng, x0, base, text, 3) + 8.0 + rng.range(0.0, 10.0);
    }
    x0 = x0.round();
    img.outline(x0, y0, s, s, t, rng.u8r(0, 60));
    glyphs(&mut img, rng, x0 + s + 8.0, base, text, 8);
    let merged = draw_fill(&mut img, rng, x0, y0, s, t, fill, 0.3, dpi);
    let limit = fill == Fill::Solid && s < 3.0 * mm;
    let _ = merged;
    let post = random_post(rng);
    let centre = rot_point(x0 + s / 2.0, y0 + s / 2.0, w, h, post.rot);
    let img = apply(img, post, rng);
    CbCase {
        img,
        centre,
        side: s,
        dpi: dpi as u32,
        limit,
    }
}

/// What a signature frame holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fr {
    Scribble,
    Empty,
    Caption,
    Typed,
}

/// A signature-box-like frame; returns (image, expected centre, frame width, dpi).
pub fn frame_case(rng: &mut Rng, kind: Fr) -> (Img, (f32, f32), f32, u32) {
    let dpi = if rng.chance(0.5) { 300.0 } else { 200.0 };
    let mm = dpi / 25.4;
    let (fw, fh) = (
        (rng.range(50.0, 75.0) * mm).round(),
        (rng.range(13.0, 20.0) * mm).round(),
    );
    let t = rng.range(2.0, 5.99).floor();
    let paper = if rng.chance(0.4) {
        rng.u8r(200, 230)
    } else {
        255
    };
    let (w, h) = ((fw + 160.0) as usize, (fh + 160.0) as usize);
    let mut img = Img::new(w, h, paper);
    let (x0, y0) = (80.0, 80.0);
    img.outline(x0, y0, fw, fh, t, rng.u8r(0, 60));
    let cap = 1.8 * mm;
    let caption = |img: &mut Img, rng: &mut Rng| {
        let n = 12 + (rng.next() % 10) as usize;
        glyphs(img, rng, x0 + t + 0.8 * mm, y0 + t + 0.6 * mm + cap, cap, n);
    };
    match kind {
        Fr::Empty => {}
        Fr::Caption => caption(&mut img, rng),
        Fr::Typed => {
            caption(&mut img, rng);
            let gh = 30.0 * dpi / 300.0;
            let mut x = x0 + 3.0 * mm;
            let base = y0 + fh * rng.range(0.65, 0.85);
            for _ in 0..20 {
                let gw = gh * rng.range(0.4, 0.9);
                let v = rng.u8r(0, 50);
                if rng.chance(0.5) {
                    img.rect(x, base - gh * rng.range(0.7, 1.0), x + gw, base, v);
                } else {
                    img.ring(x + gw / 2.0, base - gh / 2.0, gw / 2.0, gh / 2.0, 99.0, v);
                }
                x += gw + rng.range(3.0, 8.0);
            }
        }
        Fr::Scribble => {
            if rng.chance(0.5) {
                caption(&mut img, rng);
            }
            let n = 2 + rng.next() % 3;
            for _ in 0..n {
                let span = fw * rng.range(0.4, 0.8);
                let xs = x0 + fw * rng.range(0.05, 0.95) - span * rng.f();
                let xs = xs.clamp(x0 + fw * 0.05, x0 + fw * 0.95 - span);
                let mut yr = || y0 + fh * rng.range(0.3, 0.9);
                let c = [
                    (xs, yr()),
                    (xs + span * 0.33, yr()),
                    (xs + span * 0.66, yr()),
                    (xs + span, yr()),
                ];
                let r = rng.range(1.5, 3.0) * dpi / 300.0;
                img.curve(c, r.max(1.0), rng.u8r(0, 60));
            }
        }
    }
    let post = random_post(rng);
    let centre = rot_point(x0 + fw / 2.0, y0 + fh / 2.0, w, h, post.rot);
    (apply(img, post, rng), centre, fw, dpi as u32)
}

/// A QR-like block: three finder patterns and random modules, `m` px a module.
pub fn qr(img: &mut Img, rng: &mut Rng, x0: f32, y0: f32, m: f32) {
    let n = 25;
    let mut g = vec![false; n * n];
    for v in g.iter_mut() {
        *v = rng.chance(0.5);
    }
    for &(fx, fy) in &[(0usize, 0usize), (n - 7, 0), (0, n - 7)] {
        for y in 0..8.min(n - fy + 1) {
            for x in 0..8 {
                let (gx, gy) = (
                    fx as i64 + x as i64 - (fx > 0) as i64,
                    fy as i64 + y as i64 - (fy > 0) as i64,
                );
                if gx < 0 || gy < 0 || gx >= n as i64 || gy >= n as i64 {
                    continue;
                }
                let (lx, ly) = (gx - fx as i64, gy - fy as i64);
                let ring = (0..7).contains(&lx)
                    && (0..7).contains(&ly)
                    && (lx == 0 || lx == 6 || ly == 0 || ly == 6);
                let centre = (2..5).contains(&lx) && (2..5).contains(&ly);
                g[gy as usize * n + gx as usize] = ring || centre;
            }
        }
    }
    for y in 0..n {
        for x in 0..n {
            if g[y * n + x] {
                img.rect(
                    x0 + x as f32 * m,
                    y0 + y as f32 * m,
                    x0 + (x + 1) as f32 * m,
                    y0 + (y + 1) as f32 * m,
                    0,
                );
            }
        }
    }
}

/// An A4 page at 300 dpi with text, boxes, a frame, a table and a QR code.
/// A busy page: lines of glyphs, some starting with a checkbox (half of them
/// crossed), a signature frame and a QR code, turned 1° with noise. Returns the
/// page, the boxes drawn and how many of them are crossed.
pub fn a4_page() -> (Img, usize, usize) {
    let (mut boxes, mut crossed) = (0, 0);
    let mut rng = Rng(4242);
    let (w, h) = (2480usize, 3508usize);
    let mut img = Img::new(w, h, 235);
    let mut y = 200.0;
    while y < 3300.0 {
        let mut x = 200.0;
        if rng.chance(0.2) {
            img.outline(x, y - 45.0, 50.0, 50.0, 3.0, 0);
            boxes += 1;
            if rng.chance(0.5) {
                crossed += 1;
                draw_fill(
                    &mut img,
                    &mut rng,
                    x,
                    y - 45.0,
                    50.0,
                    3.0,
                    Fill::Cross,
                    0.2,
                    300.0,
                );
            }
            x += 58.0;
        }
        while x < 2200.0 {
            x = glyphs(&mut img, &mut rng, x, y, 28.0, 6) + 18.0;
        }
        y += 60.0;
    }
    img.outline(300.0, 3000.0, 700.0, 180.0, 3.0, 0);
    qr(&mut img, &mut rng, 1900.0, 2900.0, 8.0);
    let mut img = img.rotate(1.0);
    img.gauss(&mut rng, 20.0);
    (img, boxes, crossed)
}
