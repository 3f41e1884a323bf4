//! A thin layer over plotters for the examples: line and marker plots
//! (linear or log axes) written as SVG into `target/plots/`.
//!
//! What every figure gets from here, so the examples do not repeat it:
//! - tick labels that read as numbers (`1e-5`, `0.01`, `2.5`), never
//!   `9.999999999999999e-5`;
//! - a style per series that differs in colour *and* in marker shape and
//!   line pattern, so up to 12 series stay distinguishable in grey-scale
//!   print;
//! - the legend in its own panel, right of or below the data area, so it
//!   never covers data.
#![allow(dead_code)]

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::PathBuf;

/// One named curve.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Draw markers instead of a line.
    pub markers: bool,
    /// A reference line (a limit, an exact solution): thin, dashed, drawn
    /// first, without markers.
    pub reference: bool,
    /// Style slot (colour, marker, line pattern); by default the series'
    /// position among the non-reference series.
    pub slot: Option<usize>,
}

impl Series {
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            markers: false,
            reference: false,
            slot: None,
        }
    }
    pub fn markers(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            markers: true,
            ..Series::line(name, points)
        }
    }
    /// A thin dashed reference line (a limit, an exact solution).
    pub fn reference(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            reference: true,
            ..Series::line(name, points)
        }
    }
    /// Use the colour and marker of style slot `i` (e.g. to pair a limit
    /// with the curve it limits).
    pub fn slot(mut self, i: usize) -> Self {
        self.slot = Some(i);
        self
    }
}

/// Axis scale.
#[derive(Clone, Copy, PartialEq)]
pub enum Scale {
    Linear,
    Log,
}

/// A figure description.
pub struct Figure<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub x_scale: Scale,
    pub y_scale: Scale,
    /// Keep x and y on the same scale (for orbits).
    pub equal_aspect: bool,
}

/// `target/plots/<file>`, creating the directory.
pub fn plot_path(file: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("plots");
    let _ = std::fs::create_dir_all(&dir);
    dir.join(file)
}

// ---------------------------------------------------------------- styles

/// Colour-blind-safe colours first (Okabe & Ito, "Color Universal Design",
/// 2008, without its yellow, too light on white), then four darker ones.
const PALETTE: [RGBColor; 12] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(136, 34, 85),   // wine
    RGBColor(117, 112, 40),  // olive
    RGBColor(68, 68, 170),   // indigo
    RGBColor(140, 86, 75),   // brown
    RGBColor(120, 120, 120), // grey
];

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Cross,
}
const SHAPES: [Shape; 6] = [
    Shape::Circle,
    Shape::Square,
    Shape::TriangleUp,
    Shape::Diamond,
    Shape::TriangleDown,
    Shape::Cross,
];

/// Line patterns: (dash, gap) in pixels; (0, 0) is solid.
const DASHES: [(u32, u32); 3] = [(0, 0), (9, 4), (2, 3)];
const REFERENCE_DASHES: [(u32, u32); 3] = [(7, 4), (2, 3), (12, 3)];
const REFERENCE_GREY: RGBColor = RGBColor(70, 70, 70);

#[derive(Clone, Copy)]
struct Style {
    color: RGBColor,
    shape: Shape,
    filled: bool,
    dash: (u32, u32),
    width: u32,
}

/// Slot `i`: colour `i mod 12`, marker shape `i mod 6`, filled for the
/// first six slots and hollow for the next six, line pattern `i mod 3`:
/// the first 12 slots differ in (shape, fill) alone, which survives
/// grey-scale printing.
fn slot_style(i: usize) -> Style {
    Style {
        color: PALETTE[i % PALETTE.len()],
        shape: SHAPES[i % SHAPES.len()],
        filled: (i / SHAPES.len()).is_multiple_of(2),
        dash: DASHES[i % DASHES.len()],
        width: 2,
    }
}

fn series_styles(series: &[Series]) -> Vec<Style> {
    let (mut next, mut next_ref) = (0, 0);
    series
        .iter()
        .map(|s| {
            if s.reference {
                let mut st = match s.slot {
                    Some(i) => slot_style(i),
                    None => Style {
                        color: REFERENCE_GREY,
                        ..slot_style(0)
                    },
                };
                st.dash = REFERENCE_DASHES[next_ref % REFERENCE_DASHES.len()];
                st.width = 1;
                next_ref += 1;
                st
            } else {
                let i = s.slot.unwrap_or(next);
                next += 1;
                slot_style(i)
            }
        })
        .collect()
}

/// Draws a marker centred on the backend pixel `(x, y)`.
fn draw_marker(
    area: &DrawingArea<SVGBackend, Shift>,
    (x, y): (i32, i32),
    r: i32,
    st: &Style,
) -> Result<(), Box<dyn std::error::Error>> {
    let outline: Vec<(i32, i32)> = match st.shape {
        Shape::Circle | Shape::Cross => Vec::new(),
        Shape::Square => vec![(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)],
        Shape::TriangleUp => {
            let r = r + 1;
            vec![(x, y - r), (x + r, y + r * 3 / 4), (x - r, y + r * 3 / 4)]
        }
        Shape::TriangleDown => {
            let r = r + 1;
            vec![(x, y + r), (x + r, y - r * 3 / 4), (x - r, y - r * 3 / 4)]
        }
        Shape::Diamond => {
            let r = r + 1;
            vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
        }
    };
    let fill = if st.filled { st.color } else { WHITE };
    match st.shape {
        Shape::Circle => {
            area.draw(&Circle::new((x, y), r, fill.filled()))?;
            area.draw(&Circle::new((x, y), r, st.color.stroke_width(1)))?;
        }
        Shape::Cross => {
            let w = if st.filled { 2 } else { 1 };
            area.draw(&PathElement::new(
                vec![(x - r, y - r), (x + r, y + r)],
                st.color.stroke_width(w),
            ))?;
            area.draw(&PathElement::new(
                vec![(x - r, y + r), (x + r, y - r)],
                st.color.stroke_width(w),
            ))?;
        }
        _ => {
            area.draw(&Polygon::new(outline.clone(), fill.filled()))?;
            let mut closed = outline.clone();
            closed.push(outline[0]);
            area.draw(&PathElement::new(closed, st.color.stroke_width(1)))?;
        }
    }
    Ok(())
}

/// Draws a polyline given in backend pixels with the style's pattern.
fn draw_polyline(
    area: &DrawingArea<SVGBackend, Shift>,
    pts: &[(i32, i32)],
    st: &Style,
) -> Result<(), Box<dyn std::error::Error>> {
    if pts.len() < 2 {
        return Ok(());
    }
    let style = st.color.stroke_width(st.width);
    if st.dash.0 == 0 {
        area.draw(&PathElement::new(pts.to_vec(), style))?;
    } else {
        area.draw(&DashedPathElement::new(
            pts.iter().copied(),
            st.dash.0,
            st.dash.1,
            style,
        ))?;
    }
    Ok(())
}

/// Points (in pixels) every `spacing` pixels of arc length along a
/// polyline, starting `offset` pixels in.
fn along(pts: &[(i32, i32)], spacing: f64, offset: f64) -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    let mut next = offset;
    let mut s = 0.0;
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let d = (((b.0 - a.0) as f64).powi(2) + ((b.1 - a.1) as f64).powi(2)).sqrt();
        while d > 0.0 && next <= s + d {
            let u = (next - s) / d;
            out.push((
                (a.0 as f64 + u * (b.0 - a.0) as f64).round() as i32,
                (a.1 as f64 + u * (b.1 - a.1) as f64).round() as i32,
            ));
            next += spacing;
        }
        s += d;
    }
    out
}

// ------------------------------------------------------------ tick labels

/// Trims a fixed-point number: "2.500" -> "2.5", "3.000" -> "3".
fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `m e k` with the mantissa rounded to three significant digits, "1e-5"
/// rather than "1.00e-5".
fn exp_form(v: f64) -> String {
    let k = v.abs().log10().floor();
    let mut m = v / 10f64.powf(k);
    let mut k = k as i32;
    m = (m * 100.0).round() / 100.0;
    if m.abs() >= 10.0 {
        m /= 10.0;
        k += 1;
    }
    format!("{}e{k}", trim(format!("{m:.2}")))
}

/// A tick label on a log axis spanning `[lo, hi]`: decades as "1e-5", or
/// plain ("0.01" … "1000") when the whole axis lies in that range; other
/// ticks with at most three significant digits.
pub fn log_tick(v: f64, (lo, hi): (f64, f64)) -> String {
    if v <= 0.0 || !v.is_finite() {
        return String::new();
    }
    let plain = lo >= 0.99e-2 && hi <= 1.01e3;
    let e = v.log10();
    if (e - e.round()).abs() < 1e-6 {
        let k = e.round() as i32;
        return if plain {
            trim(format!("{:.2}", 10f64.powi(k)))
        } else if k == 0 {
            "1".into()
        } else {
            format!("1e{k}")
        };
    }
    if plain {
        let digits = (2 - e.floor() as i32).max(0) as usize;
        trim(format!("{v:.digits$}"))
    } else {
        exp_form(v)
    }
}

/// A tick label on a linear axis whose labelled values lie within
/// `[-max_abs, max_abs]`.
pub fn linear_tick(v: f64, max_abs: f64) -> String {
    if v.abs() <= 1e-9 * max_abs || v == 0.0 {
        return "0".into();
    }
    if !(1e-2..1e5).contains(&max_abs) {
        return exp_form(v);
    }
    trim(format!("{v:.6}"))
}

// ---------------------------------------------------------------- layout

fn range(vals: impl Iterator<Item = f64>, scale: Scale) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals {
        if v.is_finite() && (scale == Scale::Linear || v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() {
        return (1e-1, 1.0);
    }
    match scale {
        Scale::Log => {
            let (l, h) = (lo.log10().floor(), hi.log10().ceil());
            let h = if h <= l { l + 1.0 } else { h };
            (10f64.powf(l), 10f64.powf(h))
        }
        Scale::Linear => {
            let pad = if hi > lo {
                0.04 * (hi - lo)
            } else {
                0.5 * lo.abs().max(1.0)
            };
            (lo - pad, hi + pad)
        }
    }
}

const CHART_W: u32 = 760;
const CHART_H: u32 = 520;
const TITLE_H: u32 = 38;
const MARGIN: u32 = 12;
const X_LABEL_AREA: u32 = 50;
const Y_LABEL_AREA: u32 = 78;
const FONT: &str = "sans-serif";

fn text_width(s: &str, size: f64) -> u32 {
    // DejaVu/Helvetica-like average advance: ~0.58 em.
    (s.chars().count() as f64 * size * 0.58).ceil() as u32
}

/// Where the legend goes.
enum LegendPlace {
    None,
    /// A column right of the chart, of this width.
    Right(u32),
    /// Rows below the chart: (columns, column width, rows).
    Below(u32, u32, u32),
}

#[derive(Clone, Copy, PartialEq)]
enum LineMarkers {
    None,
    /// On every point: a short series of measured values.
    AtPoints,
    /// Spaced along the curve, to tell many lines apart.
    Along,
}

#[derive(Clone, Copy)]
struct Decoration {
    line_markers: LineMarkers,
    radius: i32,
}

/// Markers of each series: marker series get small markers when they have
/// many points; lines get markers on every point when they have at most 30
/// (measured values), else spaced along the curve when more than three
/// lines share the plot (dash patterns alone tell up to three apart).
fn decorations(fig: &Figure, series: &[Series]) -> Vec<Decoration> {
    let n_points = |s: &Series| {
        s.points
            .iter()
            .filter(|p| {
                p.0.is_finite()
                    && p.1.is_finite()
                    && (fig.x_scale == Scale::Linear || p.0 > 0.0)
                    && (fig.y_scale == Scale::Linear || p.1 > 0.0)
            })
            .count()
    };
    let n_lines = series.iter().filter(|s| !s.markers && !s.reference).count();
    series
        .iter()
        .map(|s| {
            let n = n_points(s);
            if s.markers {
                Decoration {
                    line_markers: LineMarkers::None,
                    radius: if n > 30 { 2 } else { 4 },
                }
            } else if s.reference {
                Decoration {
                    line_markers: LineMarkers::None,
                    radius: 4,
                }
            } else {
                Decoration {
                    line_markers: if n <= 30 {
                        LineMarkers::AtPoints
                    } else if n_lines > 3 {
                        LineMarkers::Along
                    } else {
                        LineMarkers::None
                    },
                    radius: 4,
                }
            }
        })
        .collect()
}

fn legend_place(series: &[Series]) -> LegendPlace {
    let named: Vec<&Series> = series.iter().filter(|s| !s.name.is_empty()).collect();
    if named.is_empty() {
        return LegendPlace::None;
    }
    let widest = named.iter().map(|s| text_width(&s.name, 13.0)).max().unwrap_or(0) + 48;
    if widest <= 230 {
        LegendPlace::Right(widest + 16)
    } else {
        let cols = (CHART_W / widest).max(1);
        let rows = (named.len() as u32).div_ceil(cols);
        LegendPlace::Below(cols, CHART_W / cols, rows)
    }
}

fn draw_legend(
    area: &DrawingArea<SVGBackend, Shift>,
    series: &[Series],
    styles: &[Style],
    deco: &[Decoration],
    place: &LegendPlace,
) -> Result<(), Box<dyn std::error::Error>> {
    // Coordinates relative to the legend's own area.
    let (x0, y0) = (0, 0);
    let row_h = 22;
    let entries = series
        .iter()
        .zip(styles.iter().zip(deco))
        .filter(|(s, _)| !s.name.is_empty());
    for (k, (s, (st, d))) in entries.enumerate() {
        let k = k as i32;
        let (x, y) = match *place {
            LegendPlace::None => return Ok(()),
            LegendPlace::Right(_) => (x0 + 8, y0 + TITLE_H as i32 + MARGIN as i32 + 6 + k * row_h),
            LegendPlace::Below(cols, w, _) => (
                x0 + Y_LABEL_AREA as i32 / 2 + (k % cols as i32) * w as i32,
                y0 + 6 + (k / cols as i32) * row_h,
            ),
        };
        let yc = y + row_h / 2;
        if s.markers {
            draw_marker(area, (x + 17, yc), d.radius.max(3), st)?;
        } else {
            draw_polyline(area, &[(x, yc), (x + 34, yc)], st)?;
            if d.line_markers != LineMarkers::None {
                draw_marker(area, (x + 17, yc), d.radius, st)?;
            }
        }
        area.draw(&Text::new(
            s.name.clone(),
            (x + 42, yc),
            (FONT, 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// Draws the series into `target/plots/<file>` and returns the path.
pub fn plot(file: &str, fig: &Figure, series: &[Series]) -> Result<PathBuf, Box<dyn std::error::Error>> {
    render(file, fig, &[], series)
}

/// A straight line segment between two points.
pub type Segment = ((f64, f64), (f64, f64));

/// Like [`plot`], with a background of light-grey line segments drawn first
/// and left out of the legend (e.g. contour lines from
/// [`contour_segments`]). The axes span the series and the background.
pub fn plot_over_segments(
    file: &str,
    fig: &Figure,
    background: &[Segment],
    series: &[Series],
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    render(file, fig, background, series)
}

fn render(
    file: &str,
    fig: &Figure,
    background: &[Segment],
    series: &[Series],
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let path = plot_path(file);
    draw_figure(&path, fig, background, series)?;
    Ok(path)
}

fn draw_figure(
    path: &std::path::Path,
    fig: &Figure,
    background: &[Segment],
    series: &[Series],
) -> Result<(), Box<dyn std::error::Error>> {
    let place = legend_place(series);
    let (w, h) = match place {
        LegendPlace::None => (CHART_W, CHART_H),
        LegendPlace::Right(lw) => (CHART_W + lw, CHART_H),
        LegendPlace::Below(_, _, rows) => (CHART_W, CHART_H + rows * 22 + 10),
    };
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        fig.title.to_string(),
        (CHART_W as i32 / 2, 12),
        (FONT, 18)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let (chart_area, legend_area) = match place {
        LegendPlace::Right(_) => root.split_horizontally(CHART_W),
        LegendPlace::Below(..) => root.split_vertically(CHART_H),
        LegendPlace::None => root.split_horizontally(CHART_W),
    };
    let chart_area = chart_area.margin(TITLE_H, MARGIN, MARGIN, MARGIN + 6);
    let styles = series_styles(series);
    let deco = decorations(fig, series);

    let xs = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(background.iter().flat_map(|(a, b)| [a.0, b.0]));
    let ys = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(background.iter().flat_map(|(a, b)| [a.1, b.1]));
    let (mut x0, mut x1) = range(xs, fig.x_scale);
    let (mut y0, mut y1) = range(ys, fig.y_scale);
    if fig.equal_aspect {
        // Pixels of the plotting area (the chart area less the label areas).
        let (cw, ch) = chart_area.dim_in_pixel();
        let pw = cw.saturating_sub(Y_LABEL_AREA) as f64;
        let ph = ch.saturating_sub(X_LABEL_AREA) as f64;
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let per_px = ((x1 - x0) / pw).max((y1 - y0) / ph);
        x0 = cx - per_px * pw / 2.0;
        x1 = cx + per_px * pw / 2.0;
        y0 = cy - per_px * ph / 2.0;
        y1 = cy + per_px * ph / 2.0;
    }
    let x_abs = x0.abs().max(x1.abs());
    let y_abs = y0.abs().max(y1.abs());
    let x_fmt = move |v: &f64| match fig.x_scale {
        Scale::Log => log_tick(*v, (x0, x1)),
        Scale::Linear => linear_tick(*v, x_abs),
    };
    let y_fmt = move |v: &f64| match fig.y_scale {
        Scale::Log => log_tick(*v, (y0, y1)),
        Scale::Linear => linear_tick(*v, y_abs),
    };

    let mut builder = ChartBuilder::on(&chart_area);
    builder
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA);
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(fig.x_label)
                .y_desc(fig.y_label)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 15))
                .bold_line_style(RGBColor(215, 215, 215).stroke_width(1))
                .light_line_style(RGBColor(242, 242, 242).stroke_width(1))
                .draw()?;
            let grey = RGBColor(195, 195, 195);
            chart.draw_series(
                background
                    .iter()
                    .map(|(a, b)| PathElement::new(vec![*a, *b], grey.stroke_width(1))),
            )?;
            let keep = |p: &(f64, f64)| {
                p.0.is_finite()
                    && p.1.is_finite()
                    && (fig.x_scale == Scale::Linear || p.0 > 0.0)
                    && (fig.y_scale == Scale::Linear || p.1 > 0.0)
            };
            // References first, then lines, then markers on top.
            for pass in 0..3 {
                for (i, (s, st)) in series.iter().zip(&styles).enumerate() {
                    let this_pass = if s.reference {
                        0
                    } else if s.markers {
                        2
                    } else {
                        1
                    };
                    if this_pass != pass {
                        continue;
                    }
                    let px: Vec<(i32, i32)> = s
                        .points
                        .iter()
                        .filter(|p| keep(p))
                        .map(|p| chart.backend_coord(p))
                        .collect();
                    let d = deco[i];
                    if s.markers {
                        for p in &px {
                            draw_marker(&root, *p, d.radius, st)?;
                        }
                        continue;
                    }
                    let mut st = *st;
                    if px.len() > 15000 {
                        st.width = 1;
                    }
                    draw_polyline(&root, &px, &st)?;
                    match d.line_markers {
                        LineMarkers::None => {}
                        LineMarkers::AtPoints => {
                            for p in &px {
                                draw_marker(&root, *p, d.radius, &st)?;
                            }
                        }
                        LineMarkers::Along => {
                            for p in along(&px, 90.0, 12.0 + 13.0 * (i % 6) as f64) {
                                draw_marker(&root, p, d.radius, &st)?;
                            }
                        }
                    }
                }
            }
        }};
    }
    match (fig.x_scale, fig.y_scale) {
        (Scale::Linear, Scale::Linear) => draw!(builder.build_cartesian_2d(x0..x1, y0..y1)?),
        (Scale::Log, Scale::Linear) => draw!(builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1)?),
        (Scale::Linear, Scale::Log) => draw!(builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?),
        (Scale::Log, Scale::Log) => {
            draw!(builder.build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?)
        }
    }
    draw_legend(&legend_area, series, &styles, &deco, &place)?;
    root.present()?;
    Ok(())
}

/// Level sets `f = level` of a function on `[x0, x1] x [y0, y1]` by
/// marching squares on an `n x n` grid: one straight segment per grid cell
/// that a level crosses (saddle cells get two segments, paired arbitrarily).
pub fn contour_segments(
    f: impl Fn(f64, f64) -> f64,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    n: usize,
    levels: &[f64],
) -> Vec<Segment> {
    let n = n.max(2);
    let (dx, dy) = ((x1 - x0) / n as f64, (y1 - y0) / n as f64);
    let grid: Vec<Vec<f64>> = (0..=n)
        .map(|j| {
            (0..=n)
                .map(|i| f(x0 + i as f64 * dx, y0 + j as f64 * dy))
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for &level in levels {
        for j in 0..n {
            for i in 0..n {
                // Corners counter-clockwise from bottom-left.
                let c = [
                    (x0 + i as f64 * dx, y0 + j as f64 * dy, grid[j][i]),
                    (x0 + (i + 1) as f64 * dx, y0 + j as f64 * dy, grid[j][i + 1]),
                    (
                        x0 + (i + 1) as f64 * dx,
                        y0 + (j + 1) as f64 * dy,
                        grid[j + 1][i + 1],
                    ),
                    (x0 + i as f64 * dx, y0 + (j + 1) as f64 * dy, grid[j + 1][i]),
                ];
                let mut pts = Vec::with_capacity(4);
                for e in 0..4 {
                    let (a, b) = (c[e], c[(e + 1) % 4]);
                    let (fa, fb) = (a.2 - level, b.2 - level);
                    if (fa < 0.0) != (fb < 0.0) {
                        let s = fa / (fa - fb);
                        pts.push((a.0 + s * (b.0 - a.0), a.1 + s * (b.1 - a.1)));
                    }
                }
                for pair in pts.chunks_exact(2) {
                    out.push((pair[0], pair[1]));
                }
            }
        }
    }
    out
}
