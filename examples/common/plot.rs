//! A thin layer over plotters for the examples: line plots (linear or log
//! axes) written as SVG into `target/plots/`.
#![allow(dead_code)]

use plotters::prelude::*;
use std::path::PathBuf;

/// One named curve.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Draw markers instead of a line.
    pub markers: bool,
}

impl Series {
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            markers: false,
        }
    }
    pub fn markers(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            markers: true,
        }
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

const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

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
                0.05 * (hi - lo)
            } else {
                0.5 * lo.abs().max(1.0)
            };
            (lo - pad, hi + pad)
        }
    }
}

/// A short tick label: plain for moderate magnitudes, `1e-7` style
/// otherwise (plotters' default prints log-axis ticks with all digits).
fn tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || (1e-3..1e5).contains(&a) {
        let s = format!("{:.4}", v);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        let s = format!("{:.2e}", v);
        // 1.00e-7 -> 1e-7, 2.50e3 -> 2.5e3
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{}", m.trim_end_matches('0').trim_end_matches('.'), e),
            None => s,
        }
    }
}

/// Draws the series into `target/plots/<file>` and returns the path.
pub fn plot(file: &str, fig: &Figure, series: &[Series]) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let path = plot_path(file);
    let root = SVGBackend::new(&path, (800, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let (mut x0, mut x1) = range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        fig.x_scale,
    );
    let (mut y0, mut y1) = range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        fig.y_scale,
    );
    if fig.equal_aspect {
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let half = ((x1 - x0) / 2.0).max((y1 - y0) / 2.0 * 740.0 / 480.0);
        x0 = cx - half;
        x1 = cx + half;
        let halfy = half * 480.0 / 740.0;
        y0 = cy - halfy;
        y1 = cy + halfy;
    }
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(fig.title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70);
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(fig.x_label)
                .y_desc(fig.y_label)
                .x_label_formatter(&|v: &f64| tick(*v))
                .y_label_formatter(&|v: &f64| tick(*v))
                .draw()?;
            for (i, s) in series.iter().enumerate() {
                let color = COLORS[i % COLORS.len()];
                let pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|p| {
                        p.0.is_finite()
                            && p.1.is_finite()
                            && (fig.x_scale == Scale::Linear || p.0 > 0.0)
                            && (fig.y_scale == Scale::Linear || p.1 > 0.0)
                    })
                    .collect();
                if s.markers {
                    chart
                        .draw_series(pts.iter().map(|p| Circle::new(*p, 3, color.filled())))?
                        .label(s.name.as_str())
                        .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.filled()));
                } else {
                    chart
                        .draw_series(LineSeries::new(pts, color.stroke_width(2)))?
                        .label(s.name.as_str())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                        });
                }
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
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
    root.present()?;
    drop(root);
    Ok(path)
}

/// A straight line segment between two points.
pub type Segment = ((f64, f64), (f64, f64));

/// Like [`plot`] on linear axes, with a background of light-grey line
/// segments drawn first and left out of the legend (e.g. contour lines from
/// [`contour_segments`]). The axes span the series and the background.
pub fn plot_over_segments(
    file: &str,
    fig: &Figure,
    background: &[Segment],
    series: &[Series],
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let path = plot_path(file);
    let root = SVGBackend::new(&path, (800, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let xs = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(background.iter().flat_map(|(a, b)| [a.0, b.0]));
    let ys = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(background.iter().flat_map(|(a, b)| [a.1, b.1]));
    let (x0, x1) = range(xs, Scale::Linear);
    let (y0, y1) = range(ys, Scale::Linear);
    let mut chart = ChartBuilder::on(&root)
        .caption(fig.title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc(fig.x_label)
        .y_desc(fig.y_label)
        .draw()?;
    let grey = RGBColor(190, 190, 190);
    chart.draw_series(
        background
            .iter()
            .map(|(a, b)| PathElement::new(vec![*a, *b], grey.stroke_width(1))),
    )?;
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        if s.markers {
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 3, color.filled())))?
                .label(s.name.as_str())
                .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.filled()));
        } else {
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))?
                .label(s.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    drop(chart);
    root.present()?;
    drop(root);
    Ok(path)
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
